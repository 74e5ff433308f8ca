import * as z from 'zod/mini';
import { nonEmpty, readConfig } from '#shared/config';
import { logger } from '#shared/logger';
import { parseTaskInput } from '#shared/task-input';
import { publishPhoto } from './publication';
import { publishInputSchema } from './workflow';

const config = readConfig(z.object({ TABLE_NAME: nonEmpty }));

/** Workflow task "Publish": marks the upload PROCESSED and adds the photo to its place, idempotently. */
export const handler = async (event: unknown) => {
  const { upload, images, executionId } = parseTaskInput(publishInputSchema, event);
  logger.appendKeys({ uploadId: upload.uploadId });
  const photo = await publishPhoto(config.TABLE_NAME, upload, images, executionId);
  logger.info('Published', { alreadyPublished: photo.alreadyPublished });
  return photo;
};
