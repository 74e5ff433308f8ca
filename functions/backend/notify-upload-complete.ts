import * as z from 'zod/mini';
import { nonEmpty, readConfig } from '#shared/config';
import { publishEvents } from '#shared/events';
import { logger } from '#shared/logger';
import { findCompletedUploads } from '#shared/upload-notifications';

const config = readConfig(z.object({ EVENT_BUS_NAME: nonEmpty }));

/**
 * S3 ObjectCreated on the upload bucket → one `uploadComplete` event per uploaded photo on the
 * application bus. Records that are not uploads (test events, foreign keys) are logged and skipped.
 */
export const handler = async (event: unknown): Promise<{ published: number; skipped: number }> => {
  const { uploads, skipped } = findCompletedUploads(event);
  for (const reason of skipped) logger.warn('Skipped an S3 notification record', { reason });
  await publishEvents(config.EVENT_BUS_NAME, uploads);
  for (const upload of uploads) logger.info('Upload complete', { uploadId: upload.detail.uploadId });
  return { published: uploads.length, skipped: skipped.length };
};
