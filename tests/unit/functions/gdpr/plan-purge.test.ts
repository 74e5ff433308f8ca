import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { fixture } from '../../../helpers/fixtures';
import { approvedReport, handlerOf, REPORT_ENV, REQUEST_ID, UPLOAD_ID } from './setup';

const s3 = mockClient(S3Client);
const dynamo = mockClient(DynamoDBDocumentClient);

const upload = {
  pk: `UPLOAD#${UPLOAD_ID}`,
  sk: 'UPLOAD',
  entity: 'upload',
  uploadId: UPLOAD_ID,
  placeId: 'ChIJ-central-park',
};
const report = approvedReport([upload]);

type Input = { requestId: string; reportKey: string; approvedSha256: string };
const approvedInput = () => report.inputFrom<Input>('gdpr/plan-purge.json');

const handler = handlerOf(REPORT_ENV, () => import('../../../../functions/gdpr/plan-purge'));

beforeEach(() => {
  s3.reset();
  s3.on(GetObjectCommand).callsFake(report.object);
  dynamo.reset();
  dynamo.on(UpdateCommand).resolves({});
});

describe('Plan purge task', () => {
  it('splits the approved report into object and record chunks (500 by default) and marks the request PURGING', async () => {
    const plan = await handler(approvedInput());

    expect(plan).toEqual({ objectChunks: [{ start: 0, end: 3 }], recordChunks: [{ start: 0, end: 1 }] });
    expect(s3).toHaveReceivedCommandWith(GetObjectCommand, {
      Bucket: 'reports-bucket',
      Key: `reports/${REQUEST_ID}/report.json`,
    });
    expect(dynamo).toHaveReceivedCommandWith(UpdateCommand, {
      TableName: 'app-table',
      Key: { pk: `ERASURE#${REQUEST_ID}`, sk: 'ERASURE' },
      ExpressionAttributeValues: expect.objectContaining({ ':purging': 'PURGING' }),
    });
  });

  it('refuses a report whose hash is not the approved one, before marking anything', async () => {
    await expect(handler(fixture('gdpr/plan-purge.json'))).rejects.toMatchObject({
      name: 'ReportTamperedError',
    });
    expect(dynamo).not.toHaveReceivedCommand(UpdateCommand);
  });

  it('refuses a report key that is not the request’s own', async () => {
    const input = {
      ...approvedInput(),
      reportKey: 'reports/9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d/report.json',
    };

    await expect(handler(input)).rejects.toMatchObject({ name: 'ReportTamperedError' });
    expect(s3).not.toHaveReceivedCommand(GetObjectCommand);
  });
});
