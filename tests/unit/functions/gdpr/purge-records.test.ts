import { Readable } from 'node:stream';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { buildReport, serializeReport, sha256Hex } from '#shared/erasure-report';
import { fixture } from '../../../helpers/fixtures';

const s3 = mockClient(S3Client);
const dynamo = mockClient(DynamoDBDocumentClient);

const REQUEST_ID = '3f6c2a1e-8b4d-4c2a-9e1f-5a7b8c9d0e1f';
const UPLOAD_ID = '0192f3a0-7b1c-7d2e-8f3a-4b5c6d7e8f90';
const PLACE = 'ChIJ-central-park';
const report = buildReport(
  REQUEST_ID,
  [
    { pk: `UPLOAD#${UPLOAD_ID}`, sk: 'UPLOAD', entity: 'upload', uploadId: UPLOAD_ID, placeId: PLACE },
    { pk: `PLACE#${PLACE}`, sk: `PHOTO#${UPLOAD_ID}`, entity: 'photo', uploadId: UPLOAD_ID, placeId: PLACE },
  ],
  { uploadBucket: 'upload-bucket', distributionBucket: 'distribution-bucket' },
);
const reportBytes = serializeReport(report);

type Input = {
  requestId: string;
  reportKey: string;
  approvedSha256: string;
  chunk: { start: number; end: number };
};
const approvedInput = (): Input => ({
  ...fixture<Input>('gdpr/purge-records.json'),
  approvedSha256: sha256Hex(reportBytes),
});

let handler: typeof import('../../../../functions/gdpr/purge-records')['handler'];

beforeAll(async () => {
  process.env.REPORTS_BUCKET = 'reports-bucket';
  ({ handler } = await import('../../../../functions/gdpr/purge-records'));
});

beforeEach(() => {
  s3.reset();
  s3.on(GetObjectCommand).callsFake(() => ({ Body: Readable.from([Buffer.from(reportBytes)]) }));
  dynamo.reset();
  dynamo.on(BatchWriteCommand).resolves({});
});

describe('Delete records task', () => {
  it("deletes the chunk's upload and photo records from the table", async () => {
    const result = await handler(approvedInput());

    expect(result).toEqual({ requested: 2, deleted: 2, failed: 0 });
    expect(dynamo).toHaveReceivedCommandWith(BatchWriteCommand, {
      RequestItems: {
        'app-table': [
          { DeleteRequest: { Key: { pk: `UPLOAD#${UPLOAD_ID}`, sk: 'UPLOAD' } } },
          { DeleteRequest: { Key: { pk: `PLACE#${PLACE}`, sk: `PHOTO#${UPLOAD_ID}` } } },
        ],
      },
    });
  });

  it('is safe to run twice: deleting absent items succeeds', async () => {
    const first = await handler(approvedInput());
    const second = await handler(approvedInput());

    expect(second).toEqual(first);
  });

  it('refuses a report that is not the approved one and deletes nothing', async () => {
    await expect(handler(fixture('gdpr/purge-records.json'))).rejects.toMatchObject({
      name: 'ReportTamperedError',
    });
    expect(dynamo).not.toHaveReceivedCommand(BatchWriteCommand);
  });
});
