import exifReader from 'exif-reader';
import sharp from 'sharp';
import {
  CorruptImageError,
  ImageTooLargeError,
  intermediateSize,
  readExifFacts,
  resizeImage,
  UnsupportedImageTypeError,
} from '../../../../functions/workflow/resize-image';

const limits = { maxInputPixels: 50_000_000 };

/** A noisy photo-like JPEG (noise makes the entropy-coded data fill the whole file, like a photo). */
async function jpegPhoto(
  width: number,
  height: number,
  options: { orientation?: number; quality?: number } = {},
): Promise<Buffer> {
  let image = sharp({
    create: {
      width,
      height,
      channels: 3,
      background: '#6a8caf',
      noise: { type: 'gaussian', mean: 128, sigma: 40 },
    },
  }).jpeg({ quality: options.quality ?? 85 });
  if (options.orientation) image = image.withMetadata({ orientation: options.orientation });
  return image.toBuffer();
}

/** Vertical colour bands, left to right, each `bandWidth` px wide. */
async function bands(colours: Array<[number, number, number]>, bandWidth: number, height: number) {
  const width = colours.length * bandWidth;
  const pixels = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const colour = colours[Math.floor(x / bandWidth)] ?? [0, 0, 0];
      pixels.set(colour, (y * width + x) * 3);
    }
  }
  return { pixels, width, height };
}

async function pixelAt(jpeg: Buffer, x: number, y: number): Promise<number[]> {
  const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
  const offset = (y * info.width + x) * info.channels;
  return [...data.subarray(offset, offset + 3)];
}

function expectColourNear(actual: number[], expected: [number, number, number]) {
  actual.forEach((value, channel) => {
    expect(Math.abs(value - (expected[channel] ?? 0))).toBeLessThan(30);
  });
}

/** Rewrites the frame header (SOF) of a JPEG to declare another size; the file stays tiny. */
function withDeclaredSize(jpeg: Buffer, width: number, height: number): Buffer {
  const patched = Buffer.from(jpeg);
  let offset = 2;
  while (offset + 4 < patched.length && patched[offset] === 0xff) {
    const marker = patched[offset + 1] ?? 0;
    const length = patched.readUInt16BE(offset + 2);
    if (marker >= 0xc0 && marker <= 0xc2) {
      patched.writeUInt16BE(height, offset + 5);
      patched.writeUInt16BE(width, offset + 7);
      return patched;
    }
    offset += 2 + length;
  }
  throw new Error('no frame header found');
}

