import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { logger } from './logger';
import { tracer } from './tracer';

/**
 * The one way every handler is wrapped (API routes through apiHandler, approval pages through
 * htmlRoute, workflow tasks and event handlers directly): Middy with
 * - Powertools Logger's injectLambdaContext: `function_request_id`, `cold_start` and the function's
 *   name, ARN, version and memory on every log line; every appended key removed after each
 *   invocation (resetKeys), so nothing leaks into the next; the event is never logged.
 * - Powertools Tracer's captureLambdaHandler: a `## <handler>` subsegment with the ColdStart and
 *   Service annotations, errors as metadata, and no response metadata (responses hold personal data
 *   that the erasure flow could not delete from traces).
 * Middy's own early timeout is off: Lambda's timeout stays what the state machines and the logs see.
 * The context is optional only for tests; Lambda always passes it.
 */
export function lambdaHandler<TEvent, TResult>(
  handler: (event: TEvent, context: Context) => Promise<TResult>,
): (event: TEvent, context?: Context) => Promise<TResult> {
  return middy(handler, { timeoutEarlyInMillis: 0 })
    .use(injectLambdaContext(logger, { resetKeys: true, logEvent: false }))
    .use(captureLambdaHandler(tracer, { captureResponse: false })) as (
    event: TEvent,
    context?: Context,
  ) => Promise<TResult>;
}

/** What an invocation is about: appended to every later log line and annotated on the trace. */
export interface Correlation {
  uploadId?: string;
  erasureRequestId?: string;
  approvalId?: string;
}

/**
 * Appends the invocation's correlation ids as log keys and X-Ray annotations (searchable with
 * e.g. `annotation.uploadId = "..."`). Only these ids: never a user id or anything derived from one.
 */
export function correlate(ids: Correlation): void {
  const present = Object.entries(ids).filter((entry): entry is [string, string] => entry[1] !== undefined);
  logger.appendKeys(Object.fromEntries(present));
  for (const [key, value] of present) tracer.putAnnotation(key, value);
}
