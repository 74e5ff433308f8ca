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
  body?: Buffer | Readable;
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
  const agent = new http.Agent({ keepAlive: true });

  const request = ({ method, path, headers, body }: BackendRequest) =>
    new Promise<http.IncomingMessage>((resolve, reject) => {
      const outgoing = http.request({ host: '127.0.0.1', port, method, path, headers, agent }, resolve);
      outgoing.on('error', reject);
      if (body === undefined) outgoing.end();
      else if (Buffer.isBuffer(body)) outgoing.end(body);
      else {
        body.on('error', (error) => outgoing.destroy(error));
        body.pipe(outgoing);
      }
    });

  return {
    store: s3rver.store,
    request,
    async close() {
      agent.destroy();
      await s3rver.close();
    },
  };
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
