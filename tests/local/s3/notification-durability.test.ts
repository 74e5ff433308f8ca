import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { BUCKET, defined, makeClient, startHarness, VERSIONED_BUCKET, waitFor } from './local-s3-harness';

jest.setTimeout(60_000);

const root = path.join(__dirname, '..', '..', '..');

/** Starts the local S3 in a child process whose deliveries never finish; resolves with its endpoint. */
function startInChild(dataDir: string): Promise<{ child: ChildProcess; endpoint: string }> {
  // One process (no CLI wrapper in between), so that SIGKILL kills the server itself.
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(__dirname, 'local-s3-process.ts'), dataDir],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  return new Promise((resolve, reject) => {
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const line = output.split('\n').find((text) => text.startsWith('{'));
      if (line) resolve({ child, endpoint: (JSON.parse(line) as { endpoint: string }).endpoint });
    });
    child.once('exit', (code) => reject(new Error(`the local S3 process exited with ${code}`)));
  });
}

function killed(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

const journalPath = (dataDir: string) => path.join(dataDir, 'notifications.jsonl');

describe('S3 notifications survive crashes and stops', () => {
  const dataDirs: string[] = [];
  const newDataDir = () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-s3-durable-'));
    dataDirs.push(dataDir);
    return dataDir;
  };

  afterAll(() => {
    for (const dataDir of dataDirs) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('delivers after a restart the notifications a SIGKILLed process had recorded but not delivered', async () => {
    const dataDir = newDataDir();
    const { child, endpoint } = await startInChild(dataDir);
    const client = makeClient(endpoint);
    const plain = await client.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: 'crash/plain.txt', Body: 'a' }),
    );
    const versioned = await client.send(
      new PutObjectCommand({ Bucket: VERSIONED_BUCKET, Key: 'crash/versioned.txt', Body: 'b' }),
    );
    client.destroy();

    await killed(child);
    const harness = await startHarness(dataDir);
    try {
      const records = await waitFor(() => (harness.records.length >= 2 ? harness.records : undefined));

      expect(
        records.map((record) => [record.s3.bucket.name, record.s3.object.key, record.s3.object.eTag]),
      ).toEqual([
        [BUCKET, 'crash/plain.txt', defined(plain.ETag).replace(/"/g, '')],
        [VERSIONED_BUCKET, 'crash/versioned.txt', defined(versioned.ETag).replace(/"/g, '')],
      ]);
      expect(records[1]?.s3.object.versionId).toBe(versioned.VersionId);
    } finally {
      await harness.close();
    }
  });

  it('after a crash between storing and recording, notifies the object that landed and drops the write that did not', async () => {
    const dataDir = newDataDir();
    const first = await startHarness(dataDir);
    const landed = await first.client.send(
      new PutObjectCommand({ Bucket: VERSIONED_BUCKET, Key: 'intent/landed.txt', Body: 'x' }),
    );
    await waitFor(() => first.records.find((record) => record.s3.object.key === 'intent/landed.txt'));
    first.client.destroy();
    await first.s3.close();
    const origin = { accessKeyId: 'LOCALACCESSKEY', sourceIp: '127.0.0.1', requestId: 'R', hostId: 'H' };
    fs.appendFileSync(
      journalPath(dataDir),
      `${JSON.stringify({ id: 900, intent: { eventName: 'ObjectCreated:Put', bucket: VERSIONED_BUCKET, key: 'intent/landed.txt', versionId: landed.VersionId, origin } })}\n` +
        `${JSON.stringify({ id: 901, intent: { eventName: 'ObjectCreated:Put', bucket: BUCKET, key: 'intent/never-stored.txt', origin } })}\n`,
    );

    const second = await startHarness(dataDir);
    try {
      const record = await waitFor(() =>
        second.records.find((entry) => entry.s3.object.key === 'intent/landed.txt'),
      );
      await second.s3.close();

      expect(record.s3.object.versionId).toBe(landed.VersionId);
      expect(second.records.map((entry) => entry.s3.object.key)).toEqual(['intent/landed.txt']);
    } finally {
      second.client.destroy();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('keeps a notification whose delivery failed until a stop, and delivers it after the restart', async () => {
    const dataDir = newDataDir();
    const failing = await startHarness(dataDir, {
      deliver: async () => {
        throw new Error('the function host is down');
      },
    });
    await failing.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'retry/a.txt', Body: 'x' }));
    await waitFor(() => failing.logLines.find((line) => line.includes('retrying')));
    failing.client.destroy();
    await failing.s3.close();

    const working = await startHarness(dataDir);
    try {
      const record = await waitFor(() =>
        working.records.find((entry) => entry.s3.object.key === 'retry/a.txt'),
      );

      expect(record.eventName).toBe('ObjectCreated:Put');
      expect(failing.records).toEqual([]);
    } finally {
      await working.close();
    }
  });

  it('does not deliver again what was delivered before a graceful stop', async () => {
    const dataDir = newDataDir();
    const first = await startHarness(dataDir);
    await first.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'once/a.txt', Body: 'x' }));
    await waitFor(() => first.records.find((record) => record.s3.object.key === 'once/a.txt'));
    first.client.destroy();
    await first.s3.close();

    const second = await startHarness(dataDir);
    await second.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'once/b.txt', Body: 'y' }));
    await waitFor(() => second.records.find((record) => record.s3.object.key === 'once/b.txt'));
    await second.close();

    expect(second.records.map((record) => record.s3.object.key)).toEqual(['once/b.txt']);
  });
});
