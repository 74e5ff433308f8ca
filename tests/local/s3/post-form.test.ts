import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { readPostForm } from '../../../local/s3/post-form';

const BOUNDARY = 'test-boundary';

function fieldPart(name: string, value: string): string {
  return `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
}

/** A multipart request whose file never ends: reading it to the end would never finish. */
function endlessUpload(): IncomingMessage {
  const head =
    fieldPart('key', 'big.bin') +
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\n\r\n`;
  let sentHead = false;
  const stream = new Readable({
    read() {
      this.push(sentHead ? Buffer.alloc(64 * 1024, 7) : Buffer.from(head));
      sentHead = true;
    },
  });
  return Object.assign(stream, {
    headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` },
  }) as unknown as IncomingMessage;
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
  return Object.assign(Readable.from([Buffer.from(body)]), {
    headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` },
  }) as unknown as IncomingMessage;
}

describe('reading a POST upload form', () => {
  it('stops reading once the file exceeds the cap', async () => {
    const request = endlessUpload();

    const form = await readPostForm(request, { fileSizeCap: () => 1024 * 1024 });

    expect(form.file?.truncated).toBe(true);
    expect(form.file?.size).toBeGreaterThan(1024 * 1024);
    expect(request.isPaused()).toBe(true);
    request.destroy();
  });

  it('counts an oversized file to its end, without keeping it, when the request declares its length', async () => {
    const request = completeUpload([['key', 'big.txt']], 'x'.repeat(5000));
    request.headers['content-length'] = '6000';

    const form = await readPostForm(request, { fileSizeCap: () => 1000 });

    expect(form.file).toMatchObject({ size: 5000, truncated: true });
    expect(form.file?.data.length).toBe(0);
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

    const form = await readPostForm(request, { fileSizeCap: () => 100 });

    expect([...form.fields]).toEqual([
      ['key', 'a.txt'],
      ['x-amz-meta-owner', 'user-1'],
    ]);
    expect(form.file).toMatchObject({ filename: 'a.txt', size: 9, truncated: false });
    expect(form.file?.data.toString()).toBe('file body');
  });
});
