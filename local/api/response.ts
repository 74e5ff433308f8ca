import { isRecord } from '../template/types';

/**
 * Turns what a Lambda integration returned into an HTTP response, per payload format 2.0:
 * a result with `statusCode` is used as given; any other JSON value becomes a 200 JSON response.
 */

export interface HttpResponse {
  statusCode: number;
  /** Lower-case header names. */
  headers: Record<string, string>;
  /** Each entry becomes its own `Set-Cookie` header. */
  cookies: string[];
  body: Buffer;
}

export class InvalidIntegrationResponseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidIntegrationResponseError';
  }
}

export function jsonMessageResponse(
  statusCode: number,
  message: string,
  headers: Record<string, string> = {},
): HttpResponse {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', ...headers },
    cookies: [],
    body: Buffer.from(JSON.stringify({ message })),
  };
}

function readHeaders(value: unknown): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isRecord(value)) throw new InvalidIntegrationResponseError('headers must be an object');
  const headers: Record<string, string> = {};
  for (const [name, headerValue] of Object.entries(value)) {
    if (!['string', 'number', 'boolean'].includes(typeof headerValue)) {
      throw new InvalidIntegrationResponseError(`header ${name} must be a string`);
    }
    headers[name.toLowerCase()] = String(headerValue);
  }
  return headers;
}

function readCookies(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((cookie) => typeof cookie === 'string')) {
    throw new InvalidIntegrationResponseError('cookies must be an array of strings');
  }
  return value;
}

function readBody(value: unknown, isBase64Encoded: unknown): Buffer {
  if (value === undefined || value === null) return Buffer.alloc(0);
  if (typeof value !== 'string') throw new InvalidIntegrationResponseError('body must be a string');
  return isBase64Encoded === true ? Buffer.from(value, 'base64') : Buffer.from(value, 'utf8');
}

function readStatusCode(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 100 || value > 599) {
    throw new InvalidIntegrationResponseError(`statusCode must be an HTTP status, got ${String(value)}`);
  }
  return value;
}

/** Throws InvalidIntegrationResponseError for a result API Gateway could not map (it answers 500). */
export function toHttpResponse(result: unknown): HttpResponse {
  if (isRecord(result) && 'statusCode' in result) {
    return {
      statusCode: readStatusCode(result.statusCode),
      headers: readHeaders(result.headers),
      cookies: readCookies(result.cookies),
      body: readBody(result.body, result.isBase64Encoded),
    };
  }
  const body = typeof result === 'string' ? result : JSON.stringify(result ?? null);
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json' },
    cookies: [],
    body: Buffer.from(body, 'utf8'),
  };
}
