import * as z from 'zod/mini';
import { nonEmpty, readConfig } from '#shared/config';
import { publishEvents } from '#shared/events';
import { apiHandler, callerId, json, parseJsonBody, parseQuery } from '#shared/http';
import { logger } from '#shared/logger';
import { DetailType, EventSource } from '#shared/model';
import { openErasureRequest, presentErasureRequest } from './erasure-requests';
import { hashUserId, loadGdprKeys } from './gdpr-keys';

const config = readConfig(
  z.object({ TABLE_NAME: nonEmpty, EVENT_BUS_NAME: nonEmpty, GDPR_SECRET_ID: nonEmpty }),
);

/**
 * POST /gdpr/erasure-requests — the caller asks for the erasure of their own data (the user id
 * comes from the token, never from the body: a body, if any, must be an empty JSON object, so a
 * field such as `userId` is a 400 naming it; bodies over 16 KiB are a 413). 202 with a new request,
 * or 200 with the caller's active request. A request that never reached the flow (the event
 * failed) is announced again.
 */
export const handler = apiHandler(async (event) => {
  const userId = callerId(event);
  parseQuery(event, z.strictObject({}));
  if (event.body) parseJsonBody(event, z.strictObject({}));
  const userHash = hashUserId(await loadGdprKeys(config.GDPR_SECRET_ID), userId);
  const { request, created } = await openErasureRequest(config.TABLE_NAME, { userId, userHash });
  if (request.status === 'REQUESTED') {
    await publishEvents(config.EVENT_BUS_NAME, [
      {
        source: EventSource.gdpr,
        detailType: DetailType.erasureRequested,
        detail: { requestId: request.requestId },
      },
    ]);
  }
  logger.info(created ? 'Erasure requested' : 'Erasure already requested', {
    erasureRequestId: request.requestId,
  });
  return json(created ? 202 : 200, presentErasureRequest(request), {
    location: `/gdpr/erasure-requests/${request.requestId}`,
  });
});
