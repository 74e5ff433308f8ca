import * as z from 'zod/mini';
import { nonEmpty, readConfig } from '#shared/config';
import { correlate, lambdaHandler } from '#shared/handler';
import { logger } from '#shared/logger';
import { parseTaskInput } from '#shared/task-input';
import { planPurgeInputSchema, type VerificationResult } from './erasure';
import { readApprovedReport, requesterOf } from './erasure-report';
import { verifyPurge } from './purge';

const config = readConfig(z.object({ TABLE_NAME: nonEmpty, REPORTS_BUCKET: nonEmpty }));

/**
 * Erasure flow task "Verify purge": re-verifies the approved report, then counts what remains:
 * reported objects with any version or delete marker, reported records still in the table, and
 * the requester's entries still in the per-user index (→ `$.verification`; COMPLETED only at 0).
 */
export const handler = lambdaHandler(async (event: unknown): Promise<VerificationResult> => {
  const input = parseTaskInput(planPurgeInputSchema, event);
  correlate({ erasureRequestId: input.requestId });
  const report = await readApprovedReport(config.REPORTS_BUCKET, input);
  const userId = await requesterOf(config.TABLE_NAME, input.requestId);
  const result = await verifyPurge(report, userId, { tableName: config.TABLE_NAME });
  logger.info('Purge verified', { erasureRequestId: input.requestId, ...result });
  return result;
});
