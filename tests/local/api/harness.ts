import * as http from 'node:http';
import type { HttpApiEvent } from '../../../local/api/event';
import type { HttpApiRoute } from '../../../local/api/server';

/** A route whose integration records every event it receives and answers with `result`. */
export function recordingRoute(
  method: string,
  path: string,
  events: HttpApiEvent[],
  options: { authorization?: 'JWT' | 'NONE'; result?: unknown; authorizationScopes?: string[] } = {},
): HttpApiRoute {
  return {
    method,
    path,
    authorization: options.authorization ?? 'NONE',
    ...(options.authorizationScopes ? { authorizationScopes: options.authorizationScopes } : {}),
    invoke: async (event) => {
      events.push(event);
      return options.result ?? { statusCode: 200, body: `${method} ${path}` };
    },
  };
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** A request with exact header lines (fetch would merge repeated headers before sending). */
export function rawRequest(
  url: string,
  options: { method?: string; headers?: http.OutgoingHttpHeaders; body?: Buffer | string } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      { method: options.method ?? 'GET', headers: options.headers },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks),
          }),
        );
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(options.body);
  });
}
