import { imageSize } from 'image-size';
import sharp, { type JpegOptions } from 'sharp';
import { type ByteNeed, readJpegHeader, walkJpegHeader } from '../../../../functions/workflow/jpeg-header';

/** A JPEG segment: FF <marker> <length u16 BE, counting itself> <payload>. */
function segment(marker: number, payload: Uint8Array): Buffer {
  const header = Buffer.from([0xff, marker, 0, 0]);
  header.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([header, payload]);
}

function insertAfterSoi(jpeg: Buffer, ...segments: Buffer[]): Buffer {
  return Buffer.concat([jpeg.subarray(0, 2), ...segments, jpeg.subarray(2)]);
}

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
  // Make (0x010F, ASCII, 8 bytes at offset 38)
  u16(0x010f, 10);
  u16(2, 12);
  u32(8, 14);
  u32(38, 18);
  // Orientation (0x0112, SHORT, 1)
  u16(0x0112, 22);
  u16(3, 24);
  u32(1, 26);
  u16(orientation, 30);
  tiff.write('Phone\0\0\0', 38, 'latin1');
  return segment(0xe1, Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]));
}

/** An APP1 segment shaped like extended XMP: a namespace header and filler, `size` bytes in all. */
function xmpExtensionSegment(size: number): Buffer {
  const payload = Buffer.alloc(size - 4, 0x20);
  payload.write('http://ns.adobe.com/xmp/extension/\0', 0, 'latin1');
  return segment(0xe1, payload);
}

function plainJpeg(width: number, height: number, options: JpegOptions = {}): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: '#6a8f3c' } })
    .jpeg(options)
    .toBuffer();
}

/** Drives the walker over a whole buffer and records every need it yields. */
function walkRecordingNeeds(bytes: Buffer) {
  const needs: ByteNeed[] = [];
  const walker = walkJpegHeader(bytes.length);
  let step = walker.next();
  while (!step.done) {
    needs.push(step.value);
    step = walker.next(bytes.subarray(step.value.offset, step.value.offset + step.value.length));
  }
  return { outcome: step.value, needs };
}

