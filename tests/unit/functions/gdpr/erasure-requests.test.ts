import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { ConflictError } from '#shared/errors';
import type {
  CloseRequestInput,
  ErasureRequestItem,
  ErasureStatus,
} from '../../../../functions/gdpr/erasure';
import {
  closeDetailsFromState,
  closeErasureRequest,
  openErasureRequest,
} from '../../../../functions/gdpr/erasure-requests';

const dynamo = mockClient(DynamoDBDocumentClient);

const TABLE = 'app-table';
const USER = { userId: 'user-alice', userHash: 'a'.repeat(64) };
const NOW = new Date('2026-11-26T12:00:00.000Z');
const lockKey = { pk: `ERASURE_ACTIVE#${USER.userHash}`, sk: 'ERASURE_ACTIVE' };
const STALE = '11111111-1111-4111-8111-111111111111';
const WINNER = '22222222-2222-4222-8222-222222222222';
const requestKey = (requestId: string) => ({ pk: `ERASURE#${requestId}`, sk: 'ERASURE' as const });

const conditionFailed = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

const waits: number[] = [];
const wait = async (ms: number) => {
  waits.push(ms);
};

function requestItem(requestId: string, status: ErasureStatus): ErasureRequestItem {
  return {
    ...requestKey(requestId),
    entity: 'erasure-request',
    requestId,
    userHash: USER.userHash,
    status,
    createdAt: '2026-11-26T11:59:59.000Z',
    updatedAt: '2026-11-26T11:59:59.000Z',
  };
}

const lockOf = (requestId: string) => ({ Item: { ...lockKey, entity: 'erasure-lock', requestId } });

/** Lock writes lose (with `condition`, only the writes with that condition); request writes succeed. */
function lockWritesLose(condition?: string) {
  dynamo.on(PutCommand).callsFake((input: { Item: { pk: string }; ConditionExpression?: string }) => {
    const lost = input.Item.pk === lockKey.pk && (!condition || input.ConditionExpression === condition);
    if (lost) throw conditionFailed();
    return {};
  });
}

beforeEach(() => {
  waits.length = 0;
  dynamo.reset();
  dynamo.on(PutCommand).resolves({});
});

