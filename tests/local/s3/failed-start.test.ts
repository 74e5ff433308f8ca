/**
 * A start of the local S3 that fails half-way (here: its port is taken) closes what it had opened:
 * the version index's LevelDB lock on the data directory, s3rver and the notification journal. The
 * same process can then start on that data directory again.
 */
import fs from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { HeadBucketCommand } from '@aws-sdk/client-s3';
import { type LocalS3Options, startLocalS3 } from '../../../local/s3';
import { adminAccess, makeClient, REGION, VERSIONED_BUCKET } from './local-s3-harness';

describe('a local S3 start that fails half-way', () => {
  let dataDir: string;
  let taken: Server;

  beforeEach(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-s3-failed-start-'));
    taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  });

  afterEach(async () => {
    await new Promise((resolve) => taken.close(resolve));
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const options = (port: number): LocalS3Options => ({
    dataDir,
    region: REGION,
    access: adminAccess(dataDir),
    buckets: [{ name: VERSIONED_BUCKET, versioned: true }],
    onObjectCreated: async () => undefined,
    port,
  });

  it('releases the data directory: a second start on it, on a free port, serves', async () => {
    await expect(startLocalS3(options((taken.address() as AddressInfo).port))).rejects.toMatchObject({
      code: 'EADDRINUSE',
    });

    const s3 = await startLocalS3(options(0));
    const client = makeClient(s3.endpoint);
    try {
      const head = await client.send(new HeadBucketCommand({ Bucket: VERSIONED_BUCKET }));
      expect(head.$metadata.httpStatusCode).toBe(200);
    } finally {
      client.destroy();
      await s3.close();
    }
  });
});
