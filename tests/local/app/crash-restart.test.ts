import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListBucketsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { signDevToken } from '../../../local/api/dev-keys';
import { HappyPathClient } from '../../../local/demo/client';
import { photo } from '../../../local/demo/photos';
import { TEST_APP_CONCURRENCY } from '../../helpers/local-app';

/**
 * `npm start` killed with SIGKILL, or stopped with Ctrl-C (SIGINT), in the middle of a batch of
 * uploads, then started again on the
 * same data directory: every upload whose original landed in the bucket reaches a final status
 * (S3 notifications are recorded with the object and delivered again after the restart).
 */
jest.setTimeout(240_000);
const root = join(__dirname, '..', '..', '..');
const FINAL = new Set(['PROCESSED', 'REJECTED', 'FAILED']);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

interface Runtime {
  child: ChildProcess;
  output: string[];
}

async function startRuntime(dataDir: string, ports: Record<string, number>): Promise<Runtime> {
  const args = [
    '--import',
    'tsx',
    'local/cli.ts',
    '--data-dir',
    dataDir,
    '--vision',
    'declared',
    '--no-console',
    '--concurrency',
    String(TEST_APP_CONCURRENCY),
  ];
  for (const [name, port] of Object.entries(ports)) args.push(`--${name}-port`, String(port));
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output.push(chunk.toString('utf8'));
      if (output.join('').includes('Ready in')) resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) =>
      reject(new Error(`the runtime exited (${code}) before it was ready:\n${output.join('')}`)),
    );
  });
  return { child, output };
}

function killed(runtime: Runtime, signal: NodeJS.Signals): Promise<void> {
  return new Promise((resolve) => {
    if (runtime.child.exitCode !== null || runtime.child.signalCode !== null) return resolve();
    runtime.child.once('exit', () => resolve());
    runtime.child.kill(signal);
  });
}

/**
 * One data directory, three starts: the first start is killed (SIGKILL) mid-batch, the restart
 * stopped with Ctrl-C (SIGINT) mid-batch, and the third start must finish what each stop left.
 * Each batch has its own place, so each stop is judged on its own uploads.
 */
describe('npm start stopped mid-batch, then started again on the same data directory', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'crash-restart-'));
  let runtime: Runtime | undefined;
  let ports: Record<string, number>;
  let client: HappyPathClient;
  let bytes: Buffer;

  beforeAll(async () => {
    ports = {
      api: await freePort(),
      s3: await freePort(),
      dynamodb: await freePort(),
      services: await freePort(),
      cdn: await freePort(),
    };
    runtime = await startRuntime(dataDir, ports);
    client = new HappyPathClient(
      `http://127.0.0.1:${ports.api}`,
      await signDevToken({ dataDir, subject: 'user-crash' }),
    );
    bytes = await photo(1200, 900);
  });

  afterAll(async () => {
    if (runtime) await killed(runtime, 'SIGINT');
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Four clients upload 16 photos to a new place; the runtime gets `signal` once 6 POSTs are answered. */
  async function uploadAndStop(placeId: string, signal: NodeJS.Signals): Promise<string[]> {
    await client.createPlace({ id: placeId, name: `Place ${placeId}`, type: 'park', lat: 1, lng: 2 });
    const answered: string[] = [];
    let next = 0;
    let kill: Promise<void> | undefined;
    const uploader = async () => {
      while (next < 16) {
        next += 1;
        try {
          answered.push(await client.upload(placeId, bytes, `crash-${next}.jpg`));
        } catch {
          return; // the runtime is gone: this upload may or may not have landed
        }
        if (answered.length === 6 && runtime) kill = killed(runtime, signal);
      }
    };
    await Promise.all([uploader(), uploader(), uploader(), uploader()]);
    await kill;
    return answered;
  }

  /** The ids of the originals that landed in the upload bucket under the place, read from the local S3. */
  async function landedUploads(placeId: string): Promise<string[]> {
    const s3 = new S3Client({
      endpoint: `http://127.0.0.1:${ports.s3}`,
      forcePathStyle: true,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDLOCALHAPPYPATH', secretAccessKey: 'local-happy-path-secret' },
    });
    try {
      const buckets = await s3.send(new ListBucketsCommand({}));
      const uploadBucket = buckets.Buckets?.find((bucket) => /uploadbucket/i.test(bucket.Name ?? ''))?.Name;
      const landed = await s3.send(new ListObjectsV2Command({ Bucket: uploadBucket, Prefix: `${placeId}/` }));
      return (landed.Contents ?? []).map((object) => /\/([^/]+)\.jpg$/.exec(object.Key ?? '')?.[1] ?? '');
    } finally {
      s3.destroy();
    }
  }

  it.each([
    ['SIGKILL', 'killed-park'],
    ['SIGINT', 'stopped-park'],
  ] as const)(
    'brings every upload whose original landed to a final status after %s and a restart',
    async (signal, placeId) => {
      const answered = await uploadAndStop(placeId, signal);

      runtime = await startRuntime(dataDir, ports);
      const landedIds = await landedUploads(placeId);
      const statuses = new Map<string, string>();
      for (const uploadId of landedIds)
        statuses.set(uploadId, (await client.waitForUpload(uploadId, 120_000)).status);

      expect(answered.every((uploadId) => landedIds.includes(uploadId))).toBe(true);
      expect(landedIds.length).toBeGreaterThanOrEqual(6);
      expect([...statuses.values()].filter((status) => !FINAL.has(status))).toEqual([]);
      // An upload S3 answered before the kill is whole; one cut off by the kill may have left a
      // partial object (the local S3 does not write objects atomically), which ends REJECTED.
      expect(answered.map((uploadId) => statuses.get(uploadId))).toEqual(answered.map(() => 'PROCESSED'));
    },
  );
});
