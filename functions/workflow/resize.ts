import * as z from 'zod/mini';
import { baseUrl, nonEmpty, positiveInt, readConfig, withDefaults } from '#shared/config';
import { correlate, lambdaHandler } from '#shared/handler';
import { parseTaskInput } from '#shared/task-input';
import { publishResizedImages } from './published-images';
import { type ResizedImages, taskInputSchema } from './workflow';

const config = readConfig(
  z.object({
    DISTRIBUTION_BUCKET: nonEmpty,
    PHOTO_BASE_URL: baseUrl,
    MAX_OBJECT_BYTES: positiveInt(),
    MAX_INPUT_PIXELS: positiveInt(),
  }),
  withDefaults({ MAX_OBJECT_BYTES: '10485760', MAX_INPUT_PIXELS: '50000000' }),
);

/**
 * Workflow task "Resize" (v1–v4): the original → a 400×400 tile and a 600 px-wide copy in the
 * distribution bucket, returned into `$.images`. Throws CorruptImageError,
 * UnsupportedImageTypeError or ImageTooLargeError for an unusable original (the ASL records
 * them as rejections); anything else is a failure to retry.
 */
export const handler = lambdaHandler(async (event: unknown): Promise<ResizedImages> => {
  const { upload } = parseTaskInput(taskInputSchema, event);
  correlate({ uploadId: upload.uploadId });
  return publishResizedImages(upload, {
    distributionBucket: config.DISTRIBUTION_BUCKET,
    photoBaseUrl: config.PHOTO_BASE_URL,
    maxObjectBytes: config.MAX_OBJECT_BYTES,
    maxInputPixels: config.MAX_INPUT_PIXELS,
  });
});
