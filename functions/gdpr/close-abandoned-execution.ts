import * as z from 'zod/mini';
import { nonEmpty, readConfig } from '#shared/config';
import { correlate, lambdaHandler } from '#shared/handler';
import { logger } from '#shared/logger';
import { parseTaskInput } from '#shared/task-input';
import { closeAbandonedRequest, executionStatusChangeSchema } from './abandoned-executions';

const config = readConfig(z.object({ TABLE_NAME: nonEmpty, OUTCOME_TOPIC_ARN: nonEmpty }));

/**
 * "Step Functions Execution Status Change" (ABORTED, TIMED_OUT or FAILED) of the erasure state
 * machine, from the default event bus → the request closed FAILED with the reason, its lock and
 * raw user id released as the flow's own close does, and the outcome topic told. Requests the
 * flow closed itself (its own failure paths end FAILED after closing) are left as they are.
 */
export const handler = lambdaHandler(async (event: unknown) => {
  const { detail } = parseTaskInput(executionStatusChangeSchema, event);
  correlate({ erasureRequestId: detail.name });
  const result = await closeAbandonedRequest(
    { tableName: config.TABLE_NAME, outcomeTopicArn: config.OUTCOME_TOPIC_ARN },
    detail.name,
    detail.status,
  );
  logger.info(result.notified ? 'Abandoned erasure request closed' : 'Erasure request already closed', {
    erasureRequestId: detail.name,
    executionStatus: detail.status,
  });
  return { closedNow: result.notified, status: result.closed?.status };
});
