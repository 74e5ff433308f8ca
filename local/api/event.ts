import type { APIGatewayProxyEventV2 } from 'aws-lambda';

/** Placeholder identity of the emulated API, as it appears in `requestContext`. */
export const LOCAL_ACCOUNT_ID = '000000000000';
export const LOCAL_API_ID = 'local';

export interface JwtAuthorizerContext {
  /** Every claim as a string, the way API Gateway flattens them. */
  claims: Record<string, string>;
  /** Scopes granted for the route; null when the route requires none. */
  scopes: string[] | null;
}

/** Payload format 2.0 event; `authorizer` is present on JWT routes only. */
export type HttpApiEvent = Omit<APIGatewayProxyEventV2, 'requestContext'> & {
  requestContext: APIGatewayProxyEventV2['requestContext'] & { authorizer?: { jwt: JwtAuthorizerContext } };
};

export interface IncomingRequest {
  method: string;
  /** Request target as received: path plus optional `?query`. */
  url: string;
  /** Alternating names and values, as Node's `IncomingMessage.rawHeaders`. */
  rawHeaders: string[];
  httpVersion: string;
  sourceIp: string;
  body: Buffer;
}

export interface EventContext {
  routeKey: string;
  pathParameters: Record<string, string> | undefined;
  requestId: string;
  /** Milliseconds since the epoch when the request arrived. */
  receivedAt: number;
  authorizer: JwtAuthorizerContext | undefined;
}

const TEXT_CONTENT_TYPE =
  /^(text\/[^;]+|application\/(json|xml|javascript|ecmascript|graphql|yaml|x-yaml)|[^;]+\+(json|xml))\s*(;|$)/i;

/** True when API Gateway passes a body with this content type as text rather than base64. */
export function isTextContentType(contentType: string | undefined): boolean {
  return contentType !== undefined && TEXT_CONTENT_TYPE.test(contentType.trim());
}

/** Lower-cased header names; repeated headers joined with commas; cookies moved to their own list. */
export function collectHeaders(rawHeaders: string[]): { headers: Record<string, string>; cookies: string[] } {
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (let index = 0; index + 1 < rawHeaders.length; index += 2) {
    const name = (rawHeaders[index] ?? '').toLowerCase();
    const value = rawHeaders[index + 1] ?? '';
    if (name === 'cookie') {
      cookies.push(
        ...value
          .split(';')
          .map((cookie) => cookie.trim())
          .filter(Boolean),
      );
      continue;
    }
    const previous = headers[name];
    headers[name] = previous === undefined ? value : `${previous},${value}`;
  }
  return { headers, cookies };
}

function decodeQueryComponent(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return raw;
  }
}

/** Decoded query parameters; repeated keys joined with commas. Undefined for an empty query. */
export function parseQueryString(rawQueryString: string): Record<string, string> | undefined {
  const parameters: Record<string, string> = {};
  for (const pair of rawQueryString.split('&')) {
    if (pair === '') continue;
    const separator = pair.indexOf('=');
    const key = decodeQueryComponent(separator === -1 ? pair : pair.slice(0, separator));
    const value = separator === -1 ? '' : decodeQueryComponent(pair.slice(separator + 1));
    const previous = parameters[key];
    parameters[key] = previous === undefined ? value : `${previous},${value}`;
  }
  return Object.keys(parameters).length > 0 ? parameters : undefined;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `12/Mar/2020:19:03:58 +0000`, the CLF timestamp of `requestContext.time`. */
export function formatRequestTime(epochMs: number): string {
  const date = new Date(epochMs);
  const two = (value: number) => String(value).padStart(2, '0');
  const day = two(date.getUTCDate());
  const month = MONTHS[date.getUTCMonth()] ?? '';
  const clock = `${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())}`;
  return `${day}/${month}/${date.getUTCFullYear()}:${clock} +0000`;
}

function splitTarget(url: string): { rawPath: string; rawQueryString: string } {
  const queryStart = url.indexOf('?');
  if (queryStart === -1) return { rawPath: url, rawQueryString: '' };
  return { rawPath: url.slice(0, queryStart), rawQueryString: url.slice(queryStart + 1) };
}

/** The event API Gateway (payload format 2.0) hands a Lambda integration for this request. */
export function buildHttpApiEvent(request: IncomingRequest, context: EventContext): HttpApiEvent {
  const { rawPath, rawQueryString } = splitTarget(request.url);
  const { headers, cookies } = collectHeaders(request.rawHeaders);
  const domainName = headers.host ?? 'localhost';
  const hasBody = request.body.length > 0;
  const bodyIsText = isTextContentType(headers['content-type']);
  const queryStringParameters = parseQueryString(rawQueryString);

  const event: HttpApiEvent = {
    version: '2.0',
    routeKey: context.routeKey,
    rawPath,
    rawQueryString,
    ...(cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(queryStringParameters ? { queryStringParameters } : {}),
    ...(context.pathParameters ? { pathParameters: context.pathParameters } : {}),
    requestContext: {
      accountId: LOCAL_ACCOUNT_ID,
      apiId: LOCAL_API_ID,
      ...(context.authorizer ? { authorizer: { jwt: context.authorizer } } : {}),
      domainName,
      domainPrefix: domainName.split('.')[0] ?? domainName,
      http: {
        method: request.method.toUpperCase(),
        path: rawPath,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: context.requestId,
      routeKey: context.routeKey,
      stage: '$default',
      time: formatRequestTime(context.receivedAt),
      timeEpoch: context.receivedAt,
    },
    ...(hasBody
      ? { body: bodyIsText ? request.body.toString('utf8') : request.body.toString('base64') }
      : {}),
    isBase64Encoded: hasBody && !bodyIsText,
  };
  return event;
}
