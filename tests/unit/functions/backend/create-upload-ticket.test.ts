import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../../../functions/backend/create-upload-ticket';
import { apiFixture, body } from '../../../helpers/fixtures';

const dynamo = mockClient(DynamoDBDocumentClient);

const place = { pk: 'PLACE#ChIJ-central-park', sk: 'PLACE', placeId: 'ChIJ-central-park', type: 'park' };
const holdKey = { pk: 'UPLOAD_HOLD#user-alice', sk: 'UPLOAD_HOLD' };

/** The place exists; the caller has no open erasure request unless `hold` is given. */
function givenPlace(hold?: Record<string, unknown>) {
  dynamo.on(GetCommand).resolves({});
  dynamo.on(GetCommand, { Key: { pk: place.pk, sk: place.sk } }).resolves({ Item: place });
  if (hold) dynamo.on(GetCommand, { Key: holdKey }).resolves({ Item: { ...holdKey, ...hold } });
}

function decodePolicy(fields: Record<string, string>) {
  return JSON.parse(Buffer.from(fields.Policy ?? '', 'base64').toString('utf8')) as {
    expiration: string;
    conditions: unknown[];
  };
}

beforeEach(() => {
  dynamo.reset();
});

describe('GET /uploads/url', () => {
  it('records a pending upload for the caller and returns a presigned POST for its exact key', async () => {
    givenPlace();
    dynamo.on(PutCommand).resolves({});

    const result = await handler(apiFixture('backend/create-upload-ticket.json'));

    expect(result.statusCode).toBe(201);
    const ticket = body(result) as {
      uploadId: string;
      key: string;
      url: string;
      fields: Record<string, string>;
    };
    expect(ticket.key).toBe(`ChIJ-central-park/${ticket.uploadId}.jpg`);
    expect(ticket.url).toContain('upload-bucket');
    expect(ticket.fields).toMatchObject({
      key: ticket.key,
      'Content-Type': 'image/jpeg',
      'x-amz-meta-user-id': 'user-alice',
      'x-amz-meta-upload-id': ticket.uploadId,
    });
    expect(dynamo).toHaveReceivedCommandWith(PutCommand, {
      TableName: 'app-table',
      Item: expect.objectContaining({
        pk: `UPLOAD#${ticket.uploadId}`,
        sk: 'UPLOAD',
        status: 'PENDING',
        userId: 'user-alice',
        placeId: 'ChIJ-central-park',
        objectKey: ticket.key,
        bucket: 'upload-bucket',
      }),
      ConditionExpression: 'attribute_not_exists(pk)',
    });
  });

  it('signs a policy that limits size, type, key, uploader metadata and lifetime', async () => {
    givenPlace();
    dynamo.on(PutCommand).resolves({});
    const before = Date.now();

    const result = await handler(apiFixture('backend/create-upload-ticket.json'));

    const ticket = body(result) as { key: string; fields: Record<string, string>; maxBytes: number };
    const policy = decodePolicy(ticket.fields);
    expect(policy.conditions).toEqual(
      expect.arrayContaining([
        ['content-length-range', 1, 10485760],
        { 'Content-Type': 'image/jpeg' },
        { 'x-amz-meta-user-id': 'user-alice' },
        { key: ticket.key },
        { bucket: 'upload-bucket' },
      ]),
    );
    const lifetimeMs = Date.parse(policy.expiration) - before;
    expect(lifetimeMs).toBeGreaterThan(290_000);
    expect(lifetimeMs).toBeLessThanOrEqual(301_000);
    expect(ticket.maxBytes).toBe(10485760);
  });

  it('lets the pending record expire 15 days after its ticket (DynamoDB TTL, epoch seconds)', async () => {
    givenPlace();
    dynamo.on(PutCommand).resolves({});

    const ticket = body(await handler(apiFixture('backend/create-upload-ticket.json')));

    const item = dynamo.commandCalls(PutCommand)[0]?.args[0].input.Item ?? {};
    const ticketExpiry = Math.ceil(Date.parse(String(ticket.expiresAt)) / 1000);
    expect(item.expiresAtEpoch).toBe(ticketExpiry + 15 * 24 * 3600);
  });

  it('reads the place consistently, so a ticket right after creating the place finds it', async () => {
    givenPlace();
    dynamo.on(PutCommand).resolves({});

    await handler(apiFixture('backend/create-upload-ticket.json'));

    expect(dynamo).toHaveReceivedCommandWith(GetCommand, {
      TableName: 'app-table',
      Key: { pk: 'PLACE#ChIJ-central-park', sk: 'PLACE' },
      ConsistentRead: true,
    });
  });

  it('answers 400 naming an unknown query parameter, and records nothing', async () => {
    const event = apiFixture('backend/create-upload-ticket.json');
    event.queryStringParameters = { placeId: 'ChIJ-central-park', placeid: 'ChIJ-other' };

    const result = await handler(event);

    expect(result.statusCode).toBe(400);
    expect(body(result)).toMatchObject({
      code: 'INVALID_REQUEST',
      message: 'Invalid query parameters: placeid: is not a known query parameter',
      details: [{ field: 'placeid', message: 'is not a known query parameter' }],
    });
    expect(dynamo).not.toHaveReceivedCommand(GetCommand);
    expect(dynamo).not.toHaveReceivedCommand(PutCommand);
  });

  it('gives every ticket a new upload id', async () => {
    givenPlace();
    dynamo.on(PutCommand).resolves({});

    const first = body(await handler(apiFixture('backend/create-upload-ticket.json')));
    const second = body(await handler(apiFixture('backend/create-upload-ticket.json')));

    expect(first.uploadId).not.toBe(second.uploadId);
  });

  it('answers 404 for an unknown place and records nothing', async () => {
    dynamo.on(GetCommand).resolves({});

    const result = await handler(apiFixture('backend/create-upload-ticket.json'));

    expect(result.statusCode).toBe(404);
    expect(dynamo).not.toHaveReceivedCommand(PutCommand);
  });

  it.each([
    ['no placeId', undefined],
    ['an empty placeId', { placeId: '' }],
    ['a placeId with a slash', { placeId: 'a/b' }],
  ])('answers 400 for %s', async (_case, query) => {
    const event = apiFixture('backend/create-upload-ticket.json');
    event.queryStringParameters = query;

    const result = await handler(event);

    expect(result.statusCode).toBe(400);
    expect(body(result).code).toBe('INVALID_REQUEST');
  });

  it('answers 401 without a verified subject', async () => {
    const event = apiFixture('backend/create-upload-ticket.json');
    event.requestContext.authorizer.jwt.claims = {};

    const result = await handler(event);

    expect(result.statusCode).toBe(401);
  });

  it('answers 500 when the upload cannot be recorded', async () => {
    givenPlace();
    dynamo.on(PutCommand).rejects(new Error('ProvisionedThroughputExceededException'));

    const result = await handler(apiFixture('backend/create-upload-ticket.json'));

    expect(result.statusCode).toBe(500);
  });

  it('answers 409 with a JSON reason while the caller has an open erasure request, and takes its record back', async () => {
    givenPlace({ entity: 'upload-hold', requestId: '3f6c2a1e-8b4d-4c2a-9e1f-5a7b8c9d0e1f' });
    dynamo.on(PutCommand).resolves({});
    dynamo.on(DeleteCommand).resolves({});

    const result = await handler(apiFixture('backend/create-upload-ticket.json'));

    expect(result.statusCode).toBe(409);
    expect(body(result)).toMatchObject({ code: 'ERASURE_IN_PROGRESS' });
    expect(body(result)).not.toHaveProperty('fields');
    const written = dynamo.commandCalls(PutCommand)[0]?.args[0].input.Item ?? {};
    expect(dynamo).toHaveReceivedCommandWith(DeleteCommand, {
      TableName: 'app-table',
      Key: { pk: written.pk, sk: 'UPLOAD' },
    });
  });

  it('reads the erasure hold consistently after recording the upload, so a request opened meanwhile is seen', async () => {
    givenPlace();
    dynamo.on(PutCommand).resolves({});

    await handler(apiFixture('backend/create-upload-ticket.json'));

    expect(dynamo).toHaveReceivedCommandWith(GetCommand, { Key: holdKey, ConsistentRead: true });
    const calls = dynamo.calls().map((call) => call.args[0].constructor.name);
    expect(calls.indexOf('PutCommand')).toBeLessThan(calls.lastIndexOf('GetCommand'));
    expect(dynamo).not.toHaveReceivedCommand(DeleteCommand);
  });
});
