import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type * as z from 'zod/mini';
import { BadRequestError, HttpError, UnauthorizedError } from './errors';
import { lambdaHandler } from './handler';
import { logger } from './logger';
import { tracer } from './tracer';
import { describeIssues } from './validation';

export type ApiEvent = APIGatewayProxyEventV2WithJWTAuthorizer;
export type ApiResult = APIGatewayProxyStructuredResultV2;

/** Largest JSON body the API accepts; requests here are tiny. */
const MAX_BODY_BYTES = 16 * 1024;

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): ApiResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers },
    body: JSON.stringify(body),
  };
}

/**
 * Wraps an HTTP API route in the one handler convention (lambdaHandler: Lambda context and cleared
 * keys on every log line, the handler traced): adds the API request id and route to every log line,
 * answers HttpErrors with their 4xx status and a JSON reason, and anything unexpected with a 500
 * that reveals nothing (its error recorded on the trace).
 */
export function apiHandler(route: (event: ApiEvent) => Promise<ApiResult>) {
  return lambdaHandler(async (event: ApiEvent): Promise<ApiResult> => {
    logger.appendKeys({ requestId: event.requestContext?.requestId, route: event.routeKey });
    try {
      return await route(event);
    } catch (error) {
      if (error instanceof HttpError) {
        logger.info('Request refused', {
          statusCode: error.statusCode,
          code: error.code,
          reason: error.message,
        });
        return json(error.statusCode, {
          code: error.code,
          message: error.message,
          ...(error.details ? { details: error.details } : {}),
        });
      }
      logger.error('Request failed', error as Error);
      tracer.addErrorAsMetadata(error as Error);
      return json(500, { code: 'INTERNAL_ERROR', message: 'The request could not be completed' });
    }
  });
}

/** The caller's user id: the `sub` claim the JWT authorizer verified. */
export function callerId(event: ApiEvent): string {
  const sub = event.requestContext?.authorizer?.jwt?.claims?.sub;
  if (typeof sub !== 'string' || sub.length === 0) throw new UnauthorizedError();
  return sub;
}

/** One detail per problem; an unknown key (strict schemas) is named as its own field. */
function detailsOf(error: z.core.$ZodError, what: string): Array<{ field: string; message: string }> {
  return error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({
          field: [...issue.path.map(String), key].join('.'),
          message: `is not a known ${what === 'query parameters' ? 'query parameter' : 'field'}`,
        }))
      : describeIssues({ issues: [issue] } as z.core.$ZodError),
  );
}

function parseWith<S extends z.ZodMiniType>(schema: S, value: unknown, what: string): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const details = detailsOf(parsed.error, what);
    const summary = details.map((issue) => `${issue.field}: ${issue.message}`).join('; ');
    throw new BadRequestError(`Invalid ${what}: ${summary}`, details);
  }
  return parsed.data;
}

/** The query parameters; pass a strict schema, so an unknown parameter is a 400 naming it. */
export function parseQuery<S extends z.ZodMiniType>(event: ApiEvent, schema: S): z.infer<S> {
  return parseWith(schema, event.queryStringParameters ?? {}, 'query parameters');
}

export function parsePath<S extends z.ZodMiniType>(event: ApiEvent, schema: S): z.infer<S> {
  return parseWith(schema, event.pathParameters ?? {}, 'path parameters');
}

export function parseJsonBody<S extends z.ZodMiniType>(event: ApiEvent, schema: S): z.infer<S> {
  if (!event.body) throw new BadRequestError('A JSON request body is required');
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  if (Buffer.byteLength(text) > MAX_BODY_BYTES) {
    throw new HttpError(413, 'PAYLOAD_TOO_LARGE', `The request body is larger than ${MAX_BODY_BYTES} bytes`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new BadRequestError('The request body is not valid JSON');
  }
  return parseWith(schema, value, 'request body');
}
