import {
  GetObjectCommand,
  type GetObjectCommandInput,
  type GetObjectCommandOutput,
  NoSuchKey,
  S3Client,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { imageSize } from 'image-size';
import sharp from 'sharp';
import { handler } from '../../../../functions/workflow/check-dimensions';
import { fixture } from '../../../helpers/fixtures';

const s3 = mockClient(S3Client);

type TaskInput = { upload: { versionId?: string; key: string } };

const KiB = 1024;
const MiB = 1024 * KiB;

/** Serves ranged GETs from `object` as S3 does: clipped to its end, with Content-Range. */
function serve(object: Uint8Array): void {
  s3.on(GetObjectCommand).callsFake((input: GetObjectCommandInput) => {
    const match = /^bytes=(\d+)-(\d+)$/.exec(input.Range ?? '');
    if (!match) throw new Error(`the probe must always send a Range, got ${input.Range}`);
    const start = Number(match[1]);
    const end = Math.min(Number(match[2]), object.length - 1);
    const bytes = object.slice(start, end + 1);
    return {
      ContentRange: `bytes ${start}-${end}/${object.length}`,
      ContentLength: bytes.length,
      Body: { transformToByteArray: async () => bytes } as unknown as GetObjectCommandOutput['Body'],
    };
  });
}

/** What the mock actually handed out, computed from the requests (not from the verdict). */
function served(objectLength: number) {
  const ranges = s3.commandCalls(GetObjectCommand).map((call) => {
    const [, start, end] = /^bytes=(\d+)-(\d+)$/.exec(call.args[0].input.Range ?? '') ?? [];
    return { start: Number(start), end: Number(end) };
  });
  const bytes = ranges.reduce((sum, r) => sum + Math.min(r.end, objectLength - 1) - r.start + 1, 0);
  return { requests: ranges.length, bytes, ranges };
}

function segment(marker: number, payload: Uint8Array): Buffer {
  const header = Buffer.from([0xff, marker, 0, 0]);
  header.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([header, payload]);
}

function insertAfterSoi(jpeg: Buffer, ...parts: Buffer[]): Buffer {
  return Buffer.concat([jpeg.subarray(0, 2), ...parts, jpeg.subarray(2)]);
}

/** `count` APP1 segments shaped like extended XMP, each `size` bytes with its header. */
function xmpExtensions(count: number, size: number): Buffer[] {
  return Array.from({ length: count }, () => {
    const payload = Buffer.alloc(size - 4, 0x20);
    payload.write('http://ns.adobe.com/xmp/extension/\0', 0, 'latin1');
    return segment(0xe1, payload);
  });
}

function plainJpeg(width: number, height: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: '#5b7f3a' } })
    .jpeg()
    .toBuffer();
}

/** A 4032×3024 photo of several MB: coarse noise scaled up, so it encodes fast but weighs like a photo. */
function detailedPhoto(width: number, height: number): Promise<Buffer> {
  return sharp({
    create: {
      width: 400,
      height: 300,
      channels: 3,
      background: '#000',
      noise: { type: 'gaussian', mean: 128, sigma: 40 },
    },
  })
    .resize(width, height, { kernel: 'nearest', fit: 'fill' })
    .jpeg({ quality: 90 })
    .toBuffer();
}

function pseudoRandomBytes(length: number, seed: number): Buffer {
  const bytes = Buffer.alloc(length);
  let state = seed;
  for (let index = 0; index < length; index++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    bytes[index] = state >>> 24;
  }
  return bytes;
}

let photo: Buffer;

beforeAll(async () => {
  photo = await detailedPhoto(4032, 3024);
});

beforeEach(() => {
  s3.reset();
});

