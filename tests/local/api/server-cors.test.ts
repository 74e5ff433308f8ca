import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadOrCreateDevKeys, verifier } from '../../../local/api/dev-keys';
import type { HttpApiEvent } from '../../../local/api/event';
import { type LocalHttpApi, startLocalHttpApi } from '../../../local/api/server';
import { recordingRoute } from './harness';

const APP_ORIGIN = 'http://localhost:5173';

describe('local HTTP API CORS', () => {
  let dataDir: string;
  let api: LocalHttpApi;
  const events: HttpApiEvent[] = [];

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'api-cors-'));
    const keys = await loadOrCreateDevKeys(dataDir);
    api = await startLocalHttpApi({
      jwt: verifier(keys, { issuer: 'https://issuer.test/', audience: 'api' }),
      cors: {
        allowOrigins: [APP_ORIGIN, 'https://*'],
        allowMethods: ['GET', 'POST', 'OPTIONS'],
        allowHeaders: ['authorization', 'content-type'],
        exposeHeaders: ['x-request-id'],
        maxAge: 600,
      },
      routes: [
        recordingRoute('GET', '/private', events, { authorization: 'JWT' }),
        recordingRoute('GET', '/public', events, {
          result: {
            statusCode: 200,
            headers: { 'access-control-allow-origin': 'https://evil.test' },
            body: 'ok',
          },
        }),
      ],
    });
  });

  afterAll(async () => {
    await api.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  beforeEach(() => {
    events.length = 0;
  });

  function preflight(origin: string, method: string, requestHeaders = 'authorization,content-type') {
    return fetch(`${api.url}/private`, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': method,
        'access-control-request-headers': requestHeaders,
      },
    });
  }

  it('answers an allowed preflight itself, without the authorizer or the function', async () => {
    const response = await preflight(APP_ORIGIN, 'GET');

    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
    expect(response.headers.get('access-control-allow-methods')).toBe('GET,POST,OPTIONS');
    expect(response.headers.get('access-control-allow-headers')).toBe('authorization,content-type');
    expect(response.headers.get('access-control-max-age')).toBe('600');
    expect(events).toHaveLength(0);
  });

  it('allows an origin matching a scheme wildcard', async () => {
    const response = await preflight('https://photos.example.com', 'POST', 'Content-Type');

    expect(response.headers.get('access-control-allow-origin')).toBe('https://photos.example.com');
  });

  it.each([
    ['an origin that is not allowed', 'http://evil.test', 'GET', 'authorization'],
    ['a method that is not allowed', APP_ORIGIN, 'DELETE', 'authorization'],
    ['a header that is not allowed', APP_ORIGIN, 'GET', 'x-secret'],
  ])('refuses a preflight for %s by omitting every CORS header', async (_case, origin, method, headers) => {
    const response = await preflight(origin, method, headers);

    expect(response.status).toBe(204);
    const corsHeaders = [...response.headers.keys()].filter((name) => name.startsWith('access-control-'));
    expect(corsHeaders).toEqual([]);
  });

  it('adds CORS headers to a response for an allowed origin and drops those the function set', async () => {
    const response = await fetch(`${api.url}/public`, { headers: { origin: APP_ORIGIN } });

    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
    expect(response.headers.get('access-control-expose-headers')).toBe('x-request-id');
  });

  it('adds no CORS headers to a response for an origin that is not allowed', async () => {
    const response = await fetch(`${api.url}/public`, { headers: { origin: 'http://evil.test' } });

    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('adds CORS headers to the authorizer refusal so browsers can read it', async () => {
    const response = await fetch(`${api.url}/private`, { headers: { origin: APP_ORIGIN } });

    expect(response.status).toBe(401);
    expect(response.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
  });
});
