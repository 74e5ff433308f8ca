import type { HttpApiEvent } from '../../../local/api/event';
import { type LocalHttpApi, startLocalHttpApi } from '../../../local/api/server';
import { rawRequest, recordingRoute } from './harness';

const RECEIVED_AT = Date.UTC(2020, 2, 12, 19, 3, 58);

describe('local HTTP API events and responses', () => {
  let api: LocalHttpApi;
  const events: HttpApiEvent[] = [];
  const logLines: string[] = [];

  beforeAll(async () => {
    api = await startLocalHttpApi({
      now: () => RECEIVED_AT,
      log: (line) => logLines.push(line),
      maxBodyBytes: 1024,
      routes: [
        recordingRoute('GET', '/uploads/{id}', events),
        recordingRoute('POST', '/uploads', events),
        recordingRoute('GET', '/files/{proxy+}', events),
        recordingRoute('GET', '/plain', events, { result: { id: 'u1', sizes: [1, 2] } }),
        recordingRoute('GET', '/string', events, { result: 'Hello from Lambda!' }),
        recordingRoute('GET', '/binary', events, {
          result: {
            statusCode: 201,
            headers: { 'content-type': 'image/png', 'x-count': 3 },
            cookies: ['a=1; Path=/', 'b=2'],
            body: Buffer.from([0, 1, 2, 255]).toString('base64'),
            isBase64Encoded: true,
          },
        }),
        recordingRoute('GET', '/invalid', events, { result: { statusCode: 'ok' } }),
        {
          method: 'GET',
          path: '/throws',
          authorization: 'NONE',
          invoke: async () => {
            throw new Error('database unavailable');
          },
        },
      ],
    });
  });

  afterAll(async () => {
    await api.close();
  });

  beforeEach(() => {
    events.length = 0;
    logLines.length = 0;
  });

  it('builds the exact payload format 2.0 event for a GET with path and query parameters', async () => {
    const response = await fetch(`${api.url}/uploads/abc%20def?size=large&tag=a&tag=b%2Bc&empty=`, {
      headers: { 'User-Agent': 'jest-agent', 'X-Custom': 'Value', Cookie: 'session=s1; theme=dark' },
    });

    expect(response.status).toBe(200);
    expect(await response.text()).toBe('GET /uploads/{id}');
    const host = new URL(api.url).host;
    expect(events).toEqual([
      {
        version: '2.0',
        routeKey: 'GET /uploads/{id}',
        rawPath: '/uploads/abc%20def',
        rawQueryString: 'size=large&tag=a&tag=b%2Bc&empty=',
        cookies: ['session=s1', 'theme=dark'],
        headers: expect.objectContaining({ host, 'user-agent': 'jest-agent', 'x-custom': 'Value' }),
        queryStringParameters: { size: 'large', tag: 'a,b+c', empty: '' },
        pathParameters: { id: 'abc def' },
        requestContext: {
          accountId: '000000000000',
          apiId: 'local',
          domainName: host,
          domainPrefix: host.split('.')[0],
          http: {
            method: 'GET',
            path: '/uploads/abc%20def',
            protocol: 'HTTP/1.1',
            sourceIp: '127.0.0.1',
            userAgent: 'jest-agent',
          },
          requestId: expect.stringMatching(/^[A-Za-z0-9+/]{15}=$/),
          routeKey: 'GET /uploads/{id}',
          stage: '$default',
          time: '12/Mar/2020:19:03:58 +0000',
          timeEpoch: RECEIVED_AT,
        },
        isBase64Encoded: false,
      },
    ]);
    expect(events[0]?.headers.cookie).toBeUndefined();
  });

  it('answers with the request id API Gateway puts in the apigw-requestid header', async () => {
    const response = await fetch(`${api.url}/uploads/x`);

    expect(response.headers.get('apigw-requestid')).toBe(events[0]?.requestContext.requestId);
  });

  it('joins repeated request headers with commas under lower-case names', async () => {
    await rawRequest(`${api.url}/uploads/x`, { headers: { 'X-Multi': ['one', 'two'] } });

    expect(events[0]?.headers['x-multi']).toBe('one,two');
  });

  it('passes a greedy path variable with every remaining segment', async () => {
    await fetch(`${api.url}/files/photos/2024/a%2Fb.jpg`);

    expect(events[0]?.routeKey).toBe('GET /files/{proxy+}');
    expect(events[0]?.pathParameters).toEqual({ proxy: 'photos/2024/a/b.jpg' });
  });

  it('passes a JSON body as text', async () => {
    await fetch(`${api.url}/uploads`, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: '{"placeId":"p1","caption":"café"}',
    });

    expect(events[0]?.body).toBe('{"placeId":"p1","caption":"café"}');
    expect(events[0]?.isBase64Encoded).toBe(false);
    expect(events[0]?.queryStringParameters).toBeUndefined();
    expect(events[0]?.pathParameters).toBeUndefined();
  });

  it('passes a binary body base64-encoded', async () => {
    const bytes = Buffer.from([0xff, 0xd8, 0xff, 0x00, 0x10]);

    await fetch(`${api.url}/uploads`, {
      method: 'POST',
      headers: { 'content-type': 'image/jpeg' },
      body: bytes,
    });

    expect(events[0]?.isBase64Encoded).toBe(true);
    expect(Buffer.from(events[0]?.body ?? '', 'base64')).toEqual(bytes);
  });

  it('omits the body of a request without one', async () => {
    await fetch(`${api.url}/uploads/x`);

    expect(events[0]).not.toHaveProperty('body');
    expect(events[0]).not.toHaveProperty('cookies');
  });

  it('answers 404 Not Found when no route matches', async () => {
    const response = await fetch(`${api.url}/uploads/x`, { method: 'DELETE' });

    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual({ message: 'Not Found' });
    expect(events).toHaveLength(0);
  });

  it('answers a plain returned object as a 200 JSON response', async () => {
    const response = await fetch(`${api.url}/plain`);

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual({ id: 'u1', sizes: [1, 2] });
  });

  it('answers a returned string as the body of a 200 JSON response', async () => {
    const response = await fetch(`${api.url}/string`);

    expect(response.status).toBe(200);
    expect(await response.text()).toBe('Hello from Lambda!');
  });

  it('decodes a base64 response body and sends status, headers and cookies as given', async () => {
    const response = await rawRequest(`${api.url}/binary`);

    expect(response.status).toBe(201);
    expect(response.headers['content-type']).toBe('image/png');
    expect(response.headers['x-count']).toBe('3');
    expect(response.headers['set-cookie']).toEqual(['a=1; Path=/', 'b=2']);
    expect(response.body).toEqual(Buffer.from([0, 1, 2, 255]));
  });

  it('answers 500 Internal Server Error and logs it when the integration throws', async () => {
    const response = await fetch(`${api.url}/throws`);

    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ message: 'Internal Server Error' });
    expect(logLines.some((line) => line.includes('database unavailable'))).toBe(true);
  });

  it('answers 500 when the integration returns a malformed response', async () => {
    const response = await fetch(`${api.url}/invalid`);

    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ message: 'Internal Server Error' });
  });

  it('answers 413 Request Entity Too Large for a body over the limit without invoking the route', async () => {
    const response = await fetch(`${api.url}/uploads`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: 'x'.repeat(1025),
    });

    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ message: 'Request Entity Too Large' });
    expect(events).toHaveLength(0);
  });

  it('accepts a body exactly at the limit', async () => {
    const response = await fetch(`${api.url}/uploads`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'x'.repeat(1024),
    });

    expect(response.status).toBe(200);
    expect(events[0]?.body).toHaveLength(1024);
  });

  it('writes one access log line per request', async () => {
    await fetch(`${api.url}/uploads/x`);

    const accessLine = logLines.map((line) => JSON.parse(line) as Record<string, unknown>).at(-1);
    expect(accessLine).toMatchObject({ routeKey: 'GET /uploads/{id}', status: 200, path: '/uploads/x' });
  });
});
