import * as z from 'zod/mini';
import { nonEmpty, readConfig } from '#shared/config';
import { correlate, lambdaHandler } from '#shared/handler';
import { logger } from '#shared/logger';
import { parseTaskInput } from '#shared/task-input';
import { type PurgeChunkResult, purgeChunkInputSchema } from './erasure';
import { readApprovedReport } from './erasure-report';
import { entriesOf, purgeRecords } from './purge';

const config = readConfig(z.object({ TABLE_NAME: nonEmpty, REPORTS_BUCKET: nonEmpty }));

/**
 * Erasure flow task "Delete records" (one Map iteration, after every object chunk): re-verifies
 * the approved report and deletes the chunk's table items, which are also the user's index
 * entries, in batches of 25 with unprocessed items retried. Returns counts only.
 */
export const handler = lambdaHandler(async (event: unknown): Promise<PurgeChunkResult> => {
  const input = parseTaskInput(purgeChunkInputSchema, event);
  correlate({ erasureRequestId: input.requestId });
  const report = await readApprovedReport(config.REPORTS_BUCKET, input);
  const result = await purgeRecords(config.TABLE_NAME, entriesOf(report.records, input.chunk));
  logger.info('Record chunk purged', { erasureRequestId: input.requestId, chunk: input.chunk, ...result });
  return result;
});
