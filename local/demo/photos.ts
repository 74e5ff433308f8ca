import sharp from 'sharp';
import { declareLabels } from '../services';
import { calibrationPhoto, readCalibrationPhoto } from '../vision/photos';

/**
 * The demo's photo set, generated on the fly (no binary fixtures): one photo per path through the
 * image workflows, with the outcome each workflow version must record for it.
 */

export type PlaceKind = 'park' | 'restaurant' | 'museum';
export type Version = 'v1' | 'v2' | 'v3' | 'v4';

export interface Outcome {
  status: 'PROCESSED' | 'REJECTED' | 'FAILED';
  reason?: string;
}

export interface DemoPhoto {
  file: string;
  place: PlaceKind;
  what: string;
  bytes: Buffer;
  expected: Record<Version, Outcome>;
}

const processed: Outcome = { status: 'PROCESSED' };
const rejected = (reason: string): Outcome => ({ status: 'REJECTED', reason });
const everywhere = (outcome: Outcome): Record<Version, Outcome> => ({
  v1: outcome,
  v2: outcome,
  v3: outcome,
  v4: outcome,
});

/** A camera-like JPEG: noise over a gradient, so it compresses like a photo, not like a flat colour. */
export async function photo(width: number, height: number, options: { orientation?: number } = {}) {
  // Raw pixels: encoding the noise as PNG only for the composite to decode it again took most of the time.
  const noise = await sharp({
    create: {
      width,
      height,
      channels: 3,
      background: { r: 128, g: 128, b: 128 },
      noise: { type: 'gaussian', mean: 128, sigma: 40 },
    },
  })
    .raw()
    .toBuffer();
  const gradient = Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
      <defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1">
        <stop offset="0" stop-color="#3a7d44"/><stop offset="1" stop-color="#9fd3e6"/></linearGradient></defs>
      <rect width="100%" height="100%" fill="url(#g)"/></svg>`,
  );
  const image = sharp(gradient)
    .composite([{ input: noise, raw: { width, height, channels: 3 }, blend: 'overlay' }])
    .jpeg({ quality: 90 })
    .withExif({ IFD0: { Make: 'Happy Path', Model: 'Demo Camera' } });
  return options.orientation
    ? image.withMetadata({ orientation: options.orientation }).toBuffer()
    : image.toBuffer();
}

/** A real JPEG whose frame header is patched to declare `width`×`height` (a decompression bomb). */
export function withDeclaredSize(jpeg: Buffer, width: number, height: number): Buffer {
  const bomb = Buffer.from(jpeg);
  for (let offset = 2; offset + 9 < bomb.length; ) {
    if (bomb[offset] !== 0xff) break;
    const marker = bomb[offset + 1] ?? 0;
    const length = bomb.readUInt16BE(offset + 2);
    if (marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker)) {
      bomb.writeUInt16BE(height, offset + 5);
      bomb.writeUInt16BE(width, offset + 7);
      return bomb;
    }
    offset += 2 + length;
  }
  throw new Error('no frame header found');
}

export async function demoPhotos(): Promise<DemoPhoto[]> {
  const good = await photo(1600, 1200);
  return [
    {
      file: 'good-park.jpg',
      place: 'park',
      what: 'a good 1600×1200 photo',
      bytes: good,
      expected: everywhere(processed),
    },
    {
      file: 'too-small.jpg',
      place: 'park',
      what: '640×480, below the 800 px minimum',
      bytes: await photo(640, 480),
      expected: {
        v1: processed,
        v2: processed,
        v3: rejected('IMAGE_TOO_SMALL'),
        v4: rejected('IMAGE_TOO_SMALL'),
      },
    },
    {
      file: 'png-renamed.jpg',
      place: 'park',
      what: 'a PNG with a .jpg name',
      bytes: await sharp(good).png().toBuffer(),
      expected: everywhere(rejected('UNSUPPORTED_TYPE')),
    },
    {
      file: 'truncated.jpg',
      place: 'park',
      what: 'a JPEG cut off at 60%',
      bytes: good.subarray(0, Math.floor(good.length * 0.6)),
      expected: everywhere(rejected('CORRUPT_IMAGE')),
    },
    {
      file: 'bomb.jpg',
      place: 'park',
      what: 'a header declaring 60000×60000 px',
      bytes: withDeclaredSize(await photo(64, 64), 60000, 60000),
      // v2 asks Rekognition first, which cannot read such an image; the moderator then reads the
      // header and rejects it as too large, as Check dimensions (v3, v4) and Resize (v1) do.
      expected: everywhere(rejected('IMAGE_TOO_LARGE')),
    },
    {
      file: 'rotated.jpg',
      place: 'park',
      what: 'stored landscape, EXIF orientation 6 (portrait)',
      bytes: await photo(1600, 1200, { orientation: 6 }),
      expected: everywhere(processed),
    },
    {
      file: 'unsafe.jpg',
      place: 'park',
      what: 'declares an unsafe moderation label',
      bytes: await declareLabels(good, {
        moderation: [{ name: 'Explicit Nudity', confidence: 97.5, parent: 'Explicit' }],
      }),
      expected: {
        v1: processed,
        v2: rejected('FAILED_MODERATION'),
        v3: rejected('FAILED_MODERATION'),
        v4: rejected('FAILED_MODERATION'),
      },
    },
    {
      file: 'people.jpg',
      place: 'restaurant',
      what: 'declares two people',
      bytes: await declareLabels(good, { labels: [{ name: 'Person', confidence: 98.7, instances: 2 }] }),
      expected: { v1: processed, v2: processed, v3: processed, v4: rejected('PEOPLE_NOT_ALLOWED') },
    },
    {
      file: 'dish.jpg',
      place: 'restaurant',
      what: 'declares food, no people',
      bytes: await declareLabels(good, { labels: [{ name: 'Food', confidence: 99.1 }] }),
      expected: everywhere(processed),
    },
    {
      file: 'museum.jpg',
      place: 'museum',
      what: 'a good photo of a place type v4 does not take',
      bytes: good,
      expected: { v1: processed, v2: processed, v3: processed, v4: rejected('UNSUPPORTED_PLACE_TYPE') },
    },
  ];
}

/** The photos of the declared set whose outcome comes from the labels they declare. */
const DECLARED_LABEL_FILES = ['unsafe.jpg', 'people.jpg', 'dish.jpg'];

/**
 * The demo set for `--vision model`: the declared set without its label declarations (the models
 * ignore them), plus real photos from the vision engine's packages (local/vision/photos.ts) that the
 * models must judge: people at the restaurant (rejected by v4), a flower at the restaurant and a group
 * of people at the park (accepted). There is no real unsafe photo to ship, so moderation rejections
 * are shown by the declared set only.
 */
export async function modelDemoPhotos(): Promise<DemoPhoto[]> {
  const real = async (id: string) => {
    const bytes = await readCalibrationPhoto(calibrationPhoto(id));
    return sharp(bytes).jpeg({ quality: 90 }).toBuffer();
  };
  const generated = (await demoPhotos()).filter((demo) => !DECLARED_LABEL_FILES.includes(demo.file));
  return [
    ...generated,
    {
      file: 'real-people.jpg',
      place: 'restaurant',
      what: 'a real photo of three people (@vladmandic/face-api sample1.jpg)',
      bytes: await real('face-api-sample1'),
      expected: { v1: processed, v2: processed, v3: processed, v4: rejected('PEOPLE_NOT_ALLOWED') },
    },
    {
      file: 'real-flower.jpg',
      place: 'restaurant',
      what: 'a real photo of a flower, no people (@jimp/test-utils flower.gif)',
      bytes: await real('jimp-flower'),
      expected: everywhere(processed),
    },
    {
      file: 'real-group.jpg',
      place: 'park',
      what: 'a real group photo at the park: people are fine there (@vladmandic/human samples.jpg)',
      bytes: await real('human-samples'),
      expected: everywhere(processed),
    },
  ];
}
