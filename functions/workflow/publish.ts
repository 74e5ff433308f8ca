import * as z from 'zod/mini';
import { nonEmpty, readConfig } from '#shared/config';
import { correlate, lambdaHandler } from '#shared/handler';
import { logger } from '#shared/logger';
import { parseTaskInput } from '#shared/task-input';
import { publishPhoto } from './publication';
import { publishInputSchema } from './workflow';

const config = readConfig(z.object({ TABLE_NAME: nonEmpty }));

/** Workflow task "Publish": marks the upload PROCESSED and adds the photo to its place, idempotently. */
export const handler = lambdaHandler(async (event: unknown) => {
  const { upload, images, executionId } = parseTaskInput(publishInputSchema, event);
  correlate({ uploadId: upload.uploadId });
  const photo = await publishPhoto(config.TABLE_NAME, upload, images, executionId);
  logger.info('Published', { alreadyPublished: photo.alreadyPublished });
  return photo;
});
