import * as z from 'zod/mini';
import { nonEmpty, readConfig } from '#shared/config';
import { correlate, lambdaHandler } from '#shared/handler';
import { logger } from '#shared/logger';
import { parseTaskInput } from '#shared/task-input';
import { type PurgeChunkResult, purgeChunkInputSchema } from './erasure';
import { readApprovedReport } from './erasure-report';
import { entriesOf, purgeObjects } from './purge';

const config = readConfig(
  z.object({
    UPLOAD_BUCKET: nonEmpty,
    DISTRIBUTION_BUCKET: nonEmpty,
    DISTRIBUTION_ID: nonEmpty,
    REPORTS_BUCKET: nonEmpty,
  }),
);

/**
 * Erasure flow task "Delete object versions" (one Map iteration): re-verifies the approved report,
 * deletes every version and delete marker of the chunk's objects and invalidates the published
 * copies in CloudFront. Returns counts only. Objects S3 keeps refusing fail the chunk with
 * ObjectsNotDeletedError (counts in the message, never keys), so the flow stops before any record
 * (the index that finds the objects again) is deleted.
 */
export const handler = lambdaHandler(async (event: unknown): Promise<PurgeChunkResult> => {
  const input = parseTaskInput(purgeChunkInputSchema, event);
  correlate({ erasureRequestId: input.requestId });
  const report = await readApprovedReport(config.REPORTS_BUCKET, input);
  const result = await purgeObjects(entriesOf(report.objects, input.chunk), {
    allowedBuckets: [config.UPLOAD_BUCKET, config.DISTRIBUTION_BUCKET],
    distributionBucket: config.DISTRIBUTION_BUCKET,
    distributionId: config.DISTRIBUTION_ID,
    callerReference: `${input.requestId}-${input.chunk.start}`,
  });
  logger.info('Object chunk purged', { erasureRequestId: input.requestId, chunk: input.chunk, ...result });
  return result;
});
