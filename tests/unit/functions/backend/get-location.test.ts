import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../../../functions/backend/get-location';
import { apiFixture, body } from '../../../helpers/fixtures';

const dynamo = mockClient(DynamoDBDocumentClient);

const place = {
  pk: 'PLACE#ChIJ-central-park',
  sk: 'PLACE',
  entity: 'place',
  placeId: 'ChIJ-central-park',
  name: 'Central Park',
  type: 'park',
  lat: 40.7829,
  lng: -73.9654,
  createdAt: '2026-11-26T12:00:00.000Z',
};
const photo = (uploadId: string) => ({
  pk: 'PLACE#ChIJ-central-park',
  sk: `PHOTO#${uploadId}`,
  entity: 'photo',
  placeId: 'ChIJ-central-park',
  uploadId,
  userId: 'user-alice',
  tileKey: `tiles/${uploadId}.jpg`,
  scaledKey: `scaled/${uploadId}.jpg`,
  width: 600,
  height: 450,
  createdAt: '2026-11-26T12:01:00.000Z',
});
const firstId = '0192f3a0-7b1c-7d2e-8f3a-4b5c6d7e8f90';

beforeEach(() => {
  dynamo.reset();
});

describe('GET /locations', () => {
  it('returns the place with its photos as CloudFront URLs, newest first, without uploader ids', async () => {
    dynamo.on(GetCommand).resolves({ Item: place });
    dynamo.on(QueryCommand).resolves({ Items: [photo(firstId)] });

    const result = await handler(apiFixture('backend/get-location.json'));

    expect(result.statusCode).toBe(200);
    expect(body(result)).toEqual({
      placeId: 'ChIJ-central-park',
      name: 'Central Park',
      type: 'park',
      lat: 40.7829,
      lng: -73.9654,
      createdAt: '2026-11-26T12:00:00.000Z',
      photos: [
        {
          uploadId: firstId,
          tileUrl: `https://photos.example.com/tiles/${firstId}.jpg`,
          scaledUrl: `https://photos.example.com/scaled/${firstId}.jpg`,
          width: 600,
          height: 450,
          createdAt: '2026-11-26T12:01:00.000Z',
        },
      ],
    });
    expect(result.body).not.toContain('user-alice');
    expect(dynamo).toHaveReceivedCommandWith(QueryCommand, {
      TableName: 'app-table',
      ExpressionAttributeValues: { ':pk': 'PLACE#ChIJ-central-park', ':photo': 'PHOTO#' },
      ScanIndexForward: false,
      Limit: 50,
    });
  });

  it('hands out a next token when more photos remain, and continues after it', async () => {
    dynamo.on(GetCommand).resolves({ Item: place });
    dynamo.on(QueryCommand).resolves({ Items: [photo(firstId)], LastEvaluatedKey: { pk: 'x', sk: 'y' } });
    const event = apiFixture('backend/get-location.json');
    event.queryStringParameters = { placeId: 'ChIJ-central-park', limit: '1' };

    const first = await handler(event);
    event.queryStringParameters = { placeId: 'ChIJ-central-park', limit: '1', nextToken: firstId };
    await handler(event);

    expect(body(first).nextToken).toBe(firstId);
    expect(dynamo).toHaveReceivedNthCommandWith(4, QueryCommand, {
      Limit: 1,
      ExclusiveStartKey: { pk: 'PLACE#ChIJ-central-park', sk: `PHOTO#${firstId}` },
    });
  });

  it('answers 404 for an unknown place', async () => {
    dynamo.on(GetCommand).resolves({});

    const result = await handler(apiFixture('backend/get-location.json'));

    expect(result.statusCode).toBe(404);
    expect(body(result)).toMatchObject({ code: 'NOT_FOUND' });
    expect(dynamo).not.toHaveReceivedCommand(QueryCommand);
  });

  it.each([
    ['a missing placeId', {}],
    ['a malformed placeId', { placeId: '../etc' }],
    ['a limit over 100', { placeId: 'ChIJ-central-park', limit: '101' }],
    ['a non-numeric limit', { placeId: 'ChIJ-central-park', limit: 'ten' }],
    ['a forged next token', { placeId: 'ChIJ-central-park', nextToken: 'PLACE#other' }],
  ])('answers 400 for %s', async (_case, query) => {
    const event = apiFixture('backend/get-location.json');
    event.queryStringParameters = query;

    const result = await handler(event);

    expect(result.statusCode).toBe(400);
    expect(dynamo).not.toHaveReceivedCommand(GetCommand);
  });

  it('answers 400 naming each unknown query parameter', async () => {
    const event = apiFixture('backend/get-location.json');
    event.queryStringParameters = { placeId: 'ChIJ-central-park', page: '2', sort: 'oldest' };

    const result = await handler(event);

    expect(result.statusCode).toBe(400);
    expect(body(result).details).toEqual([
      { field: 'page', message: 'is not a known query parameter' },
      { field: 'sort', message: 'is not a known query parameter' },
    ]);
    expect(dynamo).not.toHaveReceivedCommand(GetCommand);
  });

  it('reads the place consistently', async () => {
    dynamo.on(GetCommand).resolves({ Item: place });
    dynamo.on(QueryCommand).resolves({ Items: [] });

    await handler(apiFixture('backend/get-location.json'));

    expect(dynamo).toHaveReceivedCommandWith(GetCommand, { ConsistentRead: true });
  });

  it('answers 500 when DynamoDB fails', async () => {
    dynamo.on(GetCommand).rejects(new Error('throttled'));

    const result = await handler(apiFixture('backend/get-location.json'));

    expect(result.statusCode).toBe(500);
  });
});
