/**
 * The local web console: plain ES modules and CSS from ./web served as they are, and a small
 * read-only JSON API (`/api/...`) over the running runtime. It listens before the application
 * starts (so the application's CORS settings can name its origin) and serves data once attached.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { APPROVER_SCOPE } from '../api/token-cli';
import type { Runtime } from '../runtime/runtime';
import { StepFunctionsApiError } from '../stepfunctions';
import { assertConsoleHost, isLoopbackHost } from './host';
import {
  deadLettersView,
  eventsView,
  executionDetail,
  listExecutionRows,
  listStateMachines,
  outboxView,
  stateMachineSvg,
} from './views';

export interface ConsoleOptions {
  /** Default 127.0.0.1; another interface only with `allowRemote`. */
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  allowRemote?: boolean;
  log?: (line: string) => void;
}

/** What the console reads once the application runs. */
export interface ConsoleTarget {
  runtime: Runtime;
  apiUrl: string;
  dataDir: string;
  /** Mints a dev token for a user id (the data directory's key), with extra claims such as `scope`. */
  token(userId: string, claims?: Record<string, unknown>): string;
}

export interface ConsoleServer {
  /** `http://host:port`, the origin the browser sends. */
  url: string;
  attach(target: ConsoleTarget): void;
  close(): Promise<void>;
}

const WEB_DIR = join(__dirname, 'web');
const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};
const USER_ID = /^[A-Za-z0-9._@-]{1,64}$/;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

function send(response: ServerResponse, status: number, body: string, type: string, extra = {}): void {
  response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...extra });
  response.end(body);
}

function sendJson(response: ServerResponse, status: number, value: unknown): void {
  send(response, status, JSON.stringify(value), 'application/json');
}

async function readJsonBody(request: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > 10_000) throw new HttpError(413, 'the request body is larger than 10 kB');
    chunks.push(chunk as Buffer);
  }
  try {
    const value = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
    if (value && typeof value === 'object' && !Array.isArray(value)) return value;
  } catch {
    // reported below
  }
  throw new HttpError(400, 'the request body must be a JSON object');
}

/** Only the local runtime's own endpoints: the page talks to nothing else. */
function contentSecurityPolicy(target: ConsoleTarget | undefined): string {
  const local = target
    ? [target.apiUrl, target.runtime.endpoints.s3, ...target.runtime.cdns.map((cdn) => cdn.url)]
    : [];
  return [
    "default-src 'self'",
    `connect-src 'self' ${local.join(' ')}`,
    `img-src 'self' blob: data: ${local.join(' ')}`,
    "style-src 'self' 'unsafe-inline'",
    "frame-src 'self'",
    "base-uri 'none'",
    "object-src 'none'",
  ].join('; ');
}

function approverScope(runtime: Runtime): string {
  const value = runtime.stacks.find((stack) => 'ApproverScope' in stack.parameters)?.parameters.ApproverScope
    ?.value;
  return typeof value === 'string' ? value : APPROVER_SCOPE;
}

function tableName(runtime: Runtime): string | undefined {
  for (const stack of runtime.stacks) {
    const table = stack.resources.AppTable;
    if (table?.type === 'AWS::DynamoDB::Table') return String(table.physicalId);
  }
  return undefined;
}

