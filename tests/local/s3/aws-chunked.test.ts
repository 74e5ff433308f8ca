import { Readable } from 'node:stream';
import { AwsChunkedDecoder, decodedPayloadHeaders } from '../../../local/s3/aws-chunked';

async function decode(parts: string[]): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of Readable.from(parts.map((part) => Buffer.from(part))).pipe(
    new AwsChunkedDecoder(),
  )) {
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

describe('aws-chunked bodies', () => {
  it('keeps only the payload of signed chunks split at arbitrary points, dropping the trailer', async () => {
    const body =
      '5;chunk-signature=abc\r\nhello\r\n6;chunk-signature=def\r\n world\r\n0;chunk-signature=0\r\nx-amz-checksum-crc32:AAAA\r\n\r\n';

    const decoded = await decode([body.slice(0, 3), body.slice(3, 30), body.slice(30)]);

    expect(decoded).toBe('hello world');
  });

  it('fails on a body that ends before the last chunk', async () => {
    await expect(decode(['5\r\nhel'])).rejects.toThrow('aws-chunked body ended early');
  });

  it('describes the decoded payload with the decoded length and without aws-chunked', () => {
    const headers = decodedPayloadHeaders({
      'content-encoding': 'aws-chunked, gzip',
      'content-length': '120',
      'x-amz-decoded-content-length': '11',
      'x-amz-trailer': 'x-amz-checksum-crc32',
    });

    expect(headers).toEqual({ 'content-encoding': 'gzip', 'content-length': '11' });
  });
});
