import * as z from 'zod/mini';
import { nonEmpty, readConfig } from '#shared/config';
import { publishEvents } from '#shared/events';
import { logger } from '#shared/logger';
import { claimUploads } from './upload-intake';
import { findCompletedUploads } from './upload-notifications';

const config = readConfig(z.object({ EVENT_BUS_NAME: nonEmpty, TABLE_NAME: nonEmpty }));

/**
 * S3 ObjectCreated on the upload bucket → the upload marked PROCESSING and one `uploadComplete`
 * event per uploaded photo on the application bus. Records that are not uploads (test events,
 * foreign keys, objects without an upload record, second POSTs of a finished upload) are logged
 * and skipped.
 */
export const handler = async (event: unknown): Promise<{ published: number; skipped: number }> => {
  const { uploads, skipped } = findCompletedUploads(event);
  const { claimed, skipped: unclaimed } = await claimUploads(config.TABLE_NAME, uploads);
  for (const reason of [...skipped, ...unclaimed])
    logger.warn('Skipped an S3 notification record', { reason });
  await publishEvents(config.EVENT_BUS_NAME, claimed);
  for (const upload of claimed) logger.info('Upload complete', { uploadId: upload.detail.uploadId });
  return { published: claimed.length, skipped: skipped.length + unclaimed.length };
};
