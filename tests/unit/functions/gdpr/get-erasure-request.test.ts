import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import type { ApiEvent } from '#shared/http';
import { hashUserId } from '../../../../functions/gdpr/gdpr-keys';
import { apiFixture, body } from '../../../helpers/fixtures';
import { GDPR_SECRET_ENV, gdprKeys, handlerOf, REQUEST_ID, useFrozenDateAndGdprSecret } from './setup';

const dynamo = mockClient(DynamoDBDocumentClient);
useFrozenDateAndGdprSecret();

const handler = handlerOf<APIGatewayProxyStructuredResultV2>(GDPR_SECRET_ENV, async () => {
  const { handler: route } = await import('../../../../functions/gdpr/get-erasure-request');
  return { handler: (event: unknown) => route(event as ApiEvent) };
});

async function givenRequestOf(userId: string) {
  dynamo.on(GetCommand).resolves({
    Item: {
      pk: `ERASURE#${REQUEST_ID}`,
      sk: 'ERASURE',
      entity: 'erasure-request',
      requestId: REQUEST_ID,
      requesterId: userId,
      userHash: hashUserId(await gdprKeys(), userId),
      status: 'AWAITING_APPROVAL',
      counts: { original: 1, 'object-version': 2 },
      createdAt: '2026-11-26T12:00:00.000Z',
      updatedAt: '2026-11-26T12:01:00.000Z',
    },
  });
}

beforeEach(() => {
  dynamo.reset();
});

describe('GET /gdpr/erasure-requests/{id}', () => {
  it("shows the caller's request: status, counts and times, never the user id or hash", async () => {
    await givenRequestOf('user-alice');

    const result = await handler(apiFixture('gdpr/get-erasure-request.json'));

    expect(result.statusCode).toBe(200);
    expect(body(result)).toEqual({
      requestId: REQUEST_ID,
      status: 'AWAITING_APPROVAL',
      counts: { original: 1, 'object-version': 2 },
      createdAt: '2026-11-26T12:00:00.000Z',
      updatedAt: '2026-11-26T12:01:00.000Z',
    });
  });

  it("answers 404 for another user's request", async () => {
    await givenRequestOf('user-bob');

    const result = await handler(apiFixture('gdpr/get-erasure-request.json'));

    expect(result.statusCode).toBe(404);
  });

  it('answers 400 naming an unknown query parameter, and reads nothing', async () => {
    const event = apiFixture('gdpr/get-erasure-request.json');
    event.queryStringParameters = { foo: '1' };

    const result = await handler(event);

    expect(result.statusCode).toBe(400);
    expect(body(result)).toMatchObject({
      details: [{ field: 'foo', message: 'is not a known query parameter' }],
    });
    expect(dynamo).not.toHaveReceivedCommand(GetCommand);
  });

  it('answers 400 for an id that is not a request id', async () => {
    const event = apiFixture('gdpr/get-erasure-request.json');
    event.pathParameters = { id: 'not-an-id' };

    const result = await handler(event);

    expect(result.statusCode).toBe(400);
    expect(dynamo).not.toHaveReceivedCommand(GetCommand);
  });
});