describe('resizeImage', () => {
  it('makes a 400×400 tile and a 600 px-wide copy of a landscape photo', async () => {
    const input = await jpegPhoto(2400, 1800);

    const result = await resizeImage(input, limits);

    expect(result).toMatchObject({ width: 2400, height: 1800 });
    expect(result.tile).toMatchObject({ width: 400, height: 400 });
    expect(result.scaled).toMatchObject({ width: 600, height: 450 });
    expect(await sharp(result.tile.data).metadata()).toMatchObject({
      format: 'jpeg',
      width: 400,
      height: 400,
    });
    expect(await sharp(result.scaled.data).metadata()).toMatchObject({
      format: 'jpeg',
      width: 600,
      height: 450,
    });
  });

  it('applies EXIF orientation 6, so a sideways-stored phone photo gives a portrait copy', async () => {
    // Stored landscape: left half red, right half blue; orientation 6 turns it 90° clockwise.
    const input = await sharp({ create: { width: 2016, height: 3024, channels: 3, background: '#dc1e1e' } })
      .extend({ right: 2016, background: '#1e1edc' })
      .jpeg({ quality: 85 })
      .withMetadata({ orientation: 6 })
      .toBuffer();
    expect(await sharp(input).metadata()).toMatchObject({ width: 4032, height: 3024, orientation: 6 });

    const result = await resizeImage(input, limits);

    expect(result).toMatchObject({ width: 3024, height: 4032 });
    expect(result.scaled).toMatchObject({ width: 600, height: 800 });
    expect(result.tile).toMatchObject({ width: 400, height: 400 });
    expectColourNear(await pixelAt(result.scaled.data, 300, 20), [220, 30, 30]);
    expectColourNear(await pixelAt(result.scaled.data, 300, 780), [30, 30, 220]);
    expect((await sharp(result.scaled.data).metadata()).orientation).toBeUndefined();
  });

  it('strips EXIF, GPS, XMP and the ICC profile from both copies, and writes progressive sRGB JPEGs', async () => {
    const input = await sharp({ create: { width: 1600, height: 1200, channels: 3, background: '#4080c0' } })
      .jpeg()
      .withIccProfile('p3')
      .withExif({
        IFD0: { Make: 'Apple', Model: 'iPhone 15 Pro', Copyright: 'Jane Doe' },
        IFD2: { DateTimeOriginal: '2026:05:01 14:03:59' },
        IFD3: {
          GPSLatitudeRef: 'N',
          GPSLatitude: '40/1 46/1 56/1',
          GPSLongitudeRef: 'W',
          GPSLongitude: '73/1 58/1 0/1',
        },
      })
      .withXmp(
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/></x:xmpmeta>',
      )
      .toBuffer();
    const inputMetadata = await sharp(input).metadata();
    expect(inputMetadata.xmp).toBeDefined();
    expect(inputMetadata.icc).toBeDefined();
    expect(exifReader(inputMetadata.exif as Buffer).GPSInfo?.GPSLatitudeRef).toBe('N');

    const result = await resizeImage(input, limits);

    for (const copy of [result.tile, result.scaled]) {
      const metadata = await sharp(copy.data).metadata();
      expect(metadata).toMatchObject({ format: 'jpeg', space: 'srgb', channels: 3, isProgressive: true });
      expect(metadata.exif).toBeUndefined();
      expect(metadata.xmp).toBeUndefined();
      expect(metadata.iptc).toBeUndefined();
      expect(metadata.icc).toBeUndefined();
      expect(metadata.orientation).toBeUndefined();
      expect(copy.data.includes('Jane Doe')).toBe(false);
    }
  });

  it('keeps the camera and the capture time from EXIF but never GPS', async () => {
    const input = await sharp({ create: { width: 900, height: 900, channels: 3, background: '#336699' } })
      .jpeg()
      .withExif({
        IFD0: { Make: 'Apple', Model: 'iPhone 15 Pro' },
        IFD2: { DateTimeOriginal: '2026:05:01 14:03:59' },
        IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '40/1 46/1 56/1' },
      })
      .toBuffer();

    const { tile, scaled, timingsMs, ...facts } = await resizeImage(input, limits);

    expect(facts).toEqual({
      width: 900,
      height: 900,
      camera: 'Apple iPhone 15 Pro',
      takenAt: '2026-05-01T14:03:59',
    });
    expect(JSON.stringify(facts)).not.toMatch(/GPS/i);
  });

  it('omits camera and capture time when the photo has no EXIF', async () => {
    const input = await jpegPhoto(800, 600);

    const result = await resizeImage(input, limits);

    expect(result).not.toHaveProperty('camera');
    expect(result).not.toHaveProperty('takenAt');
  });

  it('crops the tile from the centre of the picture', async () => {
    // 1200×400: red | green (600 px) | blue; the tile is the middle 400 px, all green.
    const { pixels, width, height } = await bands(
      [
        [220, 30, 30],
        [30, 200, 30],
        [30, 200, 30],
        [30, 30, 220],
      ],
      300,
      400,
    );
    const input = await sharp(pixels, { raw: { width, height, channels: 3 } })
      .jpeg()
      .toBuffer();

    const result = await resizeImage(input, limits);

    for (const x of [2, 200, 397]) expectColourNear(await pixelAt(result.tile.data, x, 200), [30, 200, 30]);
  });

  it('never upscales the scaled copy: a 500 px-wide photo stays 500 px wide', async () => {
    const input = await jpegPhoto(500, 700);

    const result = await resizeImage(input, limits);

    expect(result.scaled).toMatchObject({ width: 500, height: 700 });
    expect(result.tile).toMatchObject({ width: 400, height: 400 });
  });

  it('enlarges a tiny 300×200 photo to a full 400×400 tile and keeps its scaled copy at 300×200', async () => {
    const input = await jpegPhoto(300, 200);

    const result = await resizeImage(input, limits);

    expect(result).toMatchObject({ width: 300, height: 200 });
    expect(result.tile).toMatchObject({ width: 400, height: 400 });
    expect(result.scaled).toMatchObject({ width: 300, height: 200 });
  });

  it('gives byte-identical copies when run twice on the same original, so retries overwrite alike', async () => {
    const input = await jpegPhoto(1200, 900);

    const first = await resizeImage(input, limits);
    const second = await resizeImage(input, limits);

    expect(second.tile.data.equals(first.tile.data)).toBe(true);
    expect(second.scaled.data.equals(first.scaled.data)).toBe(true);
  });

  it('refuses a JPEG cut at 60% as corrupt instead of publishing a half-grey picture', async () => {
    const input = await jpegPhoto(1600, 1200);
    const truncated = input.subarray(0, Math.floor(input.length * 0.6));

    const attempt = resizeImage(truncated, limits);

    await expect(attempt).rejects.toBeInstanceOf(CorruptImageError);
    await expect(attempt).rejects.toMatchObject({ name: 'CorruptImageError' });
  });

  it('refuses a file that starts like a JPEG but has a broken header as corrupt', async () => {
    const input = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(64, 7)]);

    await expect(resizeImage(input, limits)).rejects.toMatchObject({ name: 'CorruptImageError' });
  });

  it('refuses a PNG, even one named .jpg, as an unsupported type', async () => {
    const png = await sharp({ create: { width: 800, height: 600, channels: 3, background: '#888888' } })
      .png()
      .toBuffer();

    const attempt = resizeImage(png, limits);

    await expect(attempt).rejects.toBeInstanceOf(UnsupportedImageTypeError);
    await expect(attempt).rejects.toMatchObject({ name: 'UnsupportedImageTypeError', message: /png image/ });
  });

  it('refuses bytes that are no image at all as an unsupported type', async () => {
    const attempt = resizeImage(Buffer.from('%PDF-1.7 this is not a photo'), limits);

    await expect(attempt).rejects.toMatchObject({ name: 'UnsupportedImageTypeError' });
  });

  it('refuses a decompression bomb from its header, before decoding any pixel', async () => {
    const small = await sharp({ create: { width: 16, height: 16, channels: 3, background: '#808080' } })
      .jpeg()
      .toBuffer();
    const bomb = withDeclaredSize(small, 60000, 60000);
    expect(bomb.length).toBeLessThan(1024);

    const attempt = resizeImage(bomb, limits);

    await expect(attempt).rejects.toBeInstanceOf(ImageTooLargeError);
    // This message comes only from the header check; the decoder's own guard words it differently.
    await expect(attempt).rejects.toMatchObject({
      name: 'ImageTooLargeError',
      message: expect.stringMatching(/declares 60000×60000 px .*refused before decoding/),
    });
  });

  it('refuses a photo over the configured pixel limit', async () => {
    const input = await jpegPhoto(1000, 1000);

    await expect(resizeImage(input, { maxInputPixels: 999_999 })).rejects.toMatchObject({
      name: 'ImageTooLargeError',
    });
  });
});

