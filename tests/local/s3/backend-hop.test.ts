import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { readBody, requestOnce } from '../../../local/s3/backend';

/**
 * A server that answers the first request of every connection and drops the connection when a
 * second request arrives on it: what a kept-alive socket looks like when the server closed it
 * while the client was busy (an event-loop stall) and the client reuses it.
 */
async function startDroppingServer() {
  const seen: string[] = [];
  const requestsPerSocket = new WeakMap<object, number>();
  const server = http.createServer((request, response) => {
    const count = (requestsPerSocket.get(request.socket) ?? 0) + 1;
    requestsPerSocket.set(request.socket, count);
    seen.push(`${request.method} ${request.url} #${count}`);
    if (count > 1) {
      request.socket.destroy();
      return;
    }
    request.resume();
    request.on('end', () => response.writeHead(200, { 'content-type': 'text/plain' }).end('ok'));
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, seen, port: (server.address() as AddressInfo).port };
}

describe('the hop from the S3 front to s3rver', () => {
  let dropping: Awaited<ReturnType<typeof startDroppingServer>>;
  let agent: http.Agent;

  beforeEach(async () => {
    dropping = await startDroppingServer();
    agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  });

  afterEach(async () => {
    agent.destroy();
    dropping.server.closeAllConnections();
    await new Promise((resolve) => dropping.server.close(resolve));
  });

  const get = (path: string, retries: number) =>
    requestOnce(dropping.port, agent, { method: 'GET', path, headers: {} }, retries);

  it('fails a request sent on a kept-alive socket the server dropped, when not allowed to retry', async () => {
    await readBody(await get('/first', 0), 1024);

    await expect(get('/second', 0)).rejects.toThrow(/socket hang up|ECONNRESET/);
  });

  it('sends a request without body once more on a fresh connection after a reset socket', async () => {
    await readBody(await get('/first', 1), 1024);

    const second = await get('/second', 1);

    expect(second.statusCode).toBe(200);
    expect((await readBody(second, 1024)).toString()).toBe('ok');
    expect(dropping.seen).toEqual(['GET /first #1', 'GET /second #2', 'GET /second #1']);
  });

  it('sends a request whose body is in memory once more after a reset socket', async () => {
    await readBody(await get('/first', 1), 1024);

    const put = await requestOnce(
      dropping.port,
      agent,
      { method: 'PUT', path: '/object', headers: { 'content-length': 4 }, body: Buffer.from('data') },
      1,
    );

    expect(put.statusCode).toBe(200);
  });

  it('opens a body given as a function again and sends it once more after a reset socket', async () => {
    await readBody(await get('/first', 1), 1024);
    let opened = 0;

    const put = await requestOnce(
      dropping.port,
      agent,
      {
        method: 'PUT',
        path: '/object',
        headers: { 'content-length': 4 },
        body: () => {
          opened++;
          return Readable.from([Buffer.from('data')]);
        },
      },
      1,
    );

    expect(put.statusCode).toBe(200);
    expect(opened).toBe(2);
    expect(dropping.seen.filter((line) => line.startsWith('PUT'))).toEqual([
      'PUT /object #2',
      'PUT /object #1',
    ]);
  });

  it('never sends a streamed body twice: the request fails instead', async () => {
    await readBody(await get('/first', 1), 1024);

    const streamed = requestOnce(
      dropping.port,
      agent,
      {
        method: 'PUT',
        path: '/object',
        headers: { 'content-length': 4 },
        body: Readable.from([Buffer.from('data')]),
      },
      1,
    );

    await expect(streamed).rejects.toThrow(/socket hang up|ECONNRESET|EPIPE/);
    expect(dropping.seen.filter((line) => line.startsWith('PUT'))).toEqual(['PUT /object #2']);
  });

  it('without keep-alive (as the front uses it) every request gets a fresh connection and none is dropped', async () => {
    const fresh = new http.Agent({ keepAlive: false });
    try {
      for (const path of ['/a', '/b', '/c']) {
        const response = await requestOnce(dropping.port, fresh, { method: 'GET', path, headers: {} }, 0);
        await readBody(response, 1024);
      }
    } finally {
      fresh.destroy();
    }

    expect(dropping.seen).toEqual(['GET /a #1', 'GET /b #1', 'GET /c #1']);
  });
});
