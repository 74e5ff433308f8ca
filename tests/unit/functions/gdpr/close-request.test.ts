import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { fixture } from '../../../helpers/fixtures';
import { handlerOf, REQUEST_ID } from './setup';

const dynamo = mockClient(DynamoDBDocumentClient);
const USER_HASH = 'c'.repeat(64);
const requestKey = { pk: `ERASURE#${REQUEST_ID}`, sk: 'ERASURE' };

const handler = handlerOf({}, () => import('../../../../functions/gdpr/close-request'));

function givenRequest(fields: Record<string, unknown>) {
  dynamo.on(GetCommand, { Key: requestKey }).resolves({
    Item: {
      ...requestKey,
      entity: 'erasure-request',
      requestId: REQUEST_ID,
      requesterId: 'user-alice',
      userHash: USER_HASH,
      status: 'PURGING',
      createdAt: '2026-11-26T12:00:00.000Z',
      updatedAt: '2026-11-26T12:00:00.000Z',
      ...fields,
    },
  });
}

beforeEach(() => {
  dynamo.reset();
  dynamo.on(PutCommand).resolves({});
  dynamo.on(UpdateCommand).resolves({});
  dynamo.on(DeleteCommand).resolves({});
});

describe('Close request task', () => {
  it('records the outcome and the deleted counts, forgets the raw user id and returns the summary the notification carries', async () => {
    givenRequest({});

    const closed = await handler(fixture('gdpr/close-request.json'));

    expect(closed).toEqual({
      requestId: REQUEST_ID,
      status: 'COMPLETED',
      counts: { original: 2, tile: 2, scaled: 2, 'upload-record': 2, 'photo-record': 1 },
      total: 9,
      remaining: 0,
      closedNow: true,
    });
    expect(dynamo).toHaveReceivedCommandWith(UpdateCommand, {
      Key: requestKey,
      UpdateExpression: expect.stringContaining('REMOVE requesterId'),
      ExpressionAttributeValues: expect.objectContaining({
        ':outcome': 'COMPLETED',
        ':result': expect.objectContaining({
          objectsDeleted: 6,
          objectVersionsDeleted: 6,
          recordsDeleted: 3,
        }),
      }),
    });
  });

  it("appends the audit entry with the user's keyed hash, never the raw id", async () => {
    givenRequest({});

    await handler(fixture('gdpr/close-request.json'));

    const audit = dynamo.commandCalls(PutCommand).map((call) => call.args[0].input.Item ?? {});
    expect(audit).toEqual([
      expect.objectContaining({
        entity: 'erasure-audit',
        userHash: USER_HASH,
        outcome: 'COMPLETED',
        decision: 'APPROVED',
      }),
    ]);
    expect(JSON.stringify(audit)).not.toContain('user-alice');
  });

  it("lifts the user's upload hold and releases the lock, only if this request holds them", async () => {
    givenRequest({});

    await handler(fixture('gdpr/close-request.json'));

    expect(dynamo).toHaveReceivedCommandWith(DeleteCommand, {
      Key: { pk: 'UPLOAD_HOLD#user-alice', sk: 'UPLOAD_HOLD' },
      ConditionExpression: 'attribute_not_exists(pk) OR requestId = :requestId',
      ExpressionAttributeValues: { ':requestId': REQUEST_ID },
    });
    expect(dynamo).toHaveReceivedCommandWith(DeleteCommand, {
      Key: { pk: `ERASURE_ACTIVE#${USER_HASH}`, sk: 'ERASURE_ACTIVE' },
      ExpressionAttributeValues: { ':requestId': REQUEST_ID },
    });
  });

  it('leaves a request an earlier attempt closed as it is, releasing the lock again', async () => {
    givenRequest({ status: 'COMPLETED', requesterId: undefined });

    const closed = await handler(fixture('gdpr/close-request.json'));

    expect(closed).toMatchObject({ status: 'COMPLETED', closedNow: false });
    expect(dynamo).not.toHaveReceivedCommand(UpdateCommand);
    expect(dynamo).not.toHaveReceivedCommand(PutCommand);
    expect(dynamo).toHaveReceivedCommandTimes(DeleteCommand, 1);
  });

  it('fails with ErasureRequestNotFoundError for an unknown request', async () => {
    dynamo.on(GetCommand).resolves({});

    await expect(handler(fixture('gdpr/close-request.json'))).rejects.toMatchObject({
      name: 'ErasureRequestNotFoundError',
    });
  });

  it('fails with InvalidTaskInputError for an outcome the flow does not have', async () => {
    const input = { ...fixture<Record<string, unknown>>('gdpr/close-request.json'), outcome: 'DONE' };

    await expect(handler(input)).rejects.toMatchObject({ name: 'InvalidTaskInputError' });
    expect(dynamo).not.toHaveReceivedCommand(GetCommand);
  });
});
