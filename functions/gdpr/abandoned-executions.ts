import { PublishCommand } from '@aws-sdk/client-sns';
import * as z from 'zod/mini';
import { sns } from '#clients/sns';
import { type ErasureRequestItem, requestIdSchema } from './erasure';
import { type ClosedRequest, closeErasureRequest, getErasureRequest } from './erasure-requests';

/**
 * Erasure executions that end outside the flow's own steps: stopped (ABORTED), over the state
 * machine's time limit (TIMED_OUT), or failed where no Catch closed the request (FAILED). Step
 * Functions reports each on the default event bus as a "Step Functions Execution Status Change";
 * the request is then closed as the flow's own "Close request" would close it (FAILED with the
 * reason, raw user id forgotten, upload hold lifted, lock released, audit entry) and the outcome
 * topic is told. A request the flow already closed is left alone and nothing is published again.
 */

export const ABANDONED_STATUSES = ['ABORTED', 'TIMED_OUT', 'FAILED'] as const;
export type AbandonedStatus = (typeof ABANDONED_STATUSES)[number];

/** The parts of the status change event this needs; the execution name is the request id. */
export const executionStatusChangeSchema = z.object({
  source: z.literal('aws.states'),
  'detail-type': z.literal('Step Functions Execution Status Change'),
  detail: z.object({
    executionArn: z.string(),
    stateMachineArn: z.string(),
    name: requestIdSchema,
    status: z.enum(ABANDONED_STATUSES),
  }),
});

/** The error name the audit entry and the notification carry, e.g. `ExecutionAborted`. */
export function errorNameFor(status: AbandonedStatus): string {
  return { ABORTED: 'ExecutionAborted', TIMED_OUT: 'ExecutionTimedOut', FAILED: 'ExecutionFailed' }[status];
}

export interface AbandonedClose {
  closed?: ClosedRequest;
  /** True when the outcome topic was told (the request was closed by this call). */
  notified: boolean;
}

/**
 * Closes the request of an execution that ended with `status`. The purge only starts after an
 * approval, so a request stopped while PURGING records the decision APPROVED; otherwise NONE (an
 * approval still pending is void: its links answer 410 once the token is gone).
 */
export async function closeAbandonedRequest(
  settings: { tableName: string; outcomeTopicArn: string },
  requestId: string,
  status: AbandonedStatus,
  now = new Date(),
): Promise<AbandonedClose> {
  const request: ErasureRequestItem | undefined = await getErasureRequest(settings.tableName, requestId);
  if (!request) return { notified: false };
  const error = errorNameFor(status);
  const closed = await closeErasureRequest(
    settings.tableName,
    requestId,
    {
      outcome: 'FAILED',
      decision: request.status === 'PURGING' ? 'APPROVED' : 'NONE',
      ...(request.reportSha256 ? { reportSha256: request.reportSha256 } : {}),
      ...(request.counts ? { counts: request.counts } : {}),
      result: { reason: `The erasure execution ended ${status} outside the flow's own steps` },
      error,
    },
    now,
  );
  if (!closed.closedNow) return { closed, notified: false };
  await sns.send(
    new PublishCommand({
      TopicArn: settings.outcomeTopicArn,
      Subject: `Happy Path erasure request ${closed.status}`,
      Message: JSON.stringify({ ...closed, error }),
    }),
  );
  return { closed, notified: true };
}