describe('opening an erasure request', () => {
  it("takes the lock, then holds the user's uploads, then stores the request with the raw user id while it is open", async () => {
    const { request, created } = await openErasureRequest(TABLE, USER, NOW);

    expect(created).toBe(true);
    expect(request).toMatchObject({ status: 'REQUESTED', requesterId: USER.userId, userHash: USER.userHash });
    expect(dynamo).toHaveReceivedNthSpecificCommandWith(1, PutCommand, {
      Item: expect.objectContaining({ ...lockKey, requestId: request.requestId }),
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    expect(dynamo).toHaveReceivedNthSpecificCommandWith(2, PutCommand, {
      Item: {
        pk: `UPLOAD_HOLD#${USER.userId}`,
        sk: 'UPLOAD_HOLD',
        entity: 'upload-hold',
        requestId: request.requestId,
        createdAt: NOW.toISOString(),
      },
    });
    expect(dynamo).toHaveReceivedNthSpecificCommandWith(3, PutCommand, {
      Item: request,
      ConditionExpression: 'attribute_not_exists(pk)',
    });
  });

  it("returns the user's active request instead of opening a second one", async () => {
    lockWritesLose();
    dynamo.on(GetCommand, { Key: lockKey }).resolves(lockOf(WINNER));
    dynamo.on(GetCommand, { Key: requestKey(WINNER) }).resolves({ Item: requestItem(WINNER, 'PURGING') });

    const { request, created } = await openErasureRequest(TABLE, USER, NOW);

    expect(created).toBe(false);
    expect(request.requestId).toBe(WINNER);
    expect(dynamo).toHaveReceivedCommandTimes(PutCommand, 1);
  });

  it('takes over a lock left behind by a closed request', async () => {
    lockWritesLose('attribute_not_exists(pk)');
    dynamo.on(GetCommand, { Key: lockKey }).resolves(lockOf(STALE));
    dynamo.on(GetCommand, { Key: requestKey(STALE) }).resolves({ Item: requestItem(STALE, 'COMPLETED') });

    const { request, created } = await openErasureRequest(TABLE, USER, NOW);

    expect(created).toBe(true);
    expect(dynamo).toHaveReceivedCommandWith(PutCommand, {
      Item: expect.objectContaining({ ...lockKey, requestId: request.requestId }),
      ConditionExpression: 'attribute_not_exists(pk) OR requestId = :stale',
      ExpressionAttributeValues: { ':stale': STALE },
    });
  });

  describe('when another request takes over the same stale lock at the same time', () => {
    beforeEach(() => {
      // Both the first lock write and the takeover lose: the other request got there first.
      lockWritesLose();
      dynamo.on(GetCommand, { Key: requestKey(STALE) }).resolves({ Item: requestItem(STALE, 'EXPIRED') });
    });

    it("returns the winner's request, without storing a request of its own", async () => {
      dynamo.on(GetCommand, { Key: lockKey }).resolvesOnce(lockOf(STALE)).resolves(lockOf(WINNER));
      dynamo.on(GetCommand, { Key: requestKey(WINNER) }).resolves({ Item: requestItem(WINNER, 'REQUESTED') });

      const { request, created } = await openErasureRequest(TABLE, USER, NOW, { wait });

      expect(created).toBe(false);
      expect(request).toEqual(requestItem(WINNER, 'REQUESTED'));
      expect(dynamo).not.toHaveReceivedCommandWith(PutCommand, {
        Item: expect.objectContaining({ entity: 'erasure-request' }),
      });
      expect(waits).toEqual([]);
    });

    it("reads again until the winner's request is written", async () => {
      dynamo.on(GetCommand, { Key: lockKey }).resolvesOnce(lockOf(STALE)).resolves(lockOf(WINNER));
      dynamo
        .on(GetCommand, { Key: requestKey(WINNER) })
        .resolvesOnce({})
        .resolves({ Item: requestItem(WINNER, 'REQUESTED') });

      const { request, created } = await openErasureRequest(TABLE, USER, NOW, { wait });

      expect(created).toBe(false);
      expect(request.requestId).toBe(WINNER);
      expect(waits).toHaveLength(1);
    });

    it('answers a conflict to retry, not an internal error, when the winner never shows up', async () => {
      dynamo.on(GetCommand, { Key: lockKey }).resolvesOnce(lockOf(STALE)).resolves(lockOf(WINNER));
      dynamo.on(GetCommand, { Key: requestKey(WINNER) }).resolves({});

      const opening = openErasureRequest(TABLE, USER, NOW, { wait });

      await expect(opening).rejects.toBeInstanceOf(ConflictError);
      await expect(opening).rejects.toMatchObject({ statusCode: 409 });
      expect(waits).toHaveLength(4);
    });
  });
});

describe('the audit entry of a closed request', () => {
  const REQUEST = '33333333-3333-4333-8333-333333333333';
  const report = { reportKey: 'reports/x/report.json', reportSha256: 'b'.repeat(64), counts: {}, total: 3 };
  const approval = {
    decision: 'APPROVED',
    approver: 'dpo@example.com',
    reportSha256: 'b'.repeat(64),
    decidedAt: '2026-11-26T11:00:00.000Z',
  };
  const rejection = {
    Error: 'ErasureRejected',
    Cause: JSON.stringify({ approver: 'dpo@example.com', decidedAt: '2026-11-26T11:00:00.000Z' }),
  };
  const state = (fields: Partial<CloseRequestInput>): CloseRequestInput => ({
    requestId: REQUEST,
    outcome: 'FAILED',
    ...fields,
  });

  it.each([
    ['APPROVED', 'the purge completed', state({ outcome: 'COMPLETED', report, approval })],
    [
      'APPROVED',
      'the purge failed after approval',
      state({ report, approval, error: { Error: 'ObjectsNotDeletedError' } }),
    ],
    ['REJECTED', 'the approver rejected', state({ outcome: 'REJECTED', report, rejection })],
    ['EXPIRED', 'nobody decided in time', state({ outcome: 'EXPIRED', report })],
    ['NONE', 'there was nothing to delete', state({ outcome: 'NOTHING_TO_DELETE', report })],
    ['NONE', 'the flow failed before a decision', state({ error: { Error: 'AccessDeniedException' } })],
  ] as const)('records the decision %s when %s', async (decision, _, closing) => {
    dynamo.on(GetCommand).resolves({ Item: requestItem(REQUEST, 'PURGING') });
    dynamo.on(UpdateCommand).resolves({});

    await closeErasureRequest(TABLE, REQUEST, closeDetailsFromState(closing), NOW);

    expect(dynamo).toHaveReceivedCommandWith(PutCommand, {
      Item: expect.objectContaining({ entity: 'erasure-audit', outcome: closing.outcome, decision }),
      ConditionExpression: 'attribute_not_exists(pk)',
    });
  });
});
