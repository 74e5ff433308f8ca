import fs from 'node:fs';
import type { IncomingMessage } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { readBody } from '../../../local/s3/backend';
import { readPostForm } from '../../../local/s3/post-form';

const BOUNDARY = 'test-boundary';

function fieldPart(name: string, value: string): string {
  return `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
}

function asRequest(stream: Readable): IncomingMessage {
  return Object.assign(stream, {
    headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` },
  }) as unknown as IncomingMessage;
}

/** A multipart request whose file never ends: reading it to the end would never finish. */
function endlessUpload(): IncomingMessage {
  const head =
    fieldPart('key', 'big.bin') +
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\n\r\n`;
  let sentHead = false;
  return asRequest(
    new Readable({
      read() {
        this.push(sentHead ? Buffer.alloc(64 * 1024, 7) : Buffer.from(head));
        sentHead = true;
      },
    }),
  );
}

function completeUpload(
  fields: Array<[string, string]>,
  file: string,
  trailing: Array<[string, string]> = [],
) {
  const body =
    fields.map(([name, value]) => fieldPart(name, value)).join('') +
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\n${file}\r\n` +
    trailing.map(([name, value]) => fieldPart(name, value)).join('') +
    `--${BOUNDARY}--\r\n`;
  return asRequest(Readable.from([Buffer.from(body)]));
}

describe('reading a POST upload form', () => {
  let spoolDir: string;

  beforeEach(() => {
    spoolDir = fs.mkdtempSync(path.join(os.tmpdir(), 'post-form-test-'));
  });

  afterEach(() => {
    fs.rmSync(spoolDir, { recursive: true, force: true });
  });

  it('stops reading once the file exceeds the cap and keeps nothing of it on disk', async () => {
    const request = endlessUpload();

    const form = await readPostForm(request, { fileSizeCap: () => 1024 * 1024, spoolDir });

    expect(form.file?.truncated).toBe(true);
    expect(form.file?.size).toBeGreaterThan(1024 * 1024);
    expect(request.isPaused()).toBe(true);
    expect(fs.readdirSync(spoolDir)).toEqual([]);
    request.destroy();
  });

  it('counts an oversized file to its end, without keeping it, when the request declares its length', async () => {
    const request = completeUpload([['key', 'big.txt']], 'x'.repeat(5000));
    request.headers['content-length'] = '6000';

    const form = await readPostForm(request, { fileSizeCap: () => 1000, spoolDir });

    expect(form.file).toMatchObject({ size: 5000, truncated: true });
    expect(await readBody(form.file?.read() as Readable, 10_000)).toHaveLength(0);
    expect(fs.readdirSync(spoolDir)).toEqual([]);
  });

  it('keeps the fields before the file with lower-cased names and ignores the ones after it', async () => {
    const request = completeUpload(
      [
        ['Key', 'a.txt'],
        ['X-Amz-Meta-Owner', 'user-1'],
      ],
      'file body',
      [['late-field', 'ignored']],
    );

    const form = await readPostForm(request, { fileSizeCap: () => 100, spoolDir });

    expect([...form.fields]).toEqual([
      ['key', 'a.txt'],
      ['x-amz-meta-owner', 'user-1'],
    ]);
    expect(form.file).toMatchObject({ filename: 'a.txt', size: 9, truncated: false });
    expect((await readBody(form.file?.read() as Readable, 100)).toString()).toBe('file body');
  });

  it('writes the file to one spool file, readable again from the start, and deletes it on discard', async () => {
    const content = 'photo bytes '.repeat(20_000);
    const form = await readPostForm(completeUpload([['key', 'a.txt']], content), {
      fileSizeCap: () => 1024 * 1024,
      spoolDir,
    });

    const [first, second] = [form.file?.read() as Readable, form.file?.read() as Readable];
    expect((await readBody(first, 1024 * 1024)).toString()).toBe(content);
    expect((await readBody(second, 1024 * 1024)).toString()).toBe(content);
    expect(fs.readdirSync(spoolDir)).toHaveLength(1);
    await form.discard();
    expect(fs.readdirSync(spoolDir)).toEqual([]);
  });

  it('refuses a form whose body breaks off inside the file with MalformedPOSTRequest and leaves no spool file', async () => {
    const broken =
      fieldPart('key', 'a.txt') +
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\n` +
      'half a file';
    const request = asRequest(Readable.from([Buffer.from(broken)]));

    await expect(readPostForm(request, { fileSizeCap: () => 1024, spoolDir })).rejects.toMatchObject({
      code: 'MalformedPOSTRequest',
    });
    expect(fs.readdirSync(spoolDir)).toEqual([]);
  });
});
