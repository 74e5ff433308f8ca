/** The s3rver instance behind the verifying front server: storage on disk, reached over loopback HTTP. */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import http from 'node:http';
import { dirname } from 'node:path';
import { type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
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
  storeWholeObjectsOnly(s3rver.store);
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

/**
 * s3rver 3.7 writes a streamed body straight into the object's file and waits for its end with
 * `pipe`: when the sender goes away mid-body, the file stays truncated where a reader finds it, the
 * object it replaced is lost, and the request never ends. Here a streamed body goes to a file
 * beside the object, renamed over it once the whole body has arrived; a body that fails or ends
 * early fails the write and leaves nothing behind. (Metadata is written after the rename, as
 * s3rver does.)
 */
export function storeWholeObjectsOnly(store: S3rverStore): void {
  const putInMemory = store.putObject.bind(store);
  store.putObject = async (object) => {
    if (Buffer.isBuffer(object.content)) return putInMemory(object);
    const objectPath = store.getResourcePath(object.bucket, object.key, 'object');
    // Not a name s3rver lists: only files ending in `._S3rver_object` are objects.
    const partialPath = `${objectPath}.partial-${randomBytes(6).toString('hex')}`;
    const md5 = createHash('md5');
    let size = 0;
    const measure = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        md5.update(chunk);
        size += chunk.length;
        callback(null, chunk);
      },
    });
    await mkdir(dirname(objectPath), { recursive: true });
    try {
      await pipeline(object.content, measure, createWriteStream(partialPath));
      await rename(partialPath, objectPath);
    } catch (error) {
      await rm(partialPath, { force: true });
      throw error;
    }
    const digest = md5.digest('hex');
    await store.putMetadata(object.bucket, object.key, object.metadata, digest);
    return { size, md5: digest };
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
