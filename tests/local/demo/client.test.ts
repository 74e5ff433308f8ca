import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiError, HappyPathClient } from '../../../local/demo/client';

/** An HTTP API stand-in answering GET /uploads/{id} from a script of (status, body) answers. */
async function apiAnswering(
  answers: Array<[number, unknown]>,
): Promise<{ url: string; server: Server; calls: () => number }> {
  let calls = 0;
  const server = createServer((_request, response) => {
    const [status, body] = answers[Math.min(calls, answers.length - 1)] ?? [500, {}];
    calls += 1;
    response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, calls: () => calls };
}

const processed = { uploadId: 'u-1', placeId: 'p-1', status: 'PROCESSED' };

describe('demo client polling an upload', () => {
  let api: Awaited<ReturnType<typeof apiAnswering>> | undefined;

  afterEach(async () => {
    await new Promise((resolve) => api?.server.close(resolve));
  });

  it('polls on through a 500 answer and returns the final status', async () => {
    api = await apiAnswering([
      [200, { ...processed, status: 'PROCESSING' }],
      [500, { message: 'Internal Server Error' }],
      [200, processed],
    ]);

    const upload = await new HappyPathClient(api.url, 'token').waitForUpload('u-1', 30_000);

    expect(upload).toEqual(processed);
    expect(api.calls()).toBe(3);
  });

  it('polls an upload that stays PROCESSING for 1.5 s at most 8 times (pauses grow from 100 to 500 ms), then returns its status', async () => {
    api = await apiAnswering([[200, { ...processed, status: 'PROCESSING' }]]);

    const upload = await new HappyPathClient(api.url, 'token').waitForUpload('u-1', 1_500);

    expect(upload.status).toBe('PROCESSING');
    // A fixed 100 ms pause polls about 15 times.
    expect(api.calls()).toBeLessThanOrEqual(8);
  });

  it('throws a 4xx answer at once', async () => {
    api = await apiAnswering([[404, { code: 'NOT_FOUND' }]]);

    await expect(new HappyPathClient(api.url, 'token').waitForUpload('u-1', 30_000)).rejects.toBeInstanceOf(
      ApiError,
    );
    expect(api.calls()).toBe(1);
  });

  it('throws the last 5xx answer once the deadline has passed', async () => {
    api = await apiAnswering([[500, { message: 'Internal Server Error' }]]);

    await expect(new HappyPathClient(api.url, 'token').waitForUpload('u-1', 0)).rejects.toMatchObject({
      status: 500,
    });
  });
});
