import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from '#clients/dynamodb';
import { ConflictError } from '#shared/errors';
import { keys } from '#shared/model';
import { type RetryOptions, sleep } from '#shared/retry';
import {
  type AuditDecision,
  type CloseRequestInput,
  type ErasureRequestItem,
  type ErasureStatus,
  erasureKeys,
  type ResourceCounts,
  TERMINAL_STATUSES,
} from './erasure';

/**
 * Erasure requests: one active request per user (a lock item keyed by the user's hash), the
 * request record, closing it with an append-only audit entry.
 */

export interface OpenedRequest {
  request: ErasureRequestItem;
  /** False when the user already had an active request, which is returned instead. */
  created: boolean;
}

async function getRequest(tableName: string, requestId: string): Promise<ErasureRequestItem | undefined> {
  const { Item } = await dynamo.send(
    new GetCommand({ TableName: tableName, Key: erasureKeys.request(requestId), ConsistentRead: true }),
  );
  return Item as ErasureRequestItem | undefined;
}

export { getRequest as getErasureRequest };

const isTerminal = (status: ErasureStatus) => TERMINAL_STATUSES.includes(status);

/**
 * Opens an erasure request for `userId`, or returns the user's active one. The lock item is taken
 * first with a conditional write; a lock left behind by a crash (its request missing or closed)
 * is taken over, so a user is never stuck. Then the user's upload hold is written (no upload
 * ticket is issued while it exists) and only then the request, so the flow, which starts from the
 * request, never reads the user's data before the hold is in place.
 */
