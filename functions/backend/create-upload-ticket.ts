import * as z from 'zod/mini';
import { nonEmpty, positiveInt, readConfig } from '#shared/config';
import { NotFoundError } from '#shared/errors';
import { apiHandler, callerId, json, parseQuery } from '#shared/http';
import { logger } from '#shared/logger';
import { placeIdSchema } from '#shared/validation';
import { getPlace } from './places';
import { issueUploadTicket } from './uploads';

const config = readConfig(
  z.object({
    TABLE_NAME: nonEmpty,
    UPLOAD_BUCKET: nonEmpty,
    MAX_UPLOAD_BYTES: positiveInt(5 * 1024 ** 3),
    UPLOAD_TICKET_TTL_SECONDS: positiveInt(300),
  }),
);

/** GET /uploads/url?placeId= — an upload ticket (presigned POST) for one photo of an existing place. */
export const handler = apiHandler(async (event) => {
  const userId = callerId(event);
  const { placeId } = parseQuery(event, z.strictObject({ placeId: placeIdSchema }));
  if (!(await getPlace(config.TABLE_NAME, placeId)))
    throw new NotFoundError(`Place ${placeId} does not exist`);
  const ticket = await issueUploadTicket(
    {
      tableName: config.TABLE_NAME,
      bucket: config.UPLOAD_BUCKET,
      maxUploadBytes: config.MAX_UPLOAD_BYTES,
      ttlSeconds: config.UPLOAD_TICKET_TTL_SECONDS,
    },
    { placeId, userId },
  );
  logger.info('Upload ticket issued', { uploadId: ticket.uploadId, placeId });
  return json(201, ticket);
});
