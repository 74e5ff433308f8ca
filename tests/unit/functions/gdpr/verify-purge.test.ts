import {
  GetObjectCommand,
  ListObjectVersionsCommand,
  type ListObjectVersionsCommandInput,
  S3Client,
} from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { logger } from '#shared/logger';
import { fixture } from '../../../helpers/fixtures';
import { approvedReport, handlerOf, PLACE, REPORT_ENV, REQUEST_ID, UPLOAD_ID } from './setup';

const s3 = mockClient(S3Client);
const dynamo = mockClient(DynamoDBDocumentClient);

const requestKey = { pk: `ERASURE#${REQUEST_ID}`, sk: 'ERASURE' };
const uploadItem = {
  pk: `UPLOAD#${UPLOAD_ID}`,
  sk: 'UPLOAD',
  entity: 'upload',
  uploadId: UPLOAD_ID,
  placeId: PLACE,
  userId: 'user-alice',
};
const report = approvedReport([uploadItem]);

type Input = { requestId: string; reportKey: string; approvedSha256: string };
const approvedInput = () => report.inputFrom<Input>('gdpr/verify-purge.json');

/** What is left: object keys with versions, table items. */
let objectsLeft: Map<string, string[]>;
let itemsLeft: Array<Record<string, unknown>>;

const handler = handlerOf(REPORT_ENV, () => import('../../../../functions/gdpr/verify-purge'));

beforeEach(() => {
  objectsLeft = new Map();
  itemsLeft = [];
  s3.reset();
  s3.on(GetObjectCommand).callsFake(report.object);
  s3.on(ListObjectVersionsCommand).callsFake((input: ListObjectVersionsCommandInput) => ({
    DeleteMarkers: (objectsLeft.get(`${input.Bucket}/${input.Prefix}`) ?? []).map((VersionId) => ({
      Key: input.Prefix,
      VersionId,
    })),
    IsTruncated: false,
  }));
  dynamo.reset();
  dynamo.on(GetCommand, { Key: requestKey }).resolves({
    Item: { ...requestKey, requesterId: 'user-alice', status: 'PURGING' },
  });
  dynamo.on(GetCommand, { Key: { pk: uploadItem.pk, sk: uploadItem.sk } }).callsFake(() => ({
    Item: itemsLeft.find((item) => item.pk === uploadItem.pk),
  }));
  dynamo
    .on(QueryCommand)
    .callsFake(() => ({ Items: itemsLeft.filter((item) => item.userId === 'user-alice') }));
});

describe('Verify purge task', () => {
  it('reports nothing left when every reported object, record and index entry is gone', async () => {
    const result = await handler(approvedInput());

    expect(result).toEqual({ remaining: { objects: 0, records: 0, indexEntries: 0 }, total: 0 });
    expect(dynamo).toHaveReceivedCommandWith(QueryCommand, {
      IndexName: 'ByUser',
      ExpressionAttributeValues: { ':userId': 'user-alice' },
    });
  });

  it('counts a leftover delete marker, a leftover record and its index entry', async () => {
    objectsLeft.set(`distribution-bucket/photos/${PLACE}/${UPLOAD_ID}.jpg`, ['marker-1']);
    itemsLeft = [uploadItem];

    const result = await handler(approvedInput());

    expect(result).toEqual({ remaining: { objects: 1, records: 1, indexEntries: 1 }, total: 3 });
  });

  it('refuses a report that is not the approved one', async () => {
    await expect(handler(fixture('gdpr/verify-purge.json'))).rejects.toMatchObject({
      name: 'ReportTamperedError',
    });
    expect(s3).not.toHaveReceivedCommand(ListObjectVersionsCommand);
  });

  it('logs the request id and counts, never the user id', async () => {
    const info = jest.spyOn(logger, 'info');
    itemsLeft = [uploadItem];

    await handler(approvedInput());

    const logged = JSON.stringify(info.mock.calls);
    expect(logged).toContain(REQUEST_ID);
    expect(logged).not.toContain('user-alice');
    expect(logged).not.toContain(UPLOAD_ID);
  });
});
