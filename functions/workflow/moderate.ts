import * as z from 'zod/mini';
import { commaList, percentage, readConfig, withDefaults } from '#shared/config';
import { logger } from '#shared/logger';
import { parseTaskInput } from '#shared/task-input';
import { moderateImage } from './moderation';
import { taskInputSchema } from './workflow';

const config = readConfig(
  z.object({ MIN_MODERATION_CONFIDENCE: percentage, IGNORED_MODERATION_CATEGORIES: commaList }),
  withDefaults({ MIN_MODERATION_CONFIDENCE: '60', IGNORED_MODERATION_CATEGORIES: '' }),
);

/** Workflow task "Moderate": Rekognition moderation labels → a verdict in `$.verdict`. */
export const handler = async (event: unknown) => {
  const { upload } = parseTaskInput(taskInputSchema, event);
  logger.appendKeys({ uploadId: upload.uploadId });
  const verdict = await moderateImage(upload, {
    minConfidence: config.MIN_MODERATION_CONFIDENCE,
    ignoredCategories: config.IGNORED_MODERATION_CATEGORIES,
  });
  logger.info('Moderated', {
    accepted: verdict.accepted,
    labels: verdict.labels.map((label) => label.name),
  });
  return verdict;
};
