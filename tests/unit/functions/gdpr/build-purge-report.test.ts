import {
  GetObjectCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { logger } from '#shared/logger';
import { sha256Hex } from '../../../../functions/gdpr/erasure-report';
import { fixture } from '../../../helpers/fixtures';
import { handlerOf, objectBody, REPORT_ENV, REPORT_KEY, REQUEST_ID, UPLOAD_ID } from './setup';

const s3 = mockClient(S3Client);
const dynamo = mockClient(DynamoDBDocumentClient);

const requestItem = {
  pk: `ERASURE#${REQUEST_ID}`,
  sk: 'ERASURE',
  requesterId: 'user-alice',
  status: 'REQUESTED',
};
const uploadItem = {
  pk: `UPLOAD#${UPLOAD_ID}`,
  sk: 'UPLOAD',
  entity: 'upload',
  uploadId: UPLOAD_ID,
  placeId: 'ChIJ-central-park',
  userId: 'user-alice',
  status: 'REJECTED',
  objectKey: `ChIJ-central-park/${UPLOAD_ID}.jpg`,
};

const handler = handlerOf(REPORT_ENV, () => import('../../../../functions/gdpr/build-purge-report'));

beforeEach(() => {
  s3.reset();
  s3.on(PutObjectCommand).resolves({});
  s3.on(ListObjectVersionsCommand).resolves({ Versions: [], IsTruncated: false });
  // The rejected upload's original is there twice (a second POST with its ticket); no copy was ever written.
  s3.on(ListObjectVersionsCommand, { Bucket: 'upload-bucket', Prefix: uploadItem.objectKey }).resolves({
    Versions: [
      { Key: uploadItem.objectKey, VersionId: 'v2' },
      { Key: uploadItem.objectKey, VersionId: 'v1' },
    ],
    IsTruncated: false,
  });
  dynamo.reset();
  dynamo.on(GetCommand).resolves({ Item: requestItem });
  dynamo.on(QueryCommand).resolves({ Items: [uploadItem] });
  dynamo.on(UpdateCommand).resolves({});
});

const writtenReport = () => String(s3.commandCalls(PutObjectCommand)[0]?.args[0].input.Body ?? '');

describe('Build purge report task', () => {
  it("writes the requester's report once and returns its key, hash and the counts its listings found", async () => {
    const result = await handler(fixture('gdpr/build-purge-report.json'));

    expect(dynamo).toHaveReceivedCommandWith(QueryCommand, {
      TableName: 'app-table',
      IndexName: 'ByUser',
      ExpressionAttributeValues: { ':userId': 'user-alice' },
    });
    expect(s3).toHaveReceivedCommandWith(PutObjectCommand, {
      Bucket: 'reports-bucket',
      Key: REPORT_KEY,
      IfNoneMatch: '*',
      ContentType: 'application/json',
    });
    expect(result).toEqual({
      reportKey: REPORT_KEY,
      reportSha256: sha256Hex(writtenReport()),
      counts: { original: 1, tile: 0, scaled: 0, 'object-version': 2, 'upload-record': 1, 'photo-record': 0 },
      total: 2,
    });
    expect(s3).toHaveReceivedCommandWith(ListObjectVersionsCommand, {
      Bucket: 'distribution-bucket',
      Prefix: `tiles/ChIJ-central-park/${UPLOAD_ID}.jpg`,
    });
    expect(JSON.parse(writtenReport()).objects).toEqual([
      { bucket: 'upload-bucket', key: uploadItem.objectKey, kind: 'original', versions: 2 },
    ]);
  });

  it('uses the stored report when a retried invocation finds one (412)', async () => {
    const stored = `${JSON.stringify(
      {
        version: 1,
        requestId: REQUEST_ID,
        createdAt: '2026-11-26T12:00:00.000Z',
        counts: { original: 0, tile: 0, scaled: 0, 'upload-record': 0, 'photo-record': 0 },
        total: 0,
        objects: [],
        records: [],
      },
      null,
      2,
    )}\n`;
    s3.on(PutObjectCommand).rejects(
      new S3ServiceException({
        name: 'PreconditionFailed',
        $fault: 'client',
        $metadata: { httpStatusCode: 412 },
        message: 'At least one of the pre-conditions you specified did not hold',
      }),
    );
    s3.on(GetObjectCommand).callsFake(() => objectBody(stored));

    const result = await handler(fixture('gdpr/build-purge-report.json'));

    expect(result).toMatchObject({ reportSha256: sha256Hex(stored), total: 0 });
  });

  it('logs the request id and counts, never the user id or object keys', async () => {
    const info = jest.spyOn(logger, 'info');

    await handler(fixture('gdpr/build-purge-report.json'));

    const logged = JSON.stringify(info.mock.calls);
    expect(logged).toContain(REQUEST_ID);
    expect(logged).not.toContain('user-alice');
    expect(logged).not.toContain(UPLOAD_ID);
  });

  it('fails with ErasureRequestNotFoundError when the request does not exist', async () => {
    dynamo.on(GetCommand).resolves({});

    await expect(handler(fixture('gdpr/build-purge-report.json'))).rejects.toMatchObject({
      name: 'ErasureRequestNotFoundError',
    });
  });

  it('refuses input without a valid request id', async () => {
    await expect(handler({ requestId: 'user-alice' })).rejects.toMatchObject({
      name: 'InvalidTaskInputError',
    });
    expect(dynamo).not.toHaveReceivedCommand(GetCommand);
  });
});
