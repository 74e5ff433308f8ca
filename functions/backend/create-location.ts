import * as z from 'zod/mini';
import { nonEmpty, readConfig } from '#shared/config';
import { apiHandler, callerId, json, parseJsonBody, parseQuery } from '#shared/http';
import { placeIdSchema } from '#shared/validation';
import { createPlace } from './places';
import { presentPlace } from './presentation';

const config = readConfig(z.object({ TABLE_NAME: nonEmpty }));

const newPlaceSchema = z.strictObject({
  id: placeIdSchema,
  name: z.string().check(z.trim(), z.minLength(1), z.maxLength(200)),
  type: z.string().check(z.regex(/^[a-z][a-z_]{0,39}$/, 'must be a lower-case place type such as "park"')),
  lat: z.number().check(z.gte(-90), z.lte(90)),
  lng: z.number().check(z.gte(-180), z.lte(180)),
  vicinity: z.optional(z.string().check(z.trim(), z.maxLength(300))),
});

/** POST /locations — creates a place on the map. */
export const handler = apiHandler(async (event) => {
  callerId(event);
  parseQuery(event, z.strictObject({}));
  const { id, ...rest } = parseJsonBody(event, newPlaceSchema);
  const place = await createPlace(config.TABLE_NAME, { placeId: id, ...rest });
  return json(201, presentPlace(place), { location: `/locations?placeId=${encodeURIComponent(id)}` });
});
