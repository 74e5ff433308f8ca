import * as z from 'zod/mini';
import { nonEmpty, readConfig } from '#shared/config';
import { correlate, lambdaHandler } from '#shared/handler';
import { logger } from '#shared/logger';
import { parseTaskInput } from '#shared/task-input';
import { buildReportInputSchema, type ReportSummary } from './erasure';
import { createPurgeReport } from './erasure-report';

const config = readConfig(
  z.object({
    TABLE_NAME: nonEmpty,
    UPLOAD_BUCKET: nonEmpty,
    DISTRIBUTION_BUCKET: nonEmpty,
    REPORTS_BUCKET: nonEmpty,
  }),
);

/**
 * Erasure flow task "Build purge report": every object and item of the requester, found through
 * the per-user index, written once to the reports bucket; its key, SHA-256 and counts are
 * recorded on the request and returned (→ `$.report`). A retried invocation reuses the stored report.
 */
export const handler = lambdaHandler(async (event: unknown): Promise<ReportSummary> => {
  const { requestId } = parseTaskInput(buildReportInputSchema, event);
  correlate({ erasureRequestId: requestId });
  const { written, ...summary } = await createPurgeReport(
    {
      tableName: config.TABLE_NAME,
      uploadBucket: config.UPLOAD_BUCKET,
      distributionBucket: config.DISTRIBUTION_BUCKET,
      reportsBucket: config.REPORTS_BUCKET,
    },
    requestId,
  );
  logger.info(written ? 'Purge report written' : 'Purge report already written', {
    erasureRequestId: requestId,
    counts: summary.counts,
    total: summary.total,
  });
  return summary;
});
