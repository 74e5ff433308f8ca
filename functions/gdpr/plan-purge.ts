import * as z from 'zod/mini';
import { nonEmpty, positiveInt, readConfig, withDefaults } from '#shared/config';
import { correlate, lambdaHandler } from '#shared/handler';
import { logger } from '#shared/logger';
import { parseTaskInput } from '#shared/task-input';
import { type PurgePlan, planPurgeInputSchema } from './erasure';
import { readApprovedReport } from './erasure-report';
import { markPurging, planPurge } from './purge';

const config = readConfig(
  z.object({ TABLE_NAME: nonEmpty, REPORTS_BUCKET: nonEmpty, CHUNK_SIZE: positiveInt(5000) }),
  withDefaults({ CHUNK_SIZE: '500' }),
);

/**
 * Erasure flow task "Plan purge": re-reads the report and refuses it (ReportTamperedError) unless
 * it is the approved one, marks the request PURGING and splits the report's objects and records
 * into separate chunks of CHUNK_SIZE for the two Map states (→ `$.plan`).
 */
export const handler = lambdaHandler(async (event: unknown): Promise<PurgePlan> => {
  const input = parseTaskInput(planPurgeInputSchema, event);
  correlate({ erasureRequestId: input.requestId });
  const report = await readApprovedReport(config.REPORTS_BUCKET, input);
  await markPurging(config.TABLE_NAME, input.requestId);
  const plan = planPurge(report, config.CHUNK_SIZE);
  logger.info('Purge planned', {
    erasureRequestId: input.requestId,
    objects: report.objects.length,
    records: report.records.length,
    objectChunks: plan.objectChunks.length,
    recordChunks: plan.recordChunks.length,
  });
  return plan;
});
