import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { fixture } from '../../../helpers/fixtures';
import { approvedReport, handlerOf, PLACE, REPORT_ENV, UPLOAD_ID } from './setup';

const s3 = mockClient(S3Client);
const dynamo = mockClient(DynamoDBDocumentClient);

const report = approvedReport([
  { pk: `UPLOAD#${UPLOAD_ID}`, sk: 'UPLOAD', entity: 'upload', uploadId: UPLOAD_ID, placeId: PLACE },
  { pk: `PLACE#${PLACE}`, sk: `PHOTO#${UPLOAD_ID}`, entity: 'photo', uploadId: UPLOAD_ID, placeId: PLACE },
]);

type Input = {
  requestId: string;
  reportKey: string;
  approvedSha256: string;
  chunk: { start: number; end: number };
};
const approvedInput = () => report.inputFrom<Input>('gdpr/purge-records.json');

const handler = handlerOf(REPORT_ENV, () => import('../../../../functions/gdpr/purge-records'));

beforeEach(() => {
  s3.reset();
  s3.on(GetObjectCommand).callsFake(report.object);
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
