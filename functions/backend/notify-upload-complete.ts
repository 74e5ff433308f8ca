import * as z from 'zod/mini';
import { nonEmpty, readConfig } from '#shared/config';
import { publishEvents } from '#shared/events';
import { lambdaHandler } from '#shared/handler';
import { logger } from '#shared/logger';
import { claimUploads } from './upload-intake';
import { findCompletedUploads } from './upload-notifications';

const config = readConfig(z.object({ EVENT_BUS_NAME: nonEmpty, TABLE_NAME: nonEmpty }));

/**
 * S3 ObjectCreated on the upload bucket → the upload marked PROCESSING and one `uploadComplete`
 * event per uploaded photo on the application bus. Records that are not uploads (test events,
 * foreign keys, second POSTs of a finished upload) are logged and skipped; an object at an upload
 * key without an upload record (e.g. posted with the ticket of a user erased since) is announced as
 * `uploadUnknown`, and DeleteUnknownUploadFunction deletes it with every version.
 */
export const handler = lambdaHandler(
  async (event: unknown): Promise<{ published: number; skipped: number }> => {
    const { uploads, skipped } = findCompletedUploads(event);
    const { claimed, skipped: unclaimed, unknown } = await claimUploads(config.TABLE_NAME, uploads);
    for (const reason of [...skipped, ...unclaimed])
      logger.warn('Skipped an S3 notification record', { reason });
    await publishEvents(config.EVENT_BUS_NAME, [...claimed, ...unknown]);
    for (const upload of claimed) logger.info('Upload complete', { uploadId: upload.detail.uploadId });
    return { published: claimed.length, skipped: skipped.length + unclaimed.length };
  },
);
