/** Decoding of `Content-Encoding: aws-chunked` bodies (SigV4 streaming uploads) into the plain payload. */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { Transform, type TransformCallback } from 'node:stream';

const CRLF = Buffer.from('\r\n');
const MAX_CHUNK_HEADER_BYTES = 4096;

export function isAwsChunked(headers: IncomingHttpHeaders): boolean {
  const encoding = String(headers['content-encoding'] ?? '').toLowerCase();
  const payloadHash = String(headers['x-amz-content-sha256'] ?? '');
  return (
    encoding.split(',').some((token) => token.trim() === 'aws-chunked') ||
    payloadHash.startsWith('STREAMING-')
  );
}

/** Headers describing the decoded payload: real length, remaining content encodings, no trailer. */
export function decodedPayloadHeaders(headers: OutgoingHttpHeaders): OutgoingHttpHeaders {
  const { 'x-amz-decoded-content-length': decodedLength, 'x-amz-trailer': _trailer, ...rest } = headers;
  const encodings = String(rest['content-encoding'] ?? '')
    .split(',')
    .map((token) => token.trim())
    .filter((token) => token !== '' && token.toLowerCase() !== 'aws-chunked');
  delete rest['content-encoding'];
  delete rest['content-length'];
  if (encodings.length > 0) rest['content-encoding'] = encodings.join(', ');
  const length = Array.isArray(decodedLength) ? decodedLength[0] : decodedLength;
  if (length !== undefined) rest['content-length'] = length;
  return rest;
}

export class AwsChunkedFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AwsChunkedFormatError';
  }
}

/** Strips chunk headers (`<hex size>[;chunk-signature=...]`), chunk terminators and trailers. */
export class AwsChunkedDecoder extends Transform {
  private pending: Buffer = Buffer.alloc(0);
  private remaining = 0;
  private state: 'header' | 'data' | 'data-end' | 'trailer' = 'header';

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    try {
      this.drain();
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    callback(
      this.state === 'trailer' ? undefined : new AwsChunkedFormatError('aws-chunked body ended early'),
    );
  }

  private drain(): void {
    for (;;) {
      if (this.state === 'trailer') {
        this.pending = Buffer.alloc(0);
        return;
      }
      if (this.state === 'data') {
        if (this.pending.length === 0) return;
        const take = Math.min(this.remaining, this.pending.length);
        this.push(this.pending.subarray(0, take));
        this.pending = this.pending.subarray(take);
        this.remaining -= take;
        if (this.remaining === 0) this.state = 'data-end';
        continue;
      }
      if (this.state === 'data-end') {
        if (this.pending.length < CRLF.length) return;
        if (!this.pending.subarray(0, CRLF.length).equals(CRLF)) {
          throw new AwsChunkedFormatError('aws-chunked data is not followed by CRLF');
        }
        this.pending = this.pending.subarray(CRLF.length);
        this.state = 'header';
        continue;
      }
      const lineEnd = this.pending.indexOf(CRLF);
      if (lineEnd === -1) {
        if (this.pending.length > MAX_CHUNK_HEADER_BYTES)
          throw new AwsChunkedFormatError('aws-chunked header too long');
        return;
      }
      const sizeText = this.pending.subarray(0, lineEnd).toString('latin1').split(';')[0]?.trim() ?? '';
      if (!/^[0-9a-fA-F]+$/.test(sizeText))
        throw new AwsChunkedFormatError(`invalid aws-chunked size '${sizeText}'`);
      this.pending = this.pending.subarray(lineEnd + CRLF.length);
      this.remaining = Number.parseInt(sizeText, 16);
      this.state = this.remaining === 0 ? 'trailer' : 'data';
    }
  }
}
