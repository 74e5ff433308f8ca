import * as z from 'zod/mini';
import { commaList, percentage, positiveInt, readConfig, withDefaults } from '#shared/config';
import { correlate, lambdaHandler } from '#shared/handler';
import { logger } from '#shared/logger';
import { parseTaskInput } from '#shared/task-input';
import { moderateImage } from './moderation';
import { taskInputSchema } from './workflow';

const config = readConfig(
  z.object({
    MIN_MODERATION_CONFIDENCE: percentage,
    IGNORED_MODERATION_CATEGORIES: commaList,
    MAX_INPUT_PIXELS: positiveInt(),
  }),
  withDefaults({
    MIN_MODERATION_CONFIDENCE: '60',
    IGNORED_MODERATION_CATEGORIES: '',
    MAX_INPUT_PIXELS: '50000000',
  }),
);

/** Workflow task "Moderate": Rekognition moderation labels → a verdict in `$.verdict`. */
export const handler = lambdaHandler(async (event: unknown) => {
  const { upload } = parseTaskInput(taskInputSchema, event);
  correlate({ uploadId: upload.uploadId });
  const verdict = await moderateImage(upload, {
    minConfidence: config.MIN_MODERATION_CONFIDENCE,
    ignoredCategories: config.IGNORED_MODERATION_CATEGORIES,
    maxInputPixels: config.MAX_INPUT_PIXELS,
  });
  logger.info('Moderated', {
    accepted: verdict.accepted,
    labels: verdict.labels.map((label) => label.name),
  });
  return verdict;
});
