import * as z from 'zod/mini';
import { s3 } from '#clients/s3';
import { positiveInt, readConfig, withDefaults } from '#shared/config';
import { correlate, lambdaHandler } from '#shared/handler';
import { logger } from '#shared/logger';
import { parseTaskInput } from '#shared/task-input';
import { type DimensionVerdict, probeImageHeader, s3RangeReader } from './image-probe';
import { taskInputSchema } from './workflow';

const config = readConfig(
  z.object({
    MAX_OBJECT_BYTES: positiveInt(),
    MIN_IMAGE_SIDE: positiveInt(65_535),
    MAX_IMAGE_SIDE: positiveInt(65_535),
    MAX_MEGAPIXELS: positiveInt(4_295),
  }),
  withDefaults({
    MAX_OBJECT_BYTES: '10485760',
    MIN_IMAGE_SIDE: '800',
    MAX_IMAGE_SIDE: '10000',
    MAX_MEGAPIXELS: '50',
  }),
);

const limits = {
  maxObjectBytes: config.MAX_OBJECT_BYTES,
  minSide: config.MIN_IMAGE_SIDE,
  maxSide: config.MAX_IMAGE_SIDE,
  maxMegapixels: config.MAX_MEGAPIXELS,
};

/**
 * Workflow task "Check dimensions" (v3, v4): type and size from the original's header, read with
 * a few ranged GETs (never the whole object) → a verdict in `$.verdict`. A bad image is a
 * rejection; S3 failures (NoSuchKey, throttling) propagate for the ASL to retry or record.
 */
export const handler = lambdaHandler(async (event: unknown): Promise<DimensionVerdict> => {
  const { upload } = parseTaskInput(taskInputSchema, event);
  correlate({ uploadId: upload.uploadId });
  const { verdict, requests } = await probeImageHeader(s3RangeReader(s3, upload), limits);
  logger.info('Checked dimensions', {
    accepted: verdict.accepted,
    reason: verdict.rejection?.reason,
    format: verdict.format,
    width: verdict.width,
    height: verdict.height,
    objectBytes: verdict.objectBytes,
    bytesRead: verdict.bytesRead,
    requests,
  });
  return verdict;
});
