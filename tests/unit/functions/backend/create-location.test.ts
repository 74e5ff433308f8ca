import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../../../functions/backend/create-location';
import { apiFixture, body } from '../../../helpers/fixtures';

const dynamo = mockClient(DynamoDBDocumentClient);

beforeEach(() => {
  dynamo.reset();
});

describe('POST /locations', () => {
  it('stores a new place under its key and answers 201 with the place', async () => {
    dynamo.on(PutCommand).resolves({});

    const result = await handler(apiFixture('backend/create-location.json'));

    expect(result.statusCode).toBe(201);
    expect(body(result)).toMatchObject({ placeId: 'ChIJ-central-park', name: 'Central Park', type: 'park' });
    expect(result.headers?.location).toBe('/locations?placeId=ChIJ-central-park');
    expect(dynamo).toHaveReceivedCommandWith(PutCommand, {
      TableName: 'app-table',
      Item: expect.objectContaining({
        pk: 'PLACE#ChIJ-central-park',
        sk: 'PLACE',
        entity: 'place',
        lat: 40.7829,
        lng: -73.9654,
        vicinity: 'New York, NY',
      }),
      ConditionExpression: 'attribute_not_exists(pk)',
    });
  });

  it('answers 409 when the place id exists already', async () => {
    dynamo
      .on(PutCommand)
      .rejects(
        new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }),
      );

    const result = await handler(apiFixture('backend/create-location.json'));

    expect(result.statusCode).toBe(409);
    expect(body(result)).toMatchObject({ code: 'CONFLICT' });
  });

  it('answers 400 naming every invalid field and stores nothing', async () => {
    const result = await handler(apiFixture('backend/create-location-invalid.json'));

    expect(result.statusCode).toBe(400);
    const fields = (body(result).details as Array<{ field: string }>).map((detail) => detail.field);
    expect(fields).toEqual(expect.arrayContaining(['id', 'name', 'type', 'lat']));
    expect(dynamo).not.toHaveReceivedCommand(PutCommand);
  });

  it('answers 400 for a body that is not JSON', async () => {
    const event = apiFixture('backend/create-location.json');
    event.body = '{"id": "x",';

    const result = await handler(event);

    expect(result.statusCode).toBe(400);
    expect(body(result).message).toBe('The request body is not valid JSON');
  });

  it('answers 400 for a missing body', async () => {
    const event = apiFixture('backend/create-location.json');
    delete event.body;

    const result = await handler(event);

    expect(result.statusCode).toBe(400);
  });

  it('accepts a base64-encoded body', async () => {
    dynamo.on(PutCommand).resolves({});
    const event = apiFixture('backend/create-location.json');
    event.body = Buffer.from(event.body ?? '').toString('base64');
    event.isBase64Encoded = true;

    const result = await handler(event);

    expect(result.statusCode).toBe(201);
  });

  it('refuses unknown fields, naming each', async () => {
    const event = apiFixture('backend/create-location.json');
    event.body = JSON.stringify({ ...JSON.parse(event.body ?? '{}'), owner: 'someone' });

    const result = await handler(event);

    expect(result.statusCode).toBe(400);
    expect(body(result).details).toEqual([{ field: 'owner', message: 'is not a known field' }]);
  });

  it('answers 413 with a JSON reason for a body over 16 KiB, and stores nothing', async () => {
    const event = apiFixture('backend/create-location.json');
    event.body = JSON.stringify({ ...JSON.parse(event.body ?? '{}'), vicinity: 'x'.repeat(16 * 1024) });

    const result = await handler(event);

    expect(result.statusCode).toBe(413);
    expect(result.headers?.['content-type']).toBe('application/json');
    expect(body(result)).toEqual({
      code: 'PAYLOAD_TOO_LARGE',
      message: 'The request body is larger than 16384 bytes',
    });
    expect(dynamo).not.toHaveReceivedCommand(PutCommand);
  });

  it('answers 401 without a verified subject', async () => {
    const event = apiFixture('backend/create-location.json');
    delete (event.requestContext.authorizer.jwt.claims as Record<string, unknown>).sub;

    const result = await handler(event);

    expect(result.statusCode).toBe(401);
    expect(dynamo).not.toHaveReceivedCommand(PutCommand);
  });

  it('answers 500 without details when DynamoDB fails', async () => {
    dynamo.on(PutCommand).rejects(new Error('Internal server error with secrets'));

    const result = await handler(apiFixture('backend/create-location.json'));

    expect(result.statusCode).toBe(500);
    expect(result.body).not.toContain('secrets');
  });
});
