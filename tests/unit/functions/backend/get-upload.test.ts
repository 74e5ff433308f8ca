import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../../../functions/backend/get-upload';
import { apiFixture, body } from '../../../helpers/fixtures';

const dynamo = mockClient(DynamoDBDocumentClient);
const uploadId = '0192f3a0-7b1c-7d2e-8f3a-4b5c6d7e8f90';
const upload = {
  pk: `UPLOAD#${uploadId}`,
  sk: 'UPLOAD',
  entity: 'upload',
  uploadId,
  placeId: 'ChIJ-central-park',
  userId: 'user-alice',
  status: 'PENDING',
  bucket: 'upload-bucket',
  objectKey: `ChIJ-central-park/${uploadId}.jpg`,
  createdAt: '2026-11-26T12:00:00.000Z',
  updatedAt: '2026-11-26T12:00:00.000Z',
};

beforeEach(() => {
  dynamo.reset();
});

describe('GET /uploads/{id}', () => {
  it('shows a pending upload to its owner', async () => {
    dynamo.on(GetCommand).resolves({ Item: upload });

    const result = await handler(apiFixture('backend/get-upload.json'));

    expect(result.statusCode).toBe(200);
    expect(body(result)).toEqual({
      uploadId,
      placeId: 'ChIJ-central-park',
      status: 'PENDING',
      createdAt: upload.createdAt,
      updatedAt: upload.updatedAt,
    });
    expect(dynamo).toHaveReceivedCommandWith(GetCommand, {
      TableName: 'app-table',
      Key: { pk: `UPLOAD#${uploadId}`, sk: 'UPLOAD' },
      // Consistent: a status asked for right after the ticket must not answer 404.
      ConsistentRead: true,
    });
  });

  it('shows the CloudFront URLs of a processed upload', async () => {
    dynamo.on(GetCommand).resolves({
      Item: { ...upload, status: 'PROCESSED', images: { tileKey: 'tiles/a.jpg', scaledKey: 'scaled/a.jpg' } },
    });

    const result = await handler(apiFixture('backend/get-upload.json'));

    expect(body(result)).toMatchObject({
      status: 'PROCESSED',
      tileUrl: 'https://photos.example.com/tiles/a.jpg',
      scaledUrl: 'https://photos.example.com/scaled/a.jpg',
    });
  });

  it('shows the reason of a rejected upload', async () => {
    dynamo.on(GetCommand).resolves({
      Item: { ...upload, status: 'REJECTED', reason: 'IMAGE_TOO_SMALL', detail: 'The photo is 320x240' },
    });

    const result = await handler(apiFixture('backend/get-upload.json'));

    expect(body(result)).toMatchObject({
      status: 'REJECTED',
      reason: 'IMAGE_TOO_SMALL',
      detail: 'The photo is 320x240',
    });
  });

  it("answers 404 for another user's upload, exactly as for a missing one", async () => {
    dynamo.on(GetCommand).resolves({ Item: { ...upload, userId: 'user-bob' } });

    const foreign = await handler(apiFixture('backend/get-upload.json'));
    dynamo.on(GetCommand).resolves({});
    const missing = await handler(apiFixture('backend/get-upload.json'));

    expect(foreign.statusCode).toBe(404);
    expect(foreign.body).toBe(missing.body);
  });

  it('answers 400 for an id that is not an upload id', async () => {
    const event = apiFixture('backend/get-upload.json');
    event.pathParameters = { id: 'not-an-id' };

    const result = await handler(event);

    expect(result.statusCode).toBe(400);
    expect(dynamo).not.toHaveReceivedCommand(GetCommand);
  });

  it('answers 400 naming an unknown query parameter, and reads nothing', async () => {
    const event = apiFixture('backend/get-upload.json');
    event.queryStringParameters = { foo: '1' };

    const result = await handler(event);

    expect(result.statusCode).toBe(400);
    expect(body(result)).toMatchObject({
      code: 'INVALID_REQUEST',
      details: [{ field: 'foo', message: 'is not a known query parameter' }],
    });
    expect(dynamo).not.toHaveReceivedCommand(GetCommand);
  });
});
