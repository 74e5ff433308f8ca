import { GetObjectCommand, type GetObjectCommandOutput, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import sharp from 'sharp';
import {
  DEFAULT_DIMENSION_LIMITS,
  detectImageFormat,
  isJpeg,
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
    ['heif', () => image().avif().toBuffer()],
  ] as const)('recognises %s written by sharp (AVIF is heif to image-size)', async (format, make) => {
    expect(detectImageFormat(await make())).toBe(format);
  });

  it.each([
    ['an iPhone HEIC (major brand heic)', ftyp('heic', 'mif1', 'heic')],
    ['a generic HEIF (major brand mif1)', ftyp('mif1', 'mif1')],
  ] as const)('recognises %s from its ftyp box as heif', (_name, bytes) => {
    expect(detectImageFormat(bytes)).toBe('heif');
  });

  it('does not take an MP4 video for an image', () => {
    expect(detectImageFormat(ftyp('isom', 'isom', 'mp41'))).not.toBe('heif');
  });

  it('decides by content, not by a JPEG-looking start of text', () => {
    expect(detectImageFormat(Buffer.from('<html><body>not a photo</body></html>'))).toBe('unknown');
    expect(detectImageFormat(new Uint8Array(0))).toBe('unknown');
  });

  it('takes only SOI for a JPEG, not a file that merely contains JPEG bytes later', () => {
    expect(isJpeg(Buffer.from([0xff, 0xd8, 0xff, 0xe0]))).toBe(true);
    expect(isJpeg(Buffer.from([0x00, 0xff, 0xd8, 0xff]))).toBe(false);
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

  it('rejects a hierarchical JPEG, which the resizer cannot decode, as corrupt (never as another type)', async () => {
    const sof5 = segment(0xc5, Buffer.from([8, 0x04, 0xb0, 0x06, 0x40, 1, 1, 0x11, 0]));
    const { read } = memoryReader(
      Buffer.concat([Buffer.from([0xff, 0xd8]), sof5, Buffer.from([0xff, 0xd9])]),
    );

    const { verdict } = await probeImageHeader(read, DEFAULT_DIMENSION_LIMITS);

    expect(verdict).toMatchObject({
      accepted: false,
      format: 'jpeg',
      rejection: { reason: 'CORRUPT_IMAGE', evidence: { problem: 'BAD_FRAME', marker: 'FFC5' } },
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

/** An APP1 Exif segment whose IFD0 holds Make and Orientation, in either byte order. */
function exifSegment(orientation: number, byteOrder: 'II' | 'MM'): Buffer {
  const tiff = Buffer.alloc(8 + 2 + 2 * 12 + 4 + 8);
  const little = byteOrder === 'II';
  const u16 = (value: number, at: number) =>
    little ? tiff.writeUInt16LE(value, at) : tiff.writeUInt16BE(value, at);
  const u32 = (value: number, at: number) =>
    little ? tiff.writeUInt32LE(value, at) : tiff.writeUInt32BE(value, at);
  tiff.write(byteOrder, 0, 'latin1');
  u16(42, 2);
  u32(8, 4);
  u16(2, 8);
  u16(0x010f, 10); // Make, ASCII, 8 bytes at offset 38
  u16(2, 12);
  u32(8, 14);
  u32(38, 18);
  u16(0x0112, 22); // Orientation, SHORT, 1
  u16(3, 24);
  u32(1, 26);
  u16(orientation, 30);
  tiff.write('Phone\0\0\0', 38, 'latin1');
  return segment(0xe1, Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]));
}

function insertAfterSoi(jpeg: Buffer, ...parts: Buffer[]): Buffer {
  return Buffer.concat([jpeg.subarray(0, 2), ...parts, jpeg.subarray(2)]);
}

const anyLimits = { ...DEFAULT_DIMENSION_LIMITS, minSide: 1 };

describe('JPEG header through segment lengths and image-size', () => {
  it.each([
    ['baseline', {}],
    ['progressive', { progressive: true }],
    ['4:4:4 chroma, quality 100', { chromaSubsampling: '4:4:4', quality: 100 }],
  ] as const)('measures a %s JPEG', async (_name, options) => {
    const jpeg = await sharp({ create: { width: 1021, height: 767, channels: 3, background: '#6a8f3c' } })
      .jpeg(options)
      .toBuffer();

    const { verdict } = await probeImageHeader(memoryReader(jpeg).read, anyLimits);

    expect(verdict).toMatchObject({ accepted: true, width: 1021, height: 767 });
  });

  it('agrees with sharp on the displayed size of a photo with orientation 6', async () => {
    const jpeg = await sharp({ create: { width: 3024, height: 4032, channels: 3, background: '#345' } })
      .jpeg()
      .withExif({ IFD0: { Make: 'Happy Path', Model: 'Test Phone' } })
      .withMetadata({ orientation: 6 })
      .toBuffer();

    const { verdict } = await probeImageHeader(memoryReader(jpeg).read, anyLimits);

    const { autoOrient } = await sharp(jpeg).metadata();
    expect(verdict).toMatchObject({ orientation: 6, width: autoOrient.width, height: autoOrient.height });
  });

  it('reads orientation 8 from big-endian (MM) EXIF and swaps the sides', async () => {
    const jpeg = insertAfterSoi(await plainJpeg(1000, 800), exifSegment(8, 'MM'));

    const { verdict } = await probeImageHeader(memoryReader(jpeg).read, anyLimits);

    expect(verdict).toMatchObject({ orientation: 8, width: 800, height: 1000 });
  });

  it('ignores an orientation value outside 1–8 and keeps the stored size', async () => {
    const jpeg = insertAfterSoi(await plainJpeg(1000, 800), exifSegment(9, 'II'));

    const { verdict } = await probeImageHeader(memoryReader(jpeg).read, anyLimits);

    expect(verdict).toMatchObject({ accepted: true, width: 1000, height: 800 });
    expect(verdict.orientation).toBeUndefined();
  });

  it('accepts 0xFF fill bytes before a marker', async () => {
    const jpeg = await plainJpeg(1000, 800);
    const filled = Buffer.concat([jpeg.subarray(0, 2), Buffer.alloc(100, 0xff), jpeg.subarray(2)]);

    const { verdict } = await probeImageHeader(memoryReader(filled).read, anyLimits);

    expect(verdict).toMatchObject({ accepted: true, width: 1000, height: 800 });
  });

  it.each([
    [
      'a segment that runs past the end of the file',
      'TRUNCATED',
      (jpeg: Buffer) =>
        Buffer.concat([jpeg.subarray(0, 2), Buffer.from([0xff, 0xe1, 0xff, 0xff]), Buffer.alloc(100)]),
    ],
    [
      'bytes that are not a marker where a segment should start',
      'BAD_MARKER',
      (jpeg: Buffer) => insertAfterSoi(jpeg, segment(0xe2, Buffer.alloc(10)), Buffer.from('junk')),
    ],
    [
      'a segment length below two',
      'BAD_SEGMENT',
      (jpeg: Buffer) => insertAfterSoi(jpeg, Buffer.from([0xff, 0xe0, 0x00, 0x01])),
    ],
    [
      'SOS before any frame header',
      'NO_FRAME_HEADER',
      () => Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 0x00, 0x00, 0xff, 0xda, 0x00, 0x02]),
    ],
    [
      'a frame header that declares a zero height',
      'BAD_FRAME',
      () =>
        Buffer.concat([
          Buffer.from([0xff, 0xd8]),
          segment(0xe0, Buffer.alloc(14)),
          segment(0xc0, Buffer.from([8, 0, 0, 0x03, 0x20, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1])),
        ]),
    ],
  ] as const)('rejects as corrupt %s (%s)', async (_name, problem, make) => {
    const bytes = make(await plainJpeg(1000, 800));

    const { verdict } = await probeImageHeader(memoryReader(bytes).read, anyLimits);

    expect(verdict).toMatchObject({
      accepted: false,
      format: 'jpeg',
      rejection: { reason: 'CORRUPT_IMAGE', evidence: { problem } },
    });
  });
});