describe('intermediateSize', () => {
  it('decodes a 4:3 phone photo only as large as the 600 px-wide copy needs', () => {
    expect(intermediateSize(4032, 3024)).toEqual({ width: 600, height: 450 });
    expect(intermediateSize(3024, 4032)).toEqual({ width: 600, height: 800 });
  });

  it('keeps the shorter side of a panorama at 400 px so the tile needs no enlargement', () => {
    expect(intermediateSize(8000, 1000)).toEqual({ width: 3200, height: 400 });
  });

  it('never enlarges a small original', () => {
    expect(intermediateSize(300, 200)).toEqual({ width: 300, height: 200 });
  });
});

describe('readExifFacts', () => {
  async function exifOf(ifd0: Record<string, string>, ifd2: Record<string, string> = {}): Promise<Buffer> {
    const jpeg = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000000' } })
      .jpeg()
      .withExif({ IFD0: ifd0, IFD2: ifd2 })
      .toBuffer();
    return (await sharp(jpeg).metadata()).exif as Buffer;
  }

  it('does not repeat the maker when the model already names it', async () => {
    const exif = await exifOf({ Make: 'Canon', Model: 'Canon EOS R5' });

    expect(readExifFacts(exif)).toEqual({ camera: 'Canon EOS R5' });
  });

  it('trims padding and collapses spaces in the camera name', async () => {
    const exif = await exifOf({ Make: '  Google ', Model: 'Pixel   9  ' });

    expect(readExifFacts(exif)).toEqual({ camera: 'Google Pixel 9' });
  });

  it('leaves out a capture time that is not a real date', async () => {
    const exif = await exifOf({ Make: 'Apple' }, { DateTimeOriginal: '0000:00:00 00:00:00' });

    expect(readExifFacts(exif)).toEqual({ camera: 'Apple' });
  });

  it('returns no facts for a garbled EXIF block instead of failing', () => {
    expect(readExifFacts(Buffer.from('Exif\0\0garbage that is not TIFF'))).toEqual({});
    expect(readExifFacts(undefined)).toEqual({});
  });
});
