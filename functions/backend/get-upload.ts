import * as z from 'zod/mini';
import { baseUrl, nonEmpty, readConfig } from '#shared/config';
import { NotFoundError } from '#shared/errors';
import { apiHandler, callerId, json, parsePath, parseQuery } from '#shared/http';
import { uploadIdSchema } from '#shared/validation';
import { presentUpload } from './presentation';
import { getUpload } from './uploads';

const config = readConfig(z.object({ TABLE_NAME: nonEmpty, PHOTO_BASE_URL: baseUrl }));

/** GET /uploads/{id} — the status of one of the caller's uploads; other users' uploads do not exist for them. */
export const handler = apiHandler(async (event) => {
  const userId = callerId(event);
  const { id } = parsePath(event, z.object({ id: uploadIdSchema }));
  parseQuery(event, z.strictObject({}));
  const upload = await getUpload(config.TABLE_NAME, id);
  if (!upload || upload.userId !== userId) throw new NotFoundError(`Upload ${id} does not exist`);
  return json(200, presentUpload(config.PHOTO_BASE_URL, upload));
});