describe('JPEG header walker', () => {
  it.each([
    ['baseline 4:2:0', { width: 1021, height: 767, options: {} }],
    ['progressive', { width: 1600, height: 1200, options: { progressive: true } }],
    ['4:4:4 chroma', { width: 801, height: 1333, options: { chromaSubsampling: '4:4:4' } }],
    [
      'optimised Huffman tables, quality 100',
      { width: 3, height: 65500, options: { quality: 100, optimiseCoding: true } },
    ],
  ] as const)(
    'reads the same size as image-size for a %s JPEG',
    async (_name, { width, height, options }) => {
      const jpeg = await plainJpeg(width, height, options);

      const outcome = readJpegHeader(jpeg);

      const oracle = imageSize(jpeg);
      expect(outcome).toMatchObject({ ok: true, header: { width: oracle.width, height: oracle.height } });
      expect(oracle).toMatchObject({ width, height });
    },
  );

  it('reads the same size as image-size for a grayscale JPEG and reports one component', async () => {
    const jpeg = await sharp({ create: { width: 1200, height: 900, channels: 3, background: '#777' } })
      .toColourspace('b-w')
      .jpeg()
      .toBuffer();

    const outcome = readJpegHeader(jpeg);

    const oracle = imageSize(jpeg);
    expect((await sharp(jpeg).metadata()).channels).toBe(1);
    expect(outcome).toMatchObject({
      ok: true,
      header: { width: oracle.width, height: oracle.height, components: 1, process: 'baseline' },
    });
  });

  it('names the coding process of a progressive JPEG', async () => {
    const jpeg = await plainJpeg(900, 900, { progressive: true });

    expect(readJpegHeader(jpeg)).toMatchObject({
      ok: true,
      header: { process: 'progressive', precision: 8 },
    });
  });

  it.each([1, 2, 3, 4, 5, 6, 7, 8])(
    'reads EXIF orientation %i written by sharp, as image-size does',
    async (orientation) => {
      const jpeg = await sharp({ create: { width: 1600, height: 1200, channels: 3, background: '#345' } })
        .jpeg()
        .withMetadata({ orientation })
        .toBuffer();

      const outcome = readJpegHeader(jpeg);

      const swapped = orientation >= 5;
      expect(imageSize(jpeg).orientation).toBe(orientation);
      expect(outcome).toMatchObject({
        ok: true,
        header: {
          orientation,
          storedWidth: 1600,
          storedHeight: 1200,
          width: swapped ? 1200 : 1600,
          height: swapped ? 1600 : 1200,
        },
      });
    },
  );

  it('agrees with sharp on the displayed size of a photo with orientation 6', async () => {
    const jpeg = await sharp({ create: { width: 3024, height: 4032, channels: 3, background: '#345' } })
      .jpeg()
      .withExif({ IFD0: { Make: 'Happy Path', Model: 'Test Phone' } })
      .withMetadata({ orientation: 6 })
      .toBuffer();

    const outcome = readJpegHeader(jpeg);

    const { autoOrient } = await sharp(jpeg).metadata();
    expect(outcome).toMatchObject({
      ok: true,
      header: { width: autoOrient.width, height: autoOrient.height },
    });
    expect(outcome).toMatchObject({ header: { width: 4032, height: 3024 } });
  });

  it('reads orientation from big-endian (MM) EXIF', async () => {
    const jpeg = insertAfterSoi(await plainJpeg(1000, 800), exifSegment(8, 'MM'));

    expect(readJpegHeader(jpeg)).toMatchObject({
      ok: true,
      header: { orientation: 8, width: 800, height: 1000 },
    });
  });

  it('reads no orientation from a JPEG without EXIF and keeps the stored size', async () => {
    const jpeg = await plainJpeg(1000, 800);

    const outcome = readJpegHeader(jpeg);

    expect(outcome).toMatchObject({ ok: true, header: { width: 1000, height: 800 } });
    expect(outcome.ok === true && 'orientation' in outcome.header).toBe(false);
  });

  it('ignores an orientation value outside 1–8 instead of guessing', async () => {
    const jpeg = insertAfterSoi(await plainJpeg(1000, 800), exifSegment(9, 'II'));

    const outcome = readJpegHeader(jpeg);

    expect(outcome).toMatchObject({ ok: true, header: { width: 1000, height: 800 } });
    expect(outcome.ok === true && outcome.header.orientation).toBeUndefined();
  });

  it('skips 300 KiB of APP1 segments before the frame by asking only for their headers', async () => {
    const big = Array.from({ length: 5 }, () => xmpExtensionSegment(60 * 1024));
    const jpeg = insertAfterSoi(await plainJpeg(1200, 900), exifSegment(6, 'II'), ...big);

    const { outcome, needs } = walkRecordingNeeds(jpeg);

    expect(outcome).toMatchObject({ ok: true, header: { width: 900, height: 1200, orientation: 6 } });
    const bytesAsked = needs.reduce((sum, need) => sum + need.length, 0);
    expect(bytesAsked).toBeLessThan(200);
    expect(Math.max(...needs.map((need) => need.offset))).toBeGreaterThan(300 * 1024);
  });

  it('asks for the next segment header when the prefix ends inside a large segment', async () => {
    const jpeg = insertAfterSoi(await plainJpeg(1200, 900), xmpExtensionSegment(60 * 1024));

    const outcome = readJpegHeader(jpeg.subarray(0, 4096), jpeg.length);

    expect(outcome).toEqual({ ok: 'incomplete', need: { offset: 2 + 60 * 1024, length: 2 } });
  });

  it('accepts 0xFF fill bytes before a marker', async () => {
    const jpeg = await plainJpeg(1000, 800);
    const filled = Buffer.concat([jpeg.subarray(0, 2), Buffer.alloc(100, 0xff), jpeg.subarray(2)]);

    expect(readJpegHeader(filled)).toMatchObject({ ok: true, header: { width: 1000, height: 800 } });
  });

  it('reports a file that does not start with SOI', () => {
    expect(readJpegHeader(Buffer.from('hello, world'))).toMatchObject({ ok: false, problem: 'NOT_JPEG' });
  });

  it('reports a JPEG that ends before its frame header as truncated, without asking past its end', async () => {
    const jpeg = insertAfterSoi(await plainJpeg(1000, 800), exifSegment(1, 'II'));
    const truncated = jpeg.subarray(0, 40);

    const { outcome, needs } = walkRecordingNeeds(truncated);

    expect(outcome).toMatchObject({ ok: false, problem: 'TRUNCATED' });
    for (const need of needs) expect(need.offset + need.length).toBeLessThanOrEqual(truncated.length);
  });

  it('reports a segment that claims to run past the end of the file as truncated', async () => {
    const jpeg = await plainJpeg(1000, 800);
    const cut = Buffer.concat([
      jpeg.subarray(0, 2),
      Buffer.from([0xff, 0xe1, 0xff, 0xff]),
      Buffer.alloc(100),
    ]);

    expect(readJpegHeader(cut)).toMatchObject({ ok: false, problem: 'TRUNCATED', offset: 4 });
  });

  it('reports bytes that are not a marker where a segment should start', async () => {
    const jpeg = await plainJpeg(1000, 800);
    const broken = insertAfterSoi(jpeg, segment(0xe2, Buffer.alloc(10)), Buffer.from('junk'));

    expect(readJpegHeader(broken)).toMatchObject({ ok: false, problem: 'BAD_MARKER', offset: 16 });
  });

  it('reports a segment length below two', async () => {
    const broken = insertAfterSoi(await plainJpeg(1000, 800), Buffer.from([0xff, 0xe0, 0x00, 0x01]));

    expect(readJpegHeader(broken)).toMatchObject({ ok: false, problem: 'BAD_SEGMENT', offset: 2 });
  });

  it.each([
    ['SOS', 0xda],
    ['EOI', 0xd9],
  ])('reports %s before any frame header', (_name, marker) => {
    const bytes = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 0x00, 0x00, 0xff, marker, 0x00, 0x02]);

    expect(readJpegHeader(bytes)).toMatchObject({ ok: false, problem: 'NO_FRAME_HEADER', offset: 8 });
  });

  it('reports a frame header that declares a zero height', () => {
    const sof = segment(0xc0, Buffer.from([8, 0, 0, 0x03, 0x20, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]));
    const bytes = Buffer.concat([Buffer.from([0xff, 0xd8]), sof]);

    expect(readJpegHeader(bytes)).toMatchObject({ ok: false, problem: 'BAD_FRAME' });
  });

  it('marks a hierarchical frame (SOF5) so it can be refused', () => {
    const sof = segment(0xc5, Buffer.from([8, 0x03, 0x20, 0x03, 0x20, 1, 1, 0x11, 0]));
    const bytes = Buffer.concat([Buffer.from([0xff, 0xd8]), sof]);

    expect(readJpegHeader(bytes)).toMatchObject({
      ok: true,
      header: { process: 'hierarchical', width: 800, height: 800 },
    });
  });
});