describe('check dimensions', () => {
  it('accepts a 4032×3024 JPEG with its exact size after one ranged read of 64 KiB', async () => {
    serve(photo);

    const verdict = await handler(fixture('workflow/check-dimensions.json'));

    expect(verdict).toEqual({
      accepted: true,
      format: 'jpeg',
      width: 4032,
      height: 3024,
      megapixels: 12.19,
      objectBytes: photo.length,
      bytesRead: 64 * KiB,
    });
    expect(photo.length).toBeGreaterThan(1 * MiB);
    expect(served(photo.length)).toMatchObject({ requests: 1, bytes: 64 * KiB });
  });

  it('reads the pinned object version with a ranged GET', async () => {
    serve(photo);

    await handler(fixture('workflow/check-dimensions.json'));

    expect(s3).toHaveReceivedCommandWith(GetObjectCommand, {
      Bucket: 'happy-path-backend-uploadbucket-example',
      Key: 'ChIJ-central-park/0192f3a0-7b1c-7d2e-8f3a-4b5c6d7e8f90.jpg',
      VersionId: '3sL4kqtJlcpXroDTDmJ-rmSpXd3dIbrHY',
      Range: 'bytes=0-65535',
    });
  });

  it('sends no VersionId when the upload has none', async () => {
    serve(photo);
    const input = fixture<TaskInput>('workflow/check-dimensions.json');
    delete input.upload.versionId;

    await handler(input);

    const sent = s3.commandCalls(GetObjectCommand)[0]?.args[0].input;
    expect(sent).toBeDefined();
    expect(sent && 'VersionId' in sent).toBe(false);
  });

  it('swaps width and height of a photo stored with EXIF orientation 6', async () => {
    const rotated = await sharp({ create: { width: 3024, height: 4032, channels: 3, background: '#345' } })
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toBuffer();
    serve(rotated);

    const verdict = await handler(fixture('workflow/check-dimensions.json'));

    expect(verdict).toMatchObject({ accepted: true, width: 4032, height: 3024, orientation: 6 });
  });

  it('measures a JPEG behind 300 KiB of APP1 segments by skipping them, reading at most 128 KiB', async () => {
    const jpeg = insertAfterSoi(photo, ...xmpExtensions(5, 60 * KiB + 1));
    serve(jpeg);

    const verdict = await handler(fixture('workflow/check-dimensions.json'));

    expect(verdict).toMatchObject({ accepted: true, width: 4032, height: 3024 });
    const { bytes, requests } = served(jpeg.length);
    expect(bytes).toBeLessThanOrEqual(128 * KiB);
    expect(verdict.bytesRead).toBe(bytes);
    expect(requests).toBeGreaterThan(1);
  });

  it('keeps the EXIF orientation found in front of large APP1 segments', async () => {
    const rotated = await sharp(photo).withMetadata({ orientation: 8 }).jpeg().toBuffer();
    const exifEnd = 4 + rotated.readUInt16BE(4);
    const jpeg = Buffer.concat([
      rotated.subarray(0, exifEnd),
      ...xmpExtensions(12, 65_000),
      rotated.subarray(exifEnd),
    ]);
    serve(jpeg);

    const verdict = await handler(fixture('workflow/check-dimensions.json'));

    expect(verdict).toMatchObject({ accepted: true, width: 3024, height: 4032, orientation: 8 });
    expect(served(jpeg.length).bytes).toBeLessThan(256 * KiB);
  });

  it('rejects as corrupt a JPEG with 1.5 MiB of junk fill bytes before its frame, reading at most 1 MiB', async () => {
    const jpeg = insertAfterSoi(photo, Buffer.alloc(1.5 * MiB, 0xff));
    serve(jpeg);

    const verdict = await handler(fixture('workflow/check-dimensions.json'));

    expect(verdict).toMatchObject({
      accepted: false,
      rejection: { reason: 'CORRUPT_IMAGE', evidence: { problem: 'READ_LIMIT' } },
    });
    const { bytes, ranges, requests } = served(jpeg.length);
    expect(bytes).toBeLessThanOrEqual(1 * MiB);
    expect(verdict.bytesRead).toBe(bytes);
    expect(requests).toBeLessThanOrEqual(10); // reads grow while scanning a run, not 8 KiB at a time
    for (const range of ranges) expect(range.end).toBeLessThan(jpeg.length);
  });

  it('rejects as corrupt a JPEG whose segment chain runs into 1.5 MiB of junk', async () => {
    const jpeg = insertAfterSoi(photo, ...xmpExtensions(1, 60 * KiB), pseudoRandomBytes(1.5 * MiB, 7));
    serve(jpeg);

    const verdict = await handler(fixture('workflow/check-dimensions.json'));

    expect(verdict).toMatchObject({
      accepted: false,
      rejection: { reason: 'CORRUPT_IMAGE', evidence: { problem: 'BAD_MARKER', offset: 2 + 60 * KiB } },
    });
    expect(served(jpeg.length).bytes).toBeLessThanOrEqual(64 * KiB);
  });

  it('rejects a PNG named .jpg as an unsupported type, naming PNG', async () => {
    serve(
      await sharp({ create: { width: 1200, height: 900, channels: 3, background: '#123' } })
        .png()
        .toBuffer(),
    );

    const verdict = await handler(fixture('workflow/check-dimensions.json'));

    expect(verdict).toMatchObject({
      accepted: false,
      format: 'png',
      rejection: {
        reason: 'UNSUPPORTED_TYPE',
        detail: 'The file is a PNG image; only JPEG photos are accepted.',
        evidence: { format: 'png', signature: '89504e470d0a1a0a' },
      },
    });
  });

  it('rejects a GIF as an unsupported type, naming GIF', async () => {
    serve(
      await sharp({ create: { width: 1200, height: 900, channels: 3, background: '#123' } })
        .gif()
        .toBuffer(),
    );

    const verdict = await handler(fixture('workflow/check-dimensions.json'));

    expect(verdict).toMatchObject({
      accepted: false,
      format: 'gif',
      rejection: { reason: 'UNSUPPORTED_TYPE' },
    });
    expect(verdict.rejection?.detail).toContain('GIF');
  });

  it('rejects a HEIC file from its ftyp brand, naming HEIF/HEIC', async () => {
    const heic = Buffer.concat([
      Buffer.from([0, 0, 0, 0x18]),
      Buffer.from('ftypheic\0\0\0\0mif1heic', 'latin1'),
      pseudoRandomBytes(200 * KiB, 3),
    ]);
    serve(heic);

    const verdict = await handler(fixture('workflow/check-dimensions.json'));

    expect(verdict).toMatchObject({
      accepted: false,
      format: 'heif',
      rejection: { reason: 'UNSUPPORTED_TYPE' },
    });
    expect(verdict.rejection?.detail).toContain('HEIC');
  });

  it('rejects random bytes as not an image', async () => {
    serve(pseudoRandomBytes(300 * KiB, 42));

    const verdict = await handler(fixture('workflow/check-dimensions.json'));

    expect(verdict).toMatchObject({
      accepted: false,
      format: 'unknown',
      rejection: {
        reason: 'UNSUPPORTED_TYPE',
        detail: 'The file is not an image; only JPEG photos are accepted.',
      },
    });
  });

  it('rejects a JPEG that ends before its frame header as corrupt', async () => {
    const exifPhoto = await sharp(photo).withMetadata({ orientation: 1 }).jpeg().toBuffer();
    const truncated = exifPhoto.subarray(0, 30);
    serve(truncated);

    const verdict = await handler(fixture('workflow/check-dimensions.json'));

    expect(verdict).toMatchObject({
      accepted: false,
      objectBytes: 30,
      bytesRead: 30,
      rejection: { reason: 'CORRUPT_IMAGE', evidence: { problem: 'TRUNCATED' } },
    });
    expect(verdict.rejection?.detail).toMatch(/^The JPEG file is damaged: .+\.$/);
  });

  it('rejects a 640×480 photo as too small, with its size in the detail', async () => {
    serve(await plainJpeg(640, 480));

    const verdict = await handler(fixture('workflow/check-dimensions.json'));

    expect(verdict).toMatchObject({
      accepted: false,
      width: 640,
      height: 480,
      rejection: {
        reason: 'IMAGE_TOO_SMALL',
        detail: 'The photo is 640×480 px; both sides must be at least 800 px.',
        evidence: { width: 640, height: 480, minSide: 800 },
      },
    });
  });

  it('accepts a photo whose shorter side is exactly the minimum', async () => {
    serve(await plainJpeg(1200, 800));

    const verdict = await handler(fixture('workflow/check-dimensions.json'));

    expect(verdict).toMatchObject({ accepted: true, width: 1200, height: 800 });
  });

  it('rejects a 12000×900 panorama as too large', async () => {
    serve(await plainJpeg(12000, 900));

    const verdict = await handler(fixture('workflow/check-dimensions.json'));

    expect(verdict).toMatchObject({
      accepted: false,
      width: 12000,
      height: 900,
      rejection: { reason: 'IMAGE_TOO_LARGE', evidence: { maxSide: 10000 } },
    });
  });

  it('rejects a tiny file whose header declares 60000×60000 px (decompression bomb)', async () => {
    const small = await plainJpeg(1000, 1000);
    const bomb = Buffer.from(small);
    const sof = bomb.indexOf(Buffer.from([0xff, 0xc0]));
    bomb.writeUInt16BE(60000, sof + 5);
    bomb.writeUInt16BE(60000, sof + 7);
    expect(imageSize(bomb)).toMatchObject({ width: 60000, height: 60000 });
    serve(bomb);

    const verdict = await handler(fixture('workflow/check-dimensions.json'));

    expect(verdict).toMatchObject({
      accepted: false,
      width: 60000,
      height: 60000,
      megapixels: 3600,
      rejection: { reason: 'IMAGE_TOO_LARGE', evidence: { megapixels: 3600, maxMegapixels: 50 } },
    });
  });

  it('rejects a photo over 50 megapixels even when both sides are allowed', async () => {
    const small = await plainJpeg(1000, 1000);
    const sof = small.indexOf(Buffer.from([0xff, 0xc0]));
    small.writeUInt16BE(7500, sof + 5);
    small.writeUInt16BE(7500, sof + 7);
    serve(small);

    const verdict = await handler(fixture('workflow/check-dimensions.json'));

    expect(verdict).toMatchObject({
      accepted: false,
      megapixels: 56.25,
      rejection: { reason: 'IMAGE_TOO_LARGE' },
    });
  });

  it('rejects an object over MAX_OBJECT_BYTES from the first response alone', async () => {
    const huge = Buffer.concat([photo.subarray(0, 64 * KiB), Buffer.alloc(10 * MiB)]);
    serve(huge);

    const verdict = await handler(fixture('workflow/check-dimensions.json'));

    expect(verdict).toEqual({
      accepted: false,
      format: 'jpeg',
      objectBytes: huge.length,
      bytesRead: 64 * KiB,
      rejection: {
        reason: 'IMAGE_TOO_LARGE',
        detail: 'The file is 10.1 MiB; files may be at most 10.0 MiB.',
        evidence: { objectBytes: huge.length, maxObjectBytes: 10 * MiB },
      },
    });
    expect(s3).toHaveReceivedCommandTimes(GetObjectCommand, 1);
  });

  it('reads a small object whole in one request without asking past its end', async () => {
    const small = await plainJpeg(1000, 800);
    serve(small);

    const verdict = await handler(fixture('workflow/check-dimensions.json'));

    expect(verdict).toMatchObject({ accepted: true, objectBytes: small.length, bytesRead: small.length });
    expect(s3).toHaveReceivedCommandTimes(GetObjectCommand, 1);
  });

  it('throws InvalidTaskInputError naming every invalid field, without calling S3', async () => {
    const promise = handler(fixture('workflow/check-dimensions-invalid.json'));

    await expect(promise).rejects.toMatchObject({ name: 'InvalidTaskInputError' });
    await expect(promise).rejects.toThrow(/upload\.uploadId: must be an upload id; upload\.size: /);
    expect(s3).not.toHaveReceivedCommand(GetObjectCommand);
  });

  it('fails at cold start, naming the variable, when a limit is not a whole number', () => {
    const saved = process.env.MAX_MEGAPIXELS;
    process.env.MAX_MEGAPIXELS = '12.5';
    try {
      expect(() =>
        jest.isolateModules(() => {
          require('../../../../functions/workflow/check-dimensions');
        }),
      ).toThrow(/MAX_MEGAPIXELS: must be a whole number/);
    } finally {
      if (saved === undefined) delete process.env.MAX_MEGAPIXELS;
      else process.env.MAX_MEGAPIXELS = saved;
    }
  });

  it('lets NoSuchKey propagate when the object is gone', async () => {
    s3.on(GetObjectCommand).rejects(
      new NoSuchKey({ message: 'The specified key does not exist.', $metadata: {} }),
    );

    await expect(handler(fixture('workflow/check-dimensions.json'))).rejects.toMatchObject({
      name: 'NoSuchKey',
    });
  });

  it('lets a throttling error propagate for the state machine to retry', async () => {
    s3.on(GetObjectCommand).rejects(
      Object.assign(new Error('Please reduce your request rate.'), { name: 'SlowDown' }),
    );

    await expect(handler(fixture('workflow/check-dimensions.json'))).rejects.toMatchObject({
      name: 'SlowDown',
    });
  });
});
