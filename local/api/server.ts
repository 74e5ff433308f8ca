/**
 * A local API Gateway HTTP API: routes, JWT authorizer, CORS and payload format 2.0 events,
 * served over plain HTTP on localhost with in-process integrations.
 */
import { randomBytes } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { applyCorsHeaders, type CorsConfig, isPreflight, preflightHeaders } from './cors';
import { buildHttpApiEvent, collectHeaders, type HttpApiEvent, type JwtAuthorizerContext } from './event';
import { authorizeRequest, type JwtAuthorizerConfig } from './jwt-authorizer';
import { type HttpResponse, jsonMessageResponse, toHttpResponse } from './response';
import { createRouteTable, type RouteTable } from './routes';

/** API Gateway's payload limit for HTTP APIs. */
export const DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024;

export interface HttpApiInvocationContext {
  requestId: string;
}

export interface HttpApiRoute {
  /** `GET`, `POST`, ... or `ANY`. Ignored for `$default`. */
  method: string;
  /** `/uploads/{id}`, `/files/{proxy+}` or `$default`. */
  path: string;
  authorization: 'JWT' | 'NONE';
  /** For JWT routes: the token must carry one of these scopes (`scope` or `scp` claim). */
  authorizationScopes?: string[];
  invoke: (event: HttpApiEvent, context: HttpApiInvocationContext) => Promise<unknown>;
}

export interface LocalHttpApiOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  routes: HttpApiRoute[];
  /** Required when any route uses JWT authorization. */
  jwt?: JwtAuthorizerConfig;
  cors?: CorsConfig;
  /** One line per request (access log) and per integration failure. */
  log?: (line: string) => void;
  maxBodyBytes?: number;
  /** Milliseconds since the epoch; defaults to Date.now. */
  now?: () => number;
}

export interface LocalHttpApi {
  /** `http://host:port`, no trailing slash. */
  url: string;
  close(): Promise<void>;
}

export class HttpApiConfigurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HttpApiConfigurationError';
  }
}

/** An id shaped like API Gateway's (`JKJaXmPLvHcESHA=`). */
function newRequestId(): string {
  return randomBytes(11).toString('base64');
}

interface ReadBody {
  body: Buffer;
  tooLarge: boolean;
}

/** Reads the whole body; past the limit, keeps draining but drops the bytes. */
function readBody(request: http.IncomingMessage, maxBytes: number): Promise<ReadBody> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) chunks.push(chunk);
    });
    request.on('end', () => resolve({ body: Buffer.concat(chunks), tooLarge: size > maxBytes }));
    request.on('error', reject);
  });
}

function sendResponse(response: http.ServerResponse, answer: HttpResponse, requestId: string): void {
  const headers: http.OutgoingHttpHeaders = { ...answer.headers, 'apigw-requestid': requestId };
  headers['content-length'] = String(answer.body.length);
  if (answer.cookies.length > 0) headers['set-cookie'] = answer.cookies;
  response.writeHead(answer.statusCode, headers);
  response.end(answer.body);
}

interface Answered {
  answer: HttpResponse;
  routeKey: string;
  /** The API's own preflight answer already carries its CORS headers. */
  isPreflight?: boolean;
}

interface RequestScope {
  options: LocalHttpApiOptions;
  routes: RouteTable<HttpApiRoute>;
  maxBodyBytes: number;
  now: () => number;
  log: (line: string) => void;
}

async function answerRequest(
  scope: RequestScope,
  request: http.IncomingMessage,
  requestId: string,
  receivedAt: number,
): Promise<Answered> {
  const method = (request.method ?? 'GET').toUpperCase();
  const url = request.url ?? '/';
  const { headers } = collectHeaders(request.rawHeaders);
  const { body, tooLarge } = await readBody(request, scope.maxBodyBytes);
  if (tooLarge) return { answer: jsonMessageResponse(413, 'Request Entity Too Large'), routeKey: '-' };

  const { cors } = scope.options;
  if (cors && isPreflight(method, headers)) {
    const answer: HttpResponse = {
      statusCode: 204,
      headers: preflightHeaders(cors, headers),
      cookies: [],
      body: Buffer.alloc(0),
    };
    return { answer, routeKey: '-', isPreflight: true };
  }

  const path = url.split('?')[0] ?? '/';
  const match = scope.routes.match(method, path);
  if (!match) return { answer: jsonMessageResponse(404, 'Not Found'), routeKey: '-' };
  const route = match.handler;

  let authorizer: JwtAuthorizerContext | undefined;
  if (route.authorization === 'JWT' && scope.options.jwt) {
    const outcome = await authorizeRequest(scope.options.jwt, headers.authorization, {
      now: receivedAt,
      routeScopes: route.authorizationScopes,
    });
    if (!outcome.authorized) {
      scope.log(`${requestId} ${match.routeKey} authorizer refused: ${outcome.reason}`);
      const challenge: Record<string, string> = outcome.challenge
        ? { 'www-authenticate': outcome.challenge }
        : {};
      return {
        answer: jsonMessageResponse(outcome.statusCode, outcome.message, challenge),
        routeKey: match.routeKey,
      };
    }
    authorizer = outcome.context;
  }

  const event = buildHttpApiEvent(
    {
      method,
      url,
      rawHeaders: request.rawHeaders,
      httpVersion: request.httpVersion,
      sourceIp: (request.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, ''),
      body,
    },
    { routeKey: match.routeKey, pathParameters: match.pathParameters, requestId, receivedAt, authorizer },
  );
  try {
    const result = await route.invoke(event, { requestId });
    return { answer: toHttpResponse(result), routeKey: match.routeKey };
  } catch (error) {
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    scope.log(`${requestId} ${match.routeKey} integration failed: ${detail}`);
    return { answer: jsonMessageResponse(500, 'Internal Server Error'), routeKey: match.routeKey };
  }
}

function validateOptions(options: LocalHttpApiOptions): void {
  const jwtRoute = options.routes.find((route) => route.authorization === 'JWT');
  if (jwtRoute && !options.jwt) {
    throw new HttpApiConfigurationError(
      `Route ${jwtRoute.method} ${jwtRoute.path} uses JWT but no jwt is configured`,
    );
  }
}

/** Starts the API; resolves once it listens. */
export async function startLocalHttpApi(options: LocalHttpApiOptions): Promise<LocalHttpApi> {
  validateOptions(options);
  const scope: RequestScope = {
    options,
    routes: createRouteTable(options.routes.map((route) => ({ ...route, handler: route }))),
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    now: options.now ?? Date.now,
    log: (line) => options.log?.(line),
  };

  const server = http.createServer((request, response) => {
    const requestId = newRequestId();
    const receivedAt = scope.now();
    answerRequest(scope, request, requestId, receivedAt)
      .catch((error: unknown) => {
        scope.log(`${requestId} request failed: ${error instanceof Error ? error.message : String(error)}`);
        return { answer: jsonMessageResponse(500, 'Internal Server Error'), routeKey: '-' };
      })
      .then(({ answer, routeKey, isPreflight: answeredPreflight }: Answered) => {
        const headers = collectHeaders(request.rawHeaders).headers;
        const cors = options.cors;
        const finalAnswer =
          cors && !answeredPreflight
            ? { ...answer, headers: applyCorsHeaders(cors, headers, answer.headers) }
            : answer;
        sendResponse(response, finalAnswer, requestId);
        scope.log(
          JSON.stringify({
            requestId,
            routeKey,
            method: request.method,
            path: request.url,
            status: finalAnswer.statusCode,
            latencyMs: scope.now() - receivedAt,
          }),
        );
      });
  });

  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;

  return {
    url: `http://${urlHost}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
