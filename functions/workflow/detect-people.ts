import * as z from 'zod/mini';
import { percentage, positiveInt, readConfig, withDefaults } from '#shared/config';
import { correlate, lambdaHandler } from '#shared/handler';
import { logger } from '#shared/logger';
import { parseTaskInput } from '#shared/task-input';
import { detectPeople } from './people';
import { taskInputSchema } from './workflow';

const config = readConfig(
  z.object({ PERSON_MIN_CONFIDENCE: percentage, MAX_INPUT_PIXELS: positiveInt() }),
  withDefaults({ PERSON_MIN_CONFIDENCE: '80', MAX_INPUT_PIXELS: '50000000' }),
);

/** Workflow task "Detect people": counts people with Rekognition → a verdict in `$.verdict`. */
export const handler = lambdaHandler(async (event: unknown) => {
  const { upload } = parseTaskInput(taskInputSchema, event);
  correlate({ uploadId: upload.uploadId });
  const verdict = await detectPeople(upload, {
    minConfidence: config.PERSON_MIN_CONFIDENCE,
    maxInputPixels: config.MAX_INPUT_PIXELS,
  });
  logger.info('Counted people', { accepted: verdict.accepted, peopleCount: verdict.peopleCount });
  return verdict;
});
