import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { SendEmailCommand } from '@aws-sdk/client-ses';
import { SendTaskFailureCommand, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type * as z from 'zod/mini';
import { dynamo } from '#clients/dynamodb';
import { ses } from '#clients/ses';
import { sfnSingleAttempt } from '#clients/sfn';
import { HttpError, NotFoundError } from '#shared/errors';
import { correlate } from '#shared/handler';
import { logger } from '#shared/logger';
import { fullJitterBackoffMs, type RetryOptions, sleep } from '#shared/retry';
import {
  type ApprovalLink,
  approvalLinkUrl,
  isApprovalId,
  type LinkParameters,
  newApprovalId,
  verifyApprovalLink,
} from './approval-links';
import { composeApprovalEmail } from './approval-pages';
import {
  type ApprovalDecision,
  type ApprovalItem,
  ERASURE_REJECTED,
  erasureKeys,
  type ResourceCounts,
  type requestApprovalInputSchema,
} from './erasure';
import { ErasureRequestNotFoundError, getErasureRequest } from './erasure-requests';
import { hashUserId, loadGdprKeys } from './gdpr-keys';

/**
 * The approval step of the erasure flow. The waiting task's token is stored server-side against
 * a random approval id; the approver gets signed links (approval-links.ts) that open a
 * confirmation page (GET, changes nothing); the page's form POSTs the decision, which is recorded
 * with a conditional write and only then handed to Step Functions. A decision Step Functions
 * certainly did not take (it refused the call) is taken back. A decision whose delivery cannot be
 * known (a timeout or a 5xx: the call may have gone through) is kept and marked unconfirmed, so
 * the table never says PENDING while the execution purges; if it did not arrive, the reminder
 * finds it unconfirmed and asks the approver again.
 *
 * Approval status stays within the contract (PENDING | APPROVED | REJECTED): an approval whose
 * window has closed is a PENDING one whose `expiresAt` has passed; every link to it answers 410.
 */

export type RequestApprovalInput = z.infer<typeof requestApprovalInputSchema>;

// ------------------------------------------------------------------ errors

/** REMINDER for a request without an approval, or an approval item that is missing. Not retryable. */
export class ApprovalNotFoundError extends Error {
  override readonly name = 'ApprovalNotFoundError';
}

/**
 * The approval is recorded as decided while a task still waits for it: a decision is being handed
 * to Step Functions with a token that has just timed out, and will be taken back within seconds.
 * Retry the task (a few attempts, a few seconds apart).
 */
export class ApprovalNotPendingError extends Error {
  override readonly name = 'ApprovalNotPendingError';
}

/** Another invocation recorded a different approval on the request meanwhile. Retrying reuses it. */
export class ApprovalConflictError extends Error {
  override readonly name = 'ApprovalConflictError';
}

/** 403: a link that is malformed, altered or not signed with our key. */
export class ApprovalLinkInvalidError extends HttpError {
  override readonly name = 'ApprovalLinkInvalidError';
  constructor(
    message = 'This link is incomplete or has been altered. Use the links in the approval email as they are.',
  ) {
    super(403, 'INVALID_LINK', message);
  }
}

/** 410: the link or the approval window has expired. */
export class ApprovalExpiredError extends HttpError {
  override readonly name = 'ApprovalExpiredError';
  constructor(message = 'This link has expired: the approval window has closed.') {
    super(410, 'EXPIRED', message);
  }
}

/** 409: a decision on this approval has already been recorded. */
export class ApprovalAlreadyDecidedError extends HttpError {
  override readonly name = 'ApprovalAlreadyDecidedError';
  constructor(message = 'This erasure request has already been decided; the link cannot be used again.') {
    super(409, 'ALREADY_DECIDED', message);
  }
}

/**
 * 503: the decision is recorded but Step Functions did not confirm it received it (a timeout or a
 * server error: the call may have gone through). The decision is kept, never taken back.
 */
export class ApprovalDeliveryUnconfirmedError extends HttpError {
  override readonly name = 'ApprovalDeliveryUnconfirmedError';
  constructor(
    message = 'Your decision has been recorded, but the erasure flow did not confirm that it received it. Do not submit it again. If it did not arrive, you will receive a reminder email asking for your decision again before the approval window closes.',
  ) {
    super(503, 'DELIVERY_UNCONFIRMED', message);
  }
}

/** 503: Step Functions could not take the decision now; nothing was recorded. */
export class ApprovalUnavailableError extends HttpError {
  override readonly name = 'ApprovalUnavailableError';
  constructor(
    message = 'The decision could not be delivered and was not recorded. Please try again in a minute.',
  ) {
    super(503, 'UNAVAILABLE', message);
  }
}

// ------------------------------------------------------------------ table access

const STATUS = { '#status': 'status' } as const;
const isConditionFailure = (error: unknown) => error instanceof ConditionalCheckFailedException;

async function getApproval(tableName: string, approvalId: string): Promise<ApprovalItem | undefined> {
  const { Item } = await dynamo.send(
    new GetCommand({ TableName: tableName, Key: erasureKeys.approval(approvalId), ConsistentRead: true }),
  );
  return Item as ApprovalItem | undefined;
}

/** Why an existing approval can no longer be decided, if it cannot. */
function refusalFor(approval: ApprovalItem, now: Date): HttpError | undefined {
  if (approval.status !== 'PENDING') return new ApprovalAlreadyDecidedError();
  if (approval.expiresAt <= now.toISOString()) return new ApprovalExpiredError();
  return undefined;
}

// ------------------------------------------------------------------ request approval (task)

export interface RequestApprovalSettings {
  tableName: string;
  secretId: string;
  senderEmail: string;
  approverEmail: string;
  /** Base URL of the HTTP API serving /gdpr/approvals/{approvalId}, without a trailing slash. */
  approvalBaseUrl: string;
}

export interface ApprovalRequested {
  approvalId: string;
  /** True when this invocation created the approval (false: a retried FIRST or a REMINDER). */
  created: boolean;
  expiresAt: string;
}

/**
 * "Request approval" (FIRST) and "Send reminder" (REMINDER): stores the task token against the
 * request's approval — created on the first call, reused by retries and the reminder — with a
 * window of `decisionWindowSeconds` from now, then emails the approver signed links.
 */
export async function requestApproval(
  settings: RequestApprovalSettings,
  input: RequestApprovalInput,
  now = new Date(),
): Promise<ApprovalRequested> {
  const keys = await loadGdprKeys(settings.secretId);
  const request = await getErasureRequest(settings.tableName, input.requestId);
  if (!request) throw new ErasureRequestNotFoundError(`Erasure request ${input.requestId} does not exist`);
  const expires = Math.floor(now.getTime() / 1000) + input.decisionWindowSeconds;
  const expiresAt = new Date(expires * 1000).toISOString();
  const window = { taskToken: input.taskToken, expiresAt, report: input.report };

  let approvalId = request.approvalId;
  let created = false;
  if (input.phase === 'REMINDER') {
    if (!approvalId)
      throw new ApprovalNotFoundError(`Erasure request ${input.requestId} has no approval to remind of`);
    await renewApproval(settings.tableName, approvalId, window, now);
  } else {
    if (approvalId) {
      await renewApproval(settings.tableName, approvalId, window);
    } else {
      approvalId = newApprovalId();
      await createApproval(settings.tableName, approvalId, input.requestId, window);
      created = true;
    }
    await markAwaitingApproval(settings.tableName, input.requestId, approvalId, now);
  }

  const link = (decision: ApprovalLink['decision']) =>
    approvalLinkUrl(settings.approvalBaseUrl, keys.linkSigning, { approvalId, decision, expires });
  const email = composeApprovalEmail({
    requestId: input.requestId,
    counts: input.report.counts,
    total: input.report.total,
    reportSha256: input.report.reportSha256,
    reportKey: input.report.reportKey,
    expiresAt: new Date(expiresAt),
    approveUrl: link('approve'),
    rejectUrl: link('reject'),
    reminder: input.phase === 'REMINDER',
  });
  await ses.send(
    new SendEmailCommand({
      Source: settings.senderEmail,
      Destination: { ToAddresses: [settings.approverEmail] },
      Message: {
        Subject: { Data: email.subject, Charset: 'UTF-8' },
        Body: { Text: { Data: email.text, Charset: 'UTF-8' }, Html: { Data: email.html, Charset: 'UTF-8' } },
      },
    }),
  );
  return { approvalId, created, expiresAt };
}

interface ApprovalWindow {
  taskToken: string;
  expiresAt: string;
  report: RequestApprovalInput['report'];
}

async function createApproval(
  tableName: string,
  approvalId: string,
  requestId: string,
  window: ApprovalWindow,
) {
  const item: ApprovalItem = {
    ...erasureKeys.approval(approvalId),
    entity: 'approval',
    approvalId,
    requestId,
    taskToken: window.taskToken,
    reportSha256: window.report.reportSha256,
    counts: window.report.counts as ResourceCounts,
    expiresAt: window.expiresAt,
    status: 'PENDING',
  };
  await dynamo.send(
    new PutCommand({ TableName: tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }),
  );
}

/**
 * Replaces the token and the window of a PENDING approval; `remindedAt` set for a reminder. A
 * decision whose delivery was never confirmed is asked again (back to PENDING): a new task waits,
 * so the task the decision was sent to has ended without it.
 */
async function renewApproval(
  tableName: string,
  approvalId: string,
  window: ApprovalWindow,
  remindedAt?: Date,
) {
  try {
    await dynamo.send(
      new UpdateCommand({
        TableName: tableName,
        Key: erasureKeys.approval(approvalId),
        UpdateExpression: `SET taskToken = :token, expiresAt = :expiresAt, reportSha256 = :sha, #counts = :counts, #status = :pending${
          remindedAt ? ', remindedAt = :remindedAt' : ''
        } REMOVE deliveryUnconfirmedAt, decidedAt, approverHash`,
        ConditionExpression:
          'attribute_exists(pk) AND (#status = :pending OR attribute_exists(deliveryUnconfirmedAt))',
        ExpressionAttributeNames: { ...STATUS, '#counts': 'counts' },
        ExpressionAttributeValues: {
          ':token': window.taskToken,
          ':expiresAt': window.expiresAt,
          ':sha': window.report.reportSha256,
          ':counts': window.report.counts,
          ':pending': 'PENDING',
          ...(remindedAt ? { ':remindedAt': remindedAt.toISOString() } : {}),
        },
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    const current = await getApproval(tableName, approvalId);
    if (!current) throw new ApprovalNotFoundError(`Approval ${approvalId} does not exist`);
    throw new ApprovalNotPendingError(`Approval ${approvalId} is ${current.status}, not PENDING`);
  }
}

async function markAwaitingApproval(tableName: string, requestId: string, approvalId: string, now: Date) {
  try {
    await dynamo.send(
      new UpdateCommand({
        TableName: tableName,
        Key: erasureKeys.request(requestId),
        UpdateExpression: 'SET approvalId = :approvalId, #status = :awaiting, updatedAt = :now',
        ConditionExpression:
          'attribute_exists(pk) AND (attribute_not_exists(approvalId) OR approvalId = :approvalId)',
        ExpressionAttributeNames: STATUS,
        ExpressionAttributeValues: {
          ':approvalId': approvalId,
          ':awaiting': 'AWAITING_APPROVAL',
          ':now': now.toISOString(),
        },
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    throw new ApprovalConflictError(`Erasure request ${requestId} is missing or has another approval`);
  }
}

// ------------------------------------------------------------------ links (GET and POST)

export interface OpenedApproval {
  approval: ApprovalItem;
  link: ApprovalLink;
  signature: string;
}

/**
 * Checks a link — signature (403), expiry (410) — and then its approval: unknown (404), decided
 * (409), window closed (410). Reads only.
 */
export async function openApproval(
  settings: { tableName: string; secretId: string },
  parameters: LinkParameters,
  now = new Date(),
): Promise<OpenedApproval> {
  const keys = await loadGdprKeys(settings.secretId);
  const check = verifyApprovalLink(keys.linkSigning, parameters, now);
  if (isApprovalId(parameters.approvalId)) correlate({ approvalId: parameters.approvalId });
  if (!check.valid) {
    logger.info('Approval link refused', { reason: check.reason });
    if (check.reason === 'expired') throw new ApprovalExpiredError();
    throw new ApprovalLinkInvalidError();
  }
  const approval = await getApproval(settings.tableName, check.link.approvalId);
  if (!approval) throw new NotFoundError('This approval does not exist.');
  correlate({ erasureRequestId: approval.requestId });
  const refusal = refusalFor(approval, now);
  if (refusal) throw refusal;
  return { approval, link: check.link, signature: String(parameters.signature) };
}

// ------------------------------------------------------------------ decide (POST)

export interface DecideSettings {
  tableName: string;
  secretId: string;
  /** The signed-in approver's id (the JWT `sub`): recorded only as its keyed hash. */
  approverId: string;
}

export interface DecisionTaken {
  decision: 'APPROVED' | 'REJECTED';
  requestId: string;
}

/** Step Functions' answers for a token that can no longer be used. */
const TOKEN_GONE = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);

/**
 * Answers with which Step Functions refused a call without acting on it (besides any 4xx answer
 * by its status code): the token answers above, throttling, and a request that was
 * never sent because no credentials could be loaded.
 */
const REFUSALS = new Set([
  ...TOKEN_GONE,
  'InvalidOutput',
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'AccessDeniedException',
  'ValidationException',
  'CredentialsProviderError',
]);

/** Attempts per decision; only an attempt whose outcome is unknown (timeout, 5xx) is repeated. */
const DELIVERY_ATTEMPTS = 3;

/**
 * - `delivered`: Step Functions took the decision;
 * - `refused`: it certainly did not (every attempt was refused before it acted): safe to take back;
 * - `unconfirmed`: an attempt may have gone through unanswered, so a later refusal proves nothing
 *   (a retry of a call that went through answers TaskTimedOut or InvalidToken, as for a gone token).
 */
type Delivery =
  | { outcome: 'delivered' }
  | { outcome: 'refused'; error: string }
  | { outcome: 'unconfirmed'; error: string };

const errorName = (error: unknown) => (error instanceof Error ? error.name : 'unknown');
/** A 4xx answer (the status code, not `$fault`: older error parsers mark every unmodelled error `client`). */
const isRefusal = (error: unknown) => {
  const status = (error as { $metadata?: { httpStatusCode?: unknown } } | null)?.$metadata?.httpStatusCode;
  return (typeof status === 'number' && status >= 400 && status < 500) || REFUSALS.has(errorName(error));
};

/**
 * Sends the decision, one call per attempt (the client makes no retries of its own, see
 * #clients/sfn), repeating only attempts that may or may not have gone through, and says what is
 * known about its delivery.
 */
async function deliverDecision(send: () => Promise<unknown>, options: RetryOptions): Promise<Delivery> {
  const wait = options.wait ?? sleep;
  let uncertain = false;
  for (let attempt = 1; ; attempt++) {
    try {
      await send();
      return { outcome: 'delivered' };
    } catch (error) {
      const name = errorName(error);
      if (isRefusal(error))
        return uncertain ? { outcome: 'unconfirmed', error: name } : { outcome: 'refused', error: name };
      uncertain = true;
      if (attempt >= DELIVERY_ATTEMPTS) return { outcome: 'unconfirmed', error: name };
      await wait(fullJitterBackoffMs(attempt, 200, 800));
    }
  }
}

/**
 * Records the decision (PENDING → APPROVED | REJECTED, conditional on the approval still being
 * PENDING and within its window) and hands it to the waiting execution. Every refusal happens
 * before a write; a replay loses the conditional write and never reaches Step Functions. A
 * decision Step Functions refused is taken back (410 when its token is gone, else 503 "try
 * again"); one whose delivery is unknown is kept and marked unconfirmed (503, "do not resubmit").
 */
export async function decideApproval(
  settings: DecideSettings,
  parameters: LinkParameters,
  now = new Date(),
  options: RetryOptions = {},
): Promise<DecisionTaken> {
  const { approval, link } = await openApproval(settings, parameters, now);
  const approverHash = hashUserId(await loadGdprKeys(settings.secretId), settings.approverId);
  const decision = link.decision === 'approve' ? 'APPROVED' : 'REJECTED';
  const decidedAt = now.toISOString();
  const recorded = await recordDecision(settings.tableName, approval.approvalId, {
    decision,
    decidedAt,
    approverHash,
    now,
  });
  const output: ApprovalDecision = {
    decision: 'APPROVED',
    approverHash,
    reportSha256: recorded.reportSha256,
    decidedAt,
  };
  const send = () =>
    decision === 'APPROVED'
      ? sfnSingleAttempt.send(
          new SendTaskSuccessCommand({ taskToken: recorded.taskToken, output: JSON.stringify(output) }),
        )
      : sfnSingleAttempt.send(
          new SendTaskFailureCommand({
            taskToken: recorded.taskToken,
            error: ERASURE_REJECTED,
            cause: JSON.stringify({ approverHash, decidedAt }),
          }),
        );
  const delivery = await deliverDecision(send, options);
  const recordedDecision = { approvalId: approval.approvalId, decision, decidedAt };
  if (delivery.outcome === 'delivered') {
    await markDelivered(settings.tableName, recordedDecision);
    return { decision, requestId: approval.requestId };
  }

  if (delivery.outcome === 'unconfirmed') {
    // recordDecision marked it unconfirmed; it stays so.
    logger.error('Step Functions did not confirm the decision; it is kept, marked unconfirmed', {
      error: delivery.error,
    });
    throw new ApprovalDeliveryUnconfirmedError();
  }
  const tokenGone = TOKEN_GONE.has(delivery.error);
  logger.warn('Step Functions refused the decision; taking it back', { error: delivery.error, tokenGone });
  await takeBackDecision(settings.tableName, recordedDecision);
  if (tokenGone) {
    throw new ApprovalExpiredError(
      'The approval window has closed: the erasure flow no longer waits for this decision. If a reminder email arrives, use its links.',
    );
  }
  throw new ApprovalUnavailableError();
}

async function recordDecision(
  tableName: string,
  approvalId: string,
  entry: { decision: 'APPROVED' | 'REJECTED'; decidedAt: string; approverHash: string; now: Date },
): Promise<ApprovalItem> {
  try {
    const { Attributes } = await dynamo.send(
      new UpdateCommand({
        TableName: tableName,
        Key: erasureKeys.approval(approvalId),
        // Unconfirmed until Step Functions takes it: an invocation killed while delivering leaves
        // a state the reminder recovers from (it asks again).
        UpdateExpression:
          'SET #status = :decision, decidedAt = :decidedAt, approverHash = :approverHash, deliveryUnconfirmedAt = :decidedAt',
        ConditionExpression: 'attribute_exists(pk) AND #status = :pending AND expiresAt > :now',
        ExpressionAttributeNames: STATUS,
        ExpressionAttributeValues: {
          ':decision': entry.decision,
          ':decidedAt': entry.decidedAt,
          ':approverHash': entry.approverHash,
          ':pending': 'PENDING',
          ':now': entry.now.toISOString(),
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return Attributes as ApprovalItem;
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    // Lost a race since the read: tell a replay (decided) from a window that just closed.
    const current = await getApproval(tableName, approvalId);
    if (!current) throw new NotFoundError('This approval does not exist.');
    throw refusalFor(current, entry.now) ?? new ApprovalAlreadyDecidedError();
  }
}

interface RecordedDecision {
  approvalId: string;
  decision: string;
  decidedAt: string;
}

/** An update of the approval, only while it still holds the decision this invocation recorded. */
function updateRecordedDecision(
  tableName: string,
  recorded: RecordedDecision,
  updateExpression: string,
  values: Record<string, string> = {},
) {
  return dynamo.send(
    new UpdateCommand({
      TableName: tableName,
      Key: erasureKeys.approval(recorded.approvalId),
      UpdateExpression: updateExpression,
      ConditionExpression: '#status = :decision AND decidedAt = :decidedAt',
      ExpressionAttributeNames: STATUS,
      ExpressionAttributeValues: {
        ...values,
        ':decision': recorded.decision,
        ':decidedAt': recorded.decidedAt,
      },
    }),
  );
}

/** Clears the unconfirmed mark; failing to is harmless (a delivered decision is never asked again). */
async function markDelivered(tableName: string, recorded: RecordedDecision) {
  try {
    await updateRecordedDecision(tableName, recorded, 'REMOVE deliveryUnconfirmedAt');
  } catch (error) {
    if (!isConditionFailure(error))
      logger.warn('Could not clear the unconfirmed mark of a delivered decision', {
        error: errorName(error),
      });
  }
}

/** Back to PENDING, only if the decision is still the one this invocation wrote. */
async function takeBackDecision(tableName: string, recorded: RecordedDecision) {
  try {
    await updateRecordedDecision(
      tableName,
      recorded,
      'SET #status = :pending REMOVE decidedAt, approverHash, deliveryUnconfirmedAt',
      { ':pending': 'PENDING' },
    );
  } catch (error) {
    if (isConditionFailure(error)) return;
    logger.error('Could not take back an undelivered decision', error as Error);
    throw new ApprovalUnavailableError(
      'The decision could not be delivered. Please try again in a minute; if the link then says it was already decided, contact the operators.',
    );
  }
}
