import { GetObjectCommand, type GetObjectCommandOutput, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import sharp from 'sharp';
import {
  DEFAULT_DIMENSION_LIMITS,
  detectImageFormat,
  probeImageHeader,
  READ_PLAN,
  type ReadRange,
  s3RangeReader,
} from '../../../../functions/workflow/image-probe';

const s3 = mockClient(S3Client);

const KiB = 1024;
const MiB = 1024 * KiB;
const object = { bucket: 'upload-bucket', key: 'ChIJ-central-park/0192f3a0-7b1c-7d2e-8f3a-4b5c6d7e8f90.jpg' };

function body(bytes: Uint8Array): GetObjectCommandOutput['Body'] {
  return { transformToByteArray: async () => bytes } as unknown as GetObjectCommandOutput['Body'];
}

/** An in-memory object behind the ReadRange interface, recording every range asked for. */
function memoryReader(bytes: Uint8Array) {
  const ranges: Array<[number, number]> = [];
  const read: ReadRange = async (start, endInclusive) => {
    ranges.push([start, endInclusive]);
    return { bytes: bytes.slice(start, endInclusive + 1), totalSize: bytes.length };
  };
  return { read, ranges };
}

function segment(marker: number, payload: Uint8Array): Buffer {
  const header = Buffer.from([0xff, marker, 0, 0]);
  header.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([header, payload]);
}

function app2Segments(count: number): Buffer[] {
  return Array.from({ length: count }, () => segment(0xe2, Buffer.alloc(65_533, 0x41)));
}

function plainJpeg(width: number, height: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: '#4a6' } })
    .jpeg()
    .toBuffer();
}

function ftyp(major: string, ...compatible: string[]): Buffer {
  const box = Buffer.alloc(16 + 4 * compatible.length);
  box.writeUInt32BE(box.length, 0);
  box.write(`ftyp${major}`, 4, 'latin1');
  compatible.forEach((brand, index) => {
    box.write(brand, 16 + 4 * index, 'latin1');
  });
  return Buffer.concat([box, Buffer.alloc(64)]);
}

beforeEach(() => {
  s3.reset();
});

describe('image type detection by magic bytes', () => {
  const image = () => sharp({ create: { width: 16, height: 16, channels: 3, background: '#fff' } });

  it.each([
    ['jpeg', () => image().jpeg().toBuffer()],
    ['png', () => image().png().toBuffer()],
    ['gif', () => image().gif().toBuffer()],
    ['webp', () => image().webp().toBuffer()],
    ['tiff', () => image().tiff().toBuffer()],
    ['avif', () => image().avif().toBuffer()],
  ] as const)('recognises %s written by sharp', async (format, make) => {
    expect(detectImageFormat(await make())).toBe(format);
  });

  it.each([
    ['an iPhone HEIC (major brand heic)', 'heic', ftyp('heic', 'mif1', 'heic')],
    ['a HEIC with major brand mif1', 'heic', ftyp('mif1', 'mif1', 'heic')],
    ['a generic HEIF', 'heif', ftyp('mif1', 'mif1')],
    ['an AVIF with major brand mif1', 'avif', ftyp('mif1', 'mif1', 'avif')],
    ['an MP4 video as not an image', 'unknown', ftyp('isom', 'isom', 'mp41')],
  ] as const)('recognises %s from its ISO BMFF brands', (_name, format, bytes) => {
    expect(detectImageFormat(bytes)).toBe(format);
  });

  it('recognises a BMP by its signature and DIB header size', () => {
    const bmp = Buffer.alloc(54);
    bmp.write('BM', 0, 'latin1');
    bmp.writeUInt32LE(40, 14);

    expect(detectImageFormat(bmp)).toBe('bmp');
  });

  it('does not take text that starts with "BM" for a bitmap', () => {
    expect(detectImageFormat(Buffer.from('BMW service invoice, March 2026'))).toBe('unknown');
  });

  it('decides by content, not by a JPEG-looking start of text', () => {
    expect(detectImageFormat(Buffer.from('<html><body>not a photo</body></html>'))).toBe('unknown');
    expect(detectImageFormat(new Uint8Array(0))).toBe('unknown');
  });
});

describe('S3 range reader', () => {
  it('returns the bytes and the total size from Content-Range', async () => {
    s3.on(GetObjectCommand).resolves({
      ContentRange: 'bytes 0-3/6873115',
      Body: body(Buffer.from([1, 2, 3, 4])),
    });

    const read = await s3RangeReader(new S3Client({}), object)(0, 3);

    expect(read).toEqual({ bytes: Buffer.from([1, 2, 3, 4]), totalSize: 6873115 });
    expect(s3).toHaveReceivedCommandWith(GetObjectCommand, {
      ...{ Bucket: object.bucket },
      Range: 'bytes=0-3',
    });
  });

  it('reads an empty object, which S3 answers with InvalidRange, as zero bytes', async () => {
    s3.on(GetObjectCommand).rejects(
      Object.assign(new Error('The requested range is not satisfiable'), { name: 'InvalidRange' }),
    );

    const read = await s3RangeReader(new S3Client({}), object)(0, 65_535);

    expect(read).toEqual({ bytes: new Uint8Array(0), totalSize: 0 });
  });

  it('reads an empty object as zero bytes when the server answers "bytes 0-0/0" (s3rver)', async () => {
    s3.on(GetObjectCommand).resolves({ ContentRange: 'bytes 0-0/0', Body: body(new Uint8Array(0)) });

    const read = await s3RangeReader(new S3Client({}), object)(0, 65_535);

    expect(read).toEqual({ bytes: new Uint8Array(0), totalSize: 0 });
  });

  it('refuses a response without Content-Range and does not read its body', async () => {
    const transformToByteArray = jest.fn();
    s3.on(GetObjectCommand).resolves({
      Body: { transformToByteArray } as unknown as GetObjectCommandOutput['Body'],
    });

    await expect(s3RangeReader(new S3Client({}), object)(0, 65_535)).rejects.toMatchObject({
      name: 'RangeReadError',
    });
    expect(transformToByteArray).not.toHaveBeenCalled();
  });

  it('refuses a body shorter than its Content-Range', async () => {
    s3.on(GetObjectCommand).resolves({ ContentRange: 'bytes 0-9/100', Body: body(new Uint8Array(4)) });

    await expect(s3RangeReader(new S3Client({}), object)(0, 9)).rejects.toMatchObject({
      name: 'RangeReadError',
    });
  });
});

