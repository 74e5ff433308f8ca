import { ExecutionAlreadyExists, StartExecutionCommand } from '@aws-sdk/client-sfn';
import * as z from 'zod/mini';
import { sfn } from '#clients/sfn';
import { nonEmpty, positiveInt, readConfig, withDefaults } from '#shared/config';
import { correlate, lambdaHandler } from '#shared/handler';
import { logger } from '#shared/logger';
import { parseTaskInput } from '#shared/task-input';
import { requestIdSchema, splitApprovalWindow } from './erasure';

const config = readConfig(
  z.object({
    STATE_MACHINE_ARN: nonEmpty,
    APPROVAL_TIMEOUT_SECONDS: positiveInt(365 * 24 * 3600),
    REMINDER_BEFORE_EXPIRY_SECONDS: positiveInt(365 * 24 * 3600),
  }),
  withDefaults({ APPROVAL_TIMEOUT_SECONDS: '604800', REMINDER_BEFORE_EXPIRY_SECONDS: '86400' }),
);

const eventSchema = z.object({ detail: z.object({ requestId: requestIdSchema }) });

/**
 * erasureRequested → one execution of the erasure flow named after the request id, so a repeated
 * event never starts a second one. The approval window is split into the wait before the reminder
 * and the wait after it (a reminder at or beyond the middle of the window goes at the middle).
 */
export const handler = lambdaHandler(async (event: unknown) => {
  const { requestId } = parseTaskInput(eventSchema, event).detail;
  correlate({ erasureRequestId: requestId });
  const waits = splitApprovalWindow(config.APPROVAL_TIMEOUT_SECONDS, config.REMINDER_BEFORE_EXPIRY_SECONDS);
  try {
    await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: config.STATE_MACHINE_ARN,
        name: requestId,
        input: JSON.stringify({ requestId, ...waits }),
      }),
    );
    logger.info('Erasure flow started', { erasureRequestId: requestId });
    return { started: true };
  } catch (error) {
    if (!(error instanceof ExecutionAlreadyExists)) throw error;
    logger.info('Erasure flow already started', { erasureRequestId: requestId });
    return { started: false };
  }
});
