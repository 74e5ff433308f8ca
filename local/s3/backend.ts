/** The s3rver instance behind the verifying front server: storage on disk, reached over loopback HTTP. */
import http from 'node:http';
import type { Readable } from 'node:stream';
import S3rver from 's3rver';

type S3rverStore = S3rver.S3rverStore;

export interface BackendRequest {
  method: string;
  /** Path and query, already encoded. */
  path: string;
  headers: http.OutgoingHttpHeaders;
  /** In memory, a stream (sent once), or a function that opens the body (sent again when needed). */
  body?: Buffer | Readable | (() => Readable);
}

export interface Backend {
  readonly store: S3rverStore;
  request(options: BackendRequest): Promise<http.IncomingMessage>;
  close(): Promise<void>;
}

export async function startBackend(dataDir: string, bucketNames: string[]): Promise<Backend> {
  const s3rver = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: dataDir,
    vhostBuckets: false,
    configureBuckets: bucketNames.map((name) => ({ name })),
  });
  const { port } = await s3rver.run();
  // A fresh connection per request: a kept-alive socket that s3rver closed while this process was
  // busy (an event-loop stall under load) would fail the next request with ECONNRESET.
  const agent = new http.Agent({ keepAlive: false });
  return {
    store: s3rver.store,
    request: (backendRequest) => requestOnce(port, agent, backendRequest, 1),
    async close() {
      agent.destroy();
      await s3rver.close();
    },
  };
}

const RESET_CODES = new Set(['ECONNRESET', 'EPIPE']);

/** A connection dropped before any answer; worth one more try when the body can be sent again. */
export function isConnectionReset(error: unknown): boolean {
  const { code, message } = error as NodeJS.ErrnoException;
  return RESET_CODES.has(code ?? '') || message === 'socket hang up';
}

/**
 * Sends one request to s3rver at `port`; a request whose body is in memory, opened by a function
 * (or absent) is sent again, `retries` times at most, when the connection is reset before the
 * answer. A streamed body is never retried (it is consumed): avoiding stale sockets is what keeps
 * those safe.
 */
export function requestOnce(
  port: number,
  agent: http.Agent,
  backendRequest: BackendRequest,
  retries: number,
): Promise<http.IncomingMessage> {
  const { method, path, headers, body } = backendRequest;
  return new Promise<http.IncomingMessage>((resolve, reject) => {
    const outgoing = http.request({ host: '127.0.0.1', port, method, path, headers, agent }, resolve);
    const opened = typeof body === 'function' ? body() : undefined;
    const content = opened ?? (body as Buffer | Readable | undefined);
    outgoing.on('error', (error) => {
      opened?.destroy();
      const resendable = body === undefined || Buffer.isBuffer(body) || typeof body === 'function';
      if (retries > 0 && resendable && isConnectionReset(error)) {
        resolve(requestOnce(port, agent, backendRequest, retries - 1));
      } else reject(error);
    });
    if (content === undefined) outgoing.end();
    else if (Buffer.isBuffer(content)) outgoing.end(content);
    else {
      content.on('error', (error) => outgoing.destroy(error));
      content.pipe(outgoing);
    }
  });
}

export function readBody(stream: Readable, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        stream.destroy(new Error(`body larger than ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}