describe('header probe', () => {
  it('finds the frame behind 1.5 MiB of valid metadata segments, reading well under 1 MiB', async () => {
    const jpeg = await plainJpeg(1600, 1200);
    const bytes = Buffer.concat([jpeg.subarray(0, 2), ...app2Segments(24), jpeg.subarray(2)]);
    const { read, ranges } = memoryReader(bytes);

    const { verdict, requests } = await probeImageHeader(read, DEFAULT_DIMENSION_LIMITS);

    expect(verdict).toMatchObject({ accepted: true, width: 1600, height: 1200 });
    expect(verdict.bytesRead).toBeLessThan(300 * KiB);
    expect(requests).toBe(ranges.length);
  });

  it('gives up at the 1 MiB read cap when segments keep coming, and says so', async () => {
    const jpeg = await plainJpeg(1600, 1200);
    const bytes = Buffer.concat([jpeg.subarray(0, 2), ...app2Segments(150), jpeg.subarray(2)]);
    const { read, ranges } = memoryReader(bytes);

    const { verdict } = await probeImageHeader(read, {
      ...DEFAULT_DIMENSION_LIMITS,
      maxObjectBytes: 20 * MiB,
    });

    expect(verdict).toMatchObject({
      accepted: false,
      rejection: { reason: 'CORRUPT_IMAGE', evidence: { problem: 'READ_LIMIT', maxBytesRead: MiB } },
    });
    const asked = ranges.reduce((sum, [start, end]) => sum + end - start + 1, 0);
    expect(asked).toBeLessThanOrEqual(READ_PLAN.maxBytesRead);
    expect(verdict.bytesRead).toBe(asked);
  });

  it('never asks for a range past the end of the object', async () => {
    const jpeg = await plainJpeg(1600, 1200);
    const bytes = Buffer.concat([jpeg.subarray(0, 2), ...app2Segments(2), jpeg.subarray(2, 2 + 10)]);
    const { read, ranges } = memoryReader(bytes);

    const { verdict } = await probeImageHeader(read, DEFAULT_DIMENSION_LIMITS);

    expect(verdict).toMatchObject({ accepted: false, rejection: { reason: 'CORRUPT_IMAGE' } });
    for (const [start, end] of ranges.slice(1)) {
      expect(start).toBeLessThan(bytes.length);
      expect(end).toBeLessThan(bytes.length);
    }
  });

  it('fails when the object changes size between two reads', async () => {
    const jpeg = await plainJpeg(1600, 1200);
    const bytes = Buffer.concat([jpeg.subarray(0, 2), ...app2Segments(2), jpeg.subarray(2)]);
    let calls = 0;
    const read: ReadRange = async (start, end) => ({
      bytes: bytes.slice(start, end + 1),
      totalSize: calls++ === 0 ? bytes.length : bytes.length + 1,
    });

    await expect(probeImageHeader(read, DEFAULT_DIMENSION_LIMITS)).rejects.toMatchObject({
      name: 'RangeReadError',
    });
  });

  it('rejects an empty object as not an image', async () => {
    const { read } = memoryReader(new Uint8Array(0));

    const { verdict } = await probeImageHeader(read, DEFAULT_DIMENSION_LIMITS);

    expect(verdict).toMatchObject({
      accepted: false,
      objectBytes: 0,
      rejection: { reason: 'UNSUPPORTED_TYPE', detail: 'The file is empty; only JPEG photos are accepted.' },
    });
  });

  it('rejects a hierarchical JPEG, which the resizer cannot decode', async () => {
    const sof5 = segment(0xc5, Buffer.from([8, 0x04, 0xb0, 0x06, 0x40, 1, 1, 0x11, 0]));
    const { read } = memoryReader(
      Buffer.concat([Buffer.from([0xff, 0xd8]), sof5, Buffer.from([0xff, 0xd9])]),
    );

    const { verdict } = await probeImageHeader(read, DEFAULT_DIMENSION_LIMITS);

    expect(verdict).toMatchObject({
      accepted: false,
      width: 1600,
      height: 1200,
      rejection: { reason: 'UNSUPPORTED_TYPE', evidence: { process: 'hierarchical' } },
    });
  });

  it('applies the limits it is given', async () => {
    const { read } = memoryReader(await plainJpeg(1600, 1200));

    const { verdict } = await probeImageHeader(read, { ...DEFAULT_DIMENSION_LIMITS, minSide: 1280 });

    expect(verdict).toMatchObject({
      accepted: false,
      rejection: {
        reason: 'IMAGE_TOO_SMALL',
        detail: 'The photo is 1600×1200 px; both sides must be at least 1280 px.',
      },
    });
  });
});
