import * as z from 'zod/mini';
import { percentage, readConfig, withDefaults } from '#shared/config';
import { logger } from '#shared/logger';
import { parseTaskInput } from '#shared/task-input';
import { detectPeople } from './people';
import { taskInputSchema } from './workflow';

const config = readConfig(
  z.object({ PERSON_MIN_CONFIDENCE: percentage }),
  withDefaults({ PERSON_MIN_CONFIDENCE: '80' }),
);

/** Workflow task "Detect people": counts people with Rekognition → a verdict in `$.verdict`. */
export const handler = async (event: unknown) => {
  const { upload } = parseTaskInput(taskInputSchema, event);
  logger.appendKeys({ uploadId: upload.uploadId });
  const verdict = await detectPeople(upload, { minConfidence: config.PERSON_MIN_CONFIDENCE });
  logger.info('Counted people', { accepted: verdict.accepted, peopleCount: verdict.peopleCount });
  return verdict;
};
