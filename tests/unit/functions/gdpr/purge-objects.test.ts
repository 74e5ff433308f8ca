import { CloudFrontClient, CreateInvalidationCommand } from '@aws-sdk/client-cloudfront';
import {
  DeleteObjectsCommand,
  type DeleteObjectsCommandInput,
  GetObjectCommand,
  ListObjectVersionsCommand,
  type ListObjectVersionsCommandInput,
  S3Client,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { logger } from '#shared/logger';
import { fixture } from '../../../helpers/fixtures';
import { approvedReport, handlerOf, PLACE, REPORT_ENV, REQUEST_ID } from './setup';

const s3 = mockClient(S3Client);
const cloudFront = mockClient(CloudFrontClient);

const uploadId = (n: number) => `0192f3a0-7b1c-7d2e-8f3a-4b5c6d7e8f9${n}`;
const upload = (n: number) => ({
  pk: `UPLOAD#${uploadId(n)}`,
  sk: 'UPLOAD',
  entity: 'upload',
  uploadId: uploadId(n),
  placeId: PLACE,
  objectKey: `${PLACE}/${uploadId(n)}.jpg`,
});
// Two uploads: six objects (two originals, two tiles, two scaled copies), sorted by kind.
const report = approvedReport([upload(0), upload(1)]);

type Input = {
  requestId: string;
  reportKey: string;
  approvedSha256: string;
  chunk: { start: number; end: number };
};
const chunkInput = (start: number, end: number): Input => ({
  ...report.inputFrom<Input>('gdpr/purge-objects.json'),
  chunk: { start, end },
});

/** bucket/key → version ids (versions and delete markers alike). */
let versions: Map<string, string[]>;
const put = (bucket: string, key: string, ...ids: string[]) => versions.set(`${bucket}/${key}`, ids);

const handler = handlerOf(
  { ...REPORT_ENV, DISTRIBUTION_ID: 'E2QWRUHEXAMPLE' },
  () => import('../../../../functions/gdpr/purge-objects'),
);

beforeEach(() => {
  versions = new Map();
  s3.reset();
  s3.on(GetObjectCommand).callsFake(report.object);
  s3.on(ListObjectVersionsCommand).callsFake((input: ListObjectVersionsCommandInput) => ({
    Versions: (versions.get(`${input.Bucket}/${input.Prefix}`) ?? []).map((VersionId) => ({
      Key: input.Prefix,
      VersionId,
    })),
    IsTruncated: false,
  }));
  s3.on(DeleteObjectsCommand).callsFake((input: DeleteObjectsCommandInput) => {
    for (const object of input.Delete?.Objects ?? []) {
      const id = `${input.Bucket}/${object.Key}`;
      versions.set(
        id,
        (versions.get(id) ?? []).filter((version) => version !== object.VersionId),
      );
    }
    return {};
  });
  cloudFront.reset();
  cloudFront.on(CreateInvalidationCommand).resolves({});
});

describe('Delete object versions task', () => {
  it("deletes every version of the chunk's objects only, and invalidates its published copies", async () => {
    put('upload-bucket', `${PLACE}/${uploadId(1)}.jpg`, 'v1', 'v2');
    put('distribution-bucket', `tiles/${PLACE}/${uploadId(0)}.jpg`, 'v3');
    put('distribution-bucket', `tiles/${PLACE}/${uploadId(1)}.jpg`, 'v4');

    const result = await handler(chunkInput(1, 3));

    expect(result).toEqual({ requested: 2, deleted: 2, versionsDeleted: 3, failed: 0 });
    expect(versions.get(`distribution-bucket/tiles/${PLACE}/${uploadId(0)}.jpg`)).toEqual([]);
    expect(versions.get(`distribution-bucket/tiles/${PLACE}/${uploadId(1)}.jpg`)).toEqual(['v4']);
    expect(cloudFront).toHaveReceivedCommandWith(CreateInvalidationCommand, {
      DistributionId: 'E2QWRUHEXAMPLE',
      InvalidationBatch: {
        CallerReference: `${REQUEST_ID}-1`,
        Paths: { Quantity: 1, Items: [`/tiles/${PLACE}/${uploadId(0)}.jpg`] },
      },
    });
  });

  it('counts only what it deleted, and a second run finding everything gone succeeds too', async () => {
    put('upload-bucket', `${PLACE}/${uploadId(0)}.jpg`, 'v1');

    const first = await handler(chunkInput(0, 3));
    const second = await handler(chunkInput(0, 3));

    expect(first).toEqual({ requested: 3, deleted: 1, versionsDeleted: 1, failed: 0 });
    expect(second).toEqual({ requested: 3, deleted: 0, versionsDeleted: 0, failed: 0 });
  });

  it('fails with ObjectsNotDeletedError, naming counts only, when S3 keeps refusing a version', async () => {
    const refused = `${PLACE}/${uploadId(0)}.jpg`;
    put('upload-bucket', refused, 'v1');
    put('upload-bucket', `${PLACE}/${uploadId(1)}.jpg`, 'v2');
    s3.on(DeleteObjectsCommand).callsFake((input: DeleteObjectsCommandInput) => ({
      Errors: (input.Delete?.Objects ?? [])
        .filter((object) => object.Key === refused)
        .map((object) => ({ ...object, Code: 'AccessDenied', Message: 'Access Denied' })),
    }));

    const error = await handler(chunkInput(0, 2)).catch((thrown: unknown) => thrown);

    expect(error).toMatchObject({
      name: 'ObjectsNotDeletedError',
      counts: { requested: 2, deleted: 1, failed: 1, versionsLeft: 1 },
    });
    expect(String((error as Error).message)).not.toContain(PLACE);
    expect(s3).toHaveReceivedCommandTimes(DeleteObjectsCommand, 3);
  });

  it('refuses a report that is not the approved one and deletes nothing', async () => {
    await expect(handler(fixture('gdpr/purge-objects.json'))).rejects.toMatchObject({
      name: 'ReportTamperedError',
    });
    expect(s3).not.toHaveReceivedCommand(ListObjectVersionsCommand);
    expect(s3).not.toHaveReceivedCommand(DeleteObjectsCommand);
  });

  it('refuses a chunk beyond the end of the report', async () => {
    await expect(handler(chunkInput(4, 7))).rejects.toMatchObject({ name: 'InvalidTaskInputError' });
  });

  it('logs counts, never object keys', async () => {
    const info = jest.spyOn(logger, 'info');

    await handler(chunkInput(0, 6));

    const logged = JSON.stringify(info.mock.calls);
    expect(logged).toContain(REQUEST_ID);
    expect(logged).not.toContain(uploadId(0));
    expect(logged).not.toContain(PLACE);
  });
});