async function listPlaces(runtime: Runtime): Promise<unknown[]> {
  const table = tableName(runtime);
  if (!table) return [];
  const client = DynamoDBDocumentClient.from(new DynamoDBClient({}));
  try {
    const places: unknown[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await client.send(
        new ScanCommand({
          TableName: table,
          FilterExpression: 'sk = :place',
          ExpressionAttributeValues: { ':place': 'PLACE' },
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const item of page.Items ?? [])
        places.push({ placeId: item.placeId, name: item.name, type: item.type });
      start = page.LastEvaluatedKey;
    } while (start && places.length < 500);
    return places;
  } finally {
    client.destroy();
  }
}

async function answerApi(
  target: ConsoleTarget,
  request: IncomingMessage,
  url: URL,
  response: ServerResponse,
): Promise<void> {
  const { runtime } = target;
  const engine = runtime.engine;
  const route = `${request.method} ${url.pathname}`;
  const query = (name: string) => url.searchParams.get(name) ?? undefined;
  const required = (name: string) => {
    const value = query(name);
    if (!value) throw new HttpError(400, `the query parameter ${name} is required`);
    return value;
  };
  switch (route) {
    case 'GET /api/config':
      return sendJson(response, 200, {
        apiUrl: target.apiUrl,
        s3Url: runtime.endpoints.s3,
        cdnUrls: runtime.cdns.map((cdn) => cdn.url),
        stateMachines: listStateMachines(engine),
      });
    case 'POST /api/session': {
      const { userId } = await readJsonBody(request);
      if (typeof userId !== 'string' || !USER_ID.test(userId))
        throw new HttpError(400, 'userId must be 1 to 64 letters, digits or . _ @ -');
      return sendJson(response, 200, { userId, token: target.token(userId) });
    }
    case 'POST /api/approver-token': {
      // For the approval page's sign-in: the scope the running gdpr stack's decision route requires.
      const { userId } = await readJsonBody(request);
      if (typeof userId !== 'string' || !USER_ID.test(userId))
        throw new HttpError(400, 'userId must be 1 to 64 letters, digits or . _ @ -');
      const scope = approverScope(runtime);
      return sendJson(response, 200, { userId, scope, token: target.token(userId, { scope }) });
    }
    case 'GET /api/places':
      return sendJson(response, 200, { places: await listPlaces(runtime) });
    case 'GET /api/executions': {
      // One request per page: the state machines to choose from, and a page of the chosen one
      // (by default the one that ran last).
      const stateMachines = listStateMachines(engine);
      const newest = [...stateMachines].sort((a, b) =>
        (b.lastStartDate ?? '').localeCompare(a.lastStartDate ?? ''),
      )[0];
      const chosen = query('stateMachineArn') ?? newest?.arn;
      if (!chosen) return sendJson(response, 200, { stateMachines, executions: [] });
      return sendJson(response, 200, {
        stateMachines,
        stateMachineArn: chosen,
        ...listExecutionRows(engine, chosen, query('nextToken')),
      });
    }
    case 'GET /api/execution':
      return sendJson(response, 200, executionDetail(engine, required('executionArn')));
    case 'GET /api/graph.svg':
      return send(response, 200, stateMachineSvg(engine, required('stateMachineArn')), 'image/svg+xml');
    case 'GET /api/outbox':
      return sendJson(response, 200, { messages: outboxView(target.dataDir) });
    case 'GET /api/events':
      return sendJson(response, 200, { events: eventsView(runtime.buses) });
    case 'GET /api/dead-letters':
      return sendJson(response, 200, { deadLetters: deadLettersView(target.dataDir) });
    default:
      throw new HttpError(404, `no console API ${route}`);
  }
}

async function serveFile(pathname: string, response: ServerResponse, csp: string): Promise<void> {
  const name = pathname === '/' ? 'index.html' : pathname.slice(1);
  const type = CONTENT_TYPES[extname(name)];
  if (!/^[a-z0-9-]+(\/[a-z0-9-]+)?\.[a-z]+$/.test(name) || !type)
    throw new HttpError(404, `no page ${pathname}`);
  let body: Buffer;
  try {
    body = await readFile(join(WEB_DIR, name));
  } catch {
    throw new HttpError(404, `no page ${pathname}`);
  }
  response.writeHead(200, {
    'content-type': type,
    'cache-control': 'no-cache',
    'content-security-policy': csp,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  });
  response.end(body);
}

/** Starts listening; the pages work once `attach` gives the console the running application. */
export async function listenConsole(options: ConsoleOptions = {}): Promise<ConsoleServer> {
  const host = options.host ?? '127.0.0.1';
  assertConsoleHost(host, options.allowRemote ?? false);
  const log = options.log ?? (() => undefined);
  let target: ConsoleTarget | undefined;
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://console.local');
    const answer = async () => {
      // A page elsewhere whose name was rebound to 127.0.0.1 (DNS rebinding) sends its own Host.
      if (!options.allowRemote && !isLoopbackHost((request.headers.host ?? '').replace(/:\d+$/, '')))
        throw new HttpError(421, 'the console answers only requests addressed to a loopback host');
      if (url.pathname.startsWith('/api/')) {
        // JSON only: a cross-origin page cannot POST it without a preflight, which gets no CORS answer.
        if (
          request.method === 'POST' &&
          !String(request.headers['content-type']).startsWith('application/json')
        )
          throw new HttpError(415, 'POST a JSON body (content-type: application/json)');
        if (!target) throw new HttpError(503, 'the application is still starting');
        return answerApi(target, request, url, response);
      }
      if (request.method !== 'GET' && request.method !== 'HEAD') throw new HttpError(405, 'GET only');
      return serveFile(url.pathname, response, contentSecurityPolicy(target));
    };
    answer().catch((error: Error) => {
      const status =
        error instanceof HttpError ? error.status : error instanceof StepFunctionsApiError ? 404 : 500;
      if (status === 500) log(`console: ${request.method} ${url.pathname}: ${error.stack ?? error.message}`);
      if (!response.headersSent) sendJson(response, status, { message: error.message });
      else response.end();
    });
  });
  const url = await new Promise<string>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      const { port } = server.address() as AddressInfo;
      resolve(`http://${host.includes(':') ? `[${host}]` : host}:${port}`);
    });
  });
  return {
    url,
    attach: (next) => {
      target = next;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
