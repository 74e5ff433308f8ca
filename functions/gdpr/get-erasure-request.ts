import * as z from 'zod/mini';
import { nonEmpty, readConfig } from '#shared/config';
import { NotFoundError } from '#shared/errors';
import { apiHandler, callerId, json, parsePath, parseQuery } from '#shared/http';
import { requestIdSchema } from './erasure';
import { findOwnRequest, presentErasureRequest } from './erasure-requests';
import { hashUserId, loadGdprKeys } from './gdpr-keys';

const config = readConfig(z.object({ TABLE_NAME: nonEmpty, GDPR_SECRET_ID: nonEmpty }));

/** GET /gdpr/erasure-requests/{id} — the status of one of the caller's erasure requests. */
export const handler = apiHandler(async (event) => {
  const userId = callerId(event);
  const { id } = parsePath(event, z.object({ id: requestIdSchema }));
  parseQuery(event, z.strictObject({}));
  const userHash = hashUserId(await loadGdprKeys(config.GDPR_SECRET_ID), userId);
  const request = await findOwnRequest(config.TABLE_NAME, id, userHash);
  if (!request) throw new NotFoundError(`Erasure request ${id} does not exist`);
  return json(200, presentErasureRequest(request));
});
