import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import type { ApiEvent } from '#shared/http';
import { apiFixture, body } from '../../../helpers/fixtures';
import { GDPR_SECRET_ENV, handlerOf, useFrozenDateAndGdprSecret } from './setup';

const dynamo = mockClient(DynamoDBDocumentClient);
const eventBridge = mockClient(EventBridgeClient);
useFrozenDateAndGdprSecret();

const handler = handlerOf<APIGatewayProxyStructuredResultV2>(GDPR_SECRET_ENV, async () => {
  const { handler: route } = await import('../../../../functions/gdpr/create-erasure-request');
  return { handler: (event: unknown) => route(event as ApiEvent) };
});

const request = (change: Partial<ApiEvent> = {}) => ({
  ...apiFixture('gdpr/create-erasure-request.json'),
  ...change,
});

beforeEach(() => {
  dynamo.reset();
  eventBridge.reset();
  dynamo.on(PutCommand).resolves({});
  eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
});

describe('POST /gdpr/erasure-requests', () => {
  it("opens a request for the token's user and announces it, without the user id", async () => {
    const result = await handler(request());

    expect(result.statusCode).toBe(202);
    expect(body(result)).toMatchObject({ status: 'REQUESTED' });
    expect(dynamo).toHaveReceivedCommandWith(PutCommand, {
      Item: expect.objectContaining({ entity: 'erasure-request', requesterId: 'user-alice' }),
    });
    const entries = eventBridge
      .commandCalls(PutEventsCommand)
      .flatMap((call) => call.args[0].input.Entries ?? []);
    expect(entries.map((entry) => entry.DetailType)).toEqual(['erasureRequested']);
    expect(JSON.stringify(entries)).not.toContain('user-alice');
  });

  it('accepts an empty JSON object as the body', async () => {
    const result = await handler(request({ body: '{}' }));

    expect(result.statusCode).toBe(202);
  });

  it('answers 400 naming a body field, e.g. userId, and opens nothing', async () => {
    const result = await handler(request({ body: JSON.stringify({ userId: 'someone-else' }) }));

    expect(result.statusCode).toBe(400);
    expect(body(result)).toMatchObject({
      code: 'INVALID_REQUEST',
      details: [{ field: 'userId', message: 'is not a known field' }],
    });
    expect(dynamo).not.toHaveReceivedCommand(PutCommand);
    expect(eventBridge).not.toHaveReceivedCommand(PutEventsCommand);
  });

  it('answers 400 to a body that is not JSON', async () => {
    const result = await handler(request({ body: 'userId=someone-else' }));

    expect(result.statusCode).toBe(400);
    expect(dynamo).not.toHaveReceivedCommand(PutCommand);
  });

  it('answers 413 to a body over 16 KiB', async () => {
    const result = await handler(request({ body: JSON.stringify({ padding: 'x'.repeat(16 * 1024) }) }));

    expect(result.statusCode).toBe(413);
    expect(dynamo).not.toHaveReceivedCommand(PutCommand);
  });

  it('answers 400 naming an unknown query parameter', async () => {
    const result = await handler(request({ queryStringParameters: { foo: '1' } }));

    expect(result.statusCode).toBe(400);
    expect(body(result)).toMatchObject({
      details: [{ field: 'foo', message: 'is not a known query parameter' }],
    });
    expect(dynamo).not.toHaveReceivedCommand(PutCommand);
  });

  it('answers 401 without a verified subject', async () => {
    const event = request();
    event.requestContext.authorizer.jwt.claims = {};

    const result = await handler(event);

    expect(result.statusCode).toBe(401);
    expect(dynamo).not.toHaveReceivedCommand(GetCommand);
  });
});
