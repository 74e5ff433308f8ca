import * as z from 'zod/mini';
import { nonEmpty, readConfig } from '#shared/config';
import { correlate, lambdaHandler } from '#shared/handler';
import { logger } from '#shared/logger';
import { parseTaskInput } from '#shared/task-input';
import { uploadIdSchema } from '#shared/validation';
import { deleteUnknownUpload } from './unknown-uploads';

const config = readConfig(z.object({ TABLE_NAME: nonEmpty, UPLOAD_BUCKET: nonEmpty }));

const eventSchema = z.object({
  detail: z.object({
    bucket: z.string().check(z.minLength(1)),
    key: z.string().check(z.minLength(1)),
    uploadId: uploadIdSchema,
  }),
});

/**
 * `uploadUnknown` on the application bus → the object, posted to an upload key that has no upload
 * record (e.g. with the still-valid ticket of a user erased since), deleted with every version.
 * Only objects of the upload bucket are touched.
 */
export const handler = lambdaHandler(async (event: unknown) => {
  const { detail } = parseTaskInput(eventSchema, event);
  correlate({ uploadId: detail.uploadId });
  if (detail.bucket !== config.UPLOAD_BUCKET) {
    logger.warn('Ignored an unknown upload outside the upload bucket', { uploadId: detail.uploadId });
    return { versionsDeleted: 0 };
  }
  const outcome = await deleteUnknownUpload(config.TABLE_NAME, detail);
  logger.info(outcome.keptBecause ? 'Unknown upload kept' : 'Unknown upload deleted', {
    uploadId: detail.uploadId,
    ...outcome,
  });
  return outcome;
});
