import * as z from 'zod/mini';
import { baseUrl, nonEmpty, readConfig } from '#shared/config';
import { NotFoundError } from '#shared/errors';
import { apiHandler, json, parseQuery } from '#shared/http';
import { placeIdSchema, uploadIdSchema } from '#shared/validation';
import { getPlaceWithPhotos } from './places';
import { presentPhoto, presentPlace } from './presentation';

const config = readConfig(z.object({ TABLE_NAME: nonEmpty, PHOTO_BASE_URL: baseUrl }));

const querySchema = z.strictObject({
  placeId: placeIdSchema,
  limit: z.optional(
    z.pipe(
      z.string().check(z.regex(/^\d{1,3}$/, 'must be a whole number')),
      z.pipe(
        z.transform((value: string) => Number(value)),
        z.number().check(z.gte(1), z.lte(100)),
      ),
    ),
  ),
  nextToken: z.optional(uploadIdSchema),
});

/** GET /locations?placeId= — a place and its published photos, newest first, paginated. */
export const handler = apiHandler(async (event) => {
  const query = parseQuery(event, querySchema);
  const page = await getPlaceWithPhotos(config.TABLE_NAME, query.placeId, {
    limit: query.limit ?? 50,
    ...(query.nextToken ? { after: query.nextToken } : {}),
  });
  if (!page) throw new NotFoundError(`Place ${query.placeId} does not exist`);
  return json(200, {
    ...presentPlace(page.place),
    photos: page.photos.map((photo) => presentPhoto(config.PHOTO_BASE_URL, photo)),
    ...(page.nextToken ? { nextToken: page.nextToken } : {}),
  });
});