export async function openErasureRequest(
  tableName: string,
  user: { userId: string; userHash: string },
  now = new Date(),
  options: RetryOptions = {},
): Promise<OpenedRequest> {
  const lockKey = erasureKeys.activeRequest(user.userHash);
  const requestId = randomUUID();
  const timestamp = now.toISOString();
  try {
    await dynamo.send(
      new PutCommand({
        TableName: tableName,
        Item: { ...lockKey, entity: 'erasure-lock', requestId, createdAt: timestamp },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    const { Item: lock } = await dynamo.send(
      new GetCommand({ TableName: tableName, Key: lockKey, ConsistentRead: true }),
    );
    const active = lock ? await getRequest(tableName, String(lock.requestId)) : undefined;
    if (active && !isTerminal(active.status)) return { request: active, created: false };
    // A stale lock: take it over, unless another request took it meanwhile.
    try {
      await dynamo.send(
        new PutCommand({
          TableName: tableName,
          Item: { ...lockKey, entity: 'erasure-lock', requestId, createdAt: timestamp },
          ConditionExpression: 'attribute_not_exists(pk) OR requestId = :stale',
          ExpressionAttributeValues: { ':stale': lock?.requestId ?? '' },
        }),
      );
    } catch (takeoverError) {
      if (!(takeoverError instanceof ConditionalCheckFailedException)) throw takeoverError;
      return { request: await winnerOf(tableName, lockKey, options), created: false };
    }
  }
  await dynamo.send(
    new PutCommand({
      TableName: tableName,
      Item: { ...keys.uploadHold(user.userId), entity: 'upload-hold', requestId, createdAt: timestamp },
    }),
  );
  const request: ErasureRequestItem = {
    ...erasureKeys.request(requestId),
    entity: 'erasure-request',
    requestId,
    requesterId: user.userId,
    userHash: user.userHash,
    status: 'REQUESTED',
    createdAt: timestamp,
    updatedAt: timestamp,
  };
  await dynamo.send(
    new PutCommand({ TableName: tableName, Item: request, ConditionExpression: 'attribute_not_exists(pk)' }),
  );
  return { request, created: true };
}

/** Reads of the lock while the request that won it is being written. */
const WINNER_READS = 5;

/**
 * Another request took the lock while this one tried to: the winner's request, read again until
 * it appears (the winner writes it just after the lock). A winner that never appears, or a lock
 * that keeps changing hands, is a conflict the caller may retry (409), never a 500.
 */
async function winnerOf(
  tableName: string,
  lockKey: { pk: string; sk: string },
  options: RetryOptions,
): Promise<ErasureRequestItem> {
  const wait = options.wait ?? sleep;
  for (let read = 1; read <= WINNER_READS; read++) {
    const { Item: lock } = await dynamo.send(
      new GetCommand({ TableName: tableName, Key: lockKey, ConsistentRead: true }),
    );
    const winner = lock ? await getRequest(tableName, String(lock.requestId)) : undefined;
    if (winner) return winner;
    if (read < WINNER_READS) await wait(50 * read);
  }
  throw new ConflictError('Another erasure request of yours is being opened; try again in a moment.');
}

/** The request if it belongs to the user with `userHash`; other users' requests do not exist for them. */
export async function findOwnRequest(
  tableName: string,
  requestId: string,
  userHash: string,
): Promise<ErasureRequestItem | undefined> {
  const request = await getRequest(tableName, requestId);
  return request && request.userHash === userHash ? request : undefined;
}

export function presentErasureRequest(request: ErasureRequestItem) {
  return {
    requestId: request.requestId,
    status: request.status,
    createdAt: request.createdAt,
    updatedAt: request.updatedAt,
    ...(request.counts ? { counts: request.counts } : {}),
    ...(request.closedAt ? { closedAt: request.closedAt } : {}),
  };
}

export interface ClosedRequest {
  requestId: string;
  status: ErasureStatus;
  counts?: ResourceCounts;
  total?: number;
  remaining?: number;
  /** False when an earlier attempt had already closed it (a retried task). */
  closedNow: boolean;
}

export interface CloseDetails {
  outcome: ErasureStatus;
  /** What the approver decided, for the audit entry. */
  decision: AuditDecision;
  reportSha256?: string;
  counts?: ResourceCounts;
  total?: number;
  /** Keyed hash of the signed-in approver's id. */
  approverHash?: string;
  decidedAt?: string;
  /** Counts only: deleted, failed, remaining. */
  result: Record<string, unknown>;
  error?: string;
}

/**
 * Closes a request: records the outcome, lifts the user's upload hold, forgets the raw user id,
 * releases the user's lock and appends the audit entry (keyed user hash, decision, keyed approver hash, timestamps, report hash, counts,
 * outcome). Safe to run twice: a closed request is left as it is.
 */
export async function closeErasureRequest(
  tableName: string,
  requestId: string,
  details: CloseDetails,
  now = new Date(),
): Promise<ClosedRequest> {
  const closedAt = now.toISOString();
  const request = await getRequest(tableName, requestId);
  if (!request) throw new ErasureRequestNotFoundError(`Erasure request ${requestId} does not exist`);
  const summary = {
    requestId,
    ...(details.counts ? { counts: details.counts } : {}),
    ...(details.total !== undefined ? { total: details.total } : {}),
    ...(typeof details.result.remaining === 'number' ? { remaining: details.result.remaining } : {}),
  };
  if (isTerminal(request.status)) {
    // Closed by an earlier attempt, which may have failed just before releasing the lock.
    await releaseLock(tableName, request.userHash, requestId);
    return { ...summary, status: request.status, closedNow: false };
  }

  // The audit entry first, under a key of its own per request: a retried close finds it written.
  await dynamo
    .send(
      new PutCommand({
        TableName: tableName,
        Item: {
          ...erasureKeys.auditEntry(requestId, request.createdAt, 'CLOSED'),
          entity: 'erasure-audit',
          requestId,
          userHash: request.userHash,
          outcome: details.outcome,
          decision: details.decision,
          requestedAt: request.createdAt,
          closedAt,
          ...(details.approverHash
            ? { approverHash: details.approverHash, decidedAt: details.decidedAt }
            : {}),
          ...(details.reportSha256 ? { reportSha256: details.reportSha256 } : {}),
          ...(details.counts ? { counts: details.counts } : {}),
          result: details.result,
          ...(details.error ? { error: details.error } : {}),
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    )
    .catch((error: unknown) => {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    });

  // The hold's key holds the raw user id: lifted while the request still knows it.
  if (request.requesterId) await liftUploadHold(tableName, request.requesterId, requestId);
  try {
    await dynamo.send(
      new UpdateCommand({
        TableName: tableName,
        Key: erasureKeys.request(requestId),
        UpdateExpression:
          'SET #status = :outcome, closedAt = :now, updatedAt = :now, #result = :result' +
          (details.approverHash ? ', approverHash = :approverHash, decidedAt = :decidedAt' : '') +
          ' REMOVE requesterId',
        ConditionExpression: 'NOT #status IN (:c1, :c2, :c3, :c4, :c5, :c6)',
        ExpressionAttributeNames: { '#status': 'status', '#result': 'result' },
        ExpressionAttributeValues: {
          ':outcome': details.outcome,
          ':now': closedAt,
          ':result': details.result,
          ...(details.approverHash
            ? { ':approverHash': details.approverHash, ':decidedAt': details.decidedAt ?? closedAt }
            : {}),
          ...Object.fromEntries(TERMINAL_STATUSES.map((status, index) => [`:c${index + 1}`, status])),
        },
      }),
    );
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    const closed = await getRequest(tableName, requestId);
    await releaseLock(tableName, request.userHash, requestId);
    return { ...summary, status: closed?.status ?? details.outcome, closedNow: false };
  }

  await releaseLock(tableName, request.userHash, requestId);
  return { ...summary, status: details.outcome, closedNow: true };
}

/** Deletes the user's upload hold if this request wrote it (safe to repeat). */
async function liftUploadHold(tableName: string, userId: string, requestId: string): Promise<void> {
  try {
    await dynamo.send(
      new DeleteCommand({
        TableName: tableName,
        Key: keys.uploadHold(userId),
        ConditionExpression: 'attribute_not_exists(pk) OR requestId = :requestId',
        ExpressionAttributeValues: { ':requestId': requestId },
      }),
    );
  } catch (error) {
    // A newer request of the user holds it: not ours to lift.
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
}

/** Releases the user's lock if this request still holds it (safe to repeat). */
async function releaseLock(tableName: string, userHash: string, requestId: string): Promise<void> {
  try {
    await dynamo.send(
      new DeleteCommand({
        TableName: tableName,
        Key: erasureKeys.activeRequest(userHash),
        ConditionExpression: 'attribute_not_exists(pk) OR requestId = :requestId',
        ExpressionAttributeValues: { ':requestId': requestId },
      }),
    );
  } catch (error) {
    // Another request already holds the lock: it is not ours to release.
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
}

export class ErasureRequestNotFoundError extends Error {
  override readonly name = 'ErasureRequestNotFoundError';
}

type Json = Record<string, unknown>;
const asObject = (value: unknown): Json => (value && typeof value === 'object' ? (value as Json) : {});
const sumOf = (results: unknown, field: string) =>
  (Array.isArray(results) ? results : []).reduce(
    (total: number, result) => total + (Number(asObject(result)[field]) || 0),
    0,
  );

/**
 * What "Close request" records, from the execution state it is given: report hash and counts,
 * the decision and approver, purge and verification figures (counts only), the error name.
 */
export function closeDetailsFromState(state: CloseRequestInput): CloseDetails {
  const report = asObject(state.report);
  const approval = asObject(state.approval);
  let rejection: Json = {};
  try {
    rejection = asObject(JSON.parse(state.rejection?.Cause ?? '{}'));
  } catch {
    rejection = {};
  }
  const decided = approval.approverHash ? approval : rejection;
  const purge = asObject(state.purge);
  const remaining = asObject(asObject(state.verification).remaining);
  const result: Json = {};
  if (state.purge !== undefined) {
    result.objectsDeleted = sumOf(purge.objects, 'deleted');
    result.objectVersionsDeleted = sumOf(purge.objects, 'versionsDeleted');
    result.recordsDeleted = sumOf(purge.records, 'deleted');
    result.failed = sumOf(purge.objects, 'failed') + sumOf(purge.records, 'failed');
  }
  if (state.verification !== undefined) {
    result.remaining = Number(asObject(state.verification).total) || 0;
    result.remainingByKind = remaining;
  }
  return {
    outcome: state.outcome,
    decision: auditDecision(state),
    ...(typeof report.reportSha256 === 'string' ? { reportSha256: report.reportSha256 } : {}),
    ...(report.counts ? { counts: report.counts as ResourceCounts } : {}),
    ...(typeof report.total === 'number' ? { total: report.total } : {}),
    ...(typeof decided.approverHash === 'string' ? { approverHash: decided.approverHash } : {}),
    ...(typeof decided.decidedAt === 'string' ? { decidedAt: decided.decidedAt } : {}),
    result,
    ...(state.error?.Error ? { error: state.error.Error } : {}),
  };
}

/**
 * The decision the audit entry records: APPROVED once the approval task succeeded (whatever came
 * after), REJECTED when the approver rejected, EXPIRED when the window closed, NONE otherwise.
 */
export function auditDecision(state: CloseRequestInput): AuditDecision {
  // The approval task only succeeds with an approval: its output is what let the purge start.
  if (state.approval !== undefined) return 'APPROVED';
  if (state.rejection !== undefined || state.outcome === 'REJECTED') return 'REJECTED';
  if (state.outcome === 'EXPIRED') return 'EXPIRED';
  return 'NONE';
}
