import * as z from 'zod/mini';
import { nonEmpty, readConfig } from '#shared/config';
import { correlate, lambdaHandler } from '#shared/handler';
import { logger } from '#shared/logger';
import { parseTaskInput } from '#shared/task-input';
import { closeRequestInputSchema } from './erasure';
import { closeDetailsFromState, closeErasureRequest } from './erasure-requests';

const config = readConfig(z.object({ TABLE_NAME: nonEmpty }));

/**
 * Erasure flow task "Close request": records the outcome, forgets the raw user id, releases the
 * user's lock and appends the audit entry; returns the summary the notification carries.
 */
export const handler = lambdaHandler(async (event: unknown) => {
  const state = parseTaskInput(closeRequestInputSchema, event);
  correlate({ erasureRequestId: state.requestId });
  const closed = await closeErasureRequest(config.TABLE_NAME, state.requestId, closeDetailsFromState(state));
  logger.info('Erasure request closed', { erasureRequestId: state.requestId, status: closed.status });
  return closed;
});
