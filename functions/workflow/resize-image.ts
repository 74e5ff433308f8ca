import exifReader from 'exif-reader';
import sharp, { type JpegOptions, type Metadata, type OutputInfo, type Sharp } from 'sharp';
import { isJpeg } from './image-probe';

/**
 * The image pipeline behind the workflows' Resize task: one JPEG in, a 400×400 tile and a
 * 600 px-wide copy out, plus the few EXIF facts worth keeping. No AWS here.
 *
 * The original is decoded once. A single pipeline orients it (EXIF Orientation) and reduces it,
 * with JPEG shrink-on-load, to an intermediate raw image just large enough for both copies;
 * the tile and the scaled copy are then cut from that small buffer. The usual approach — two
 * pipelines over the original, or `clone()` — pays for the costly entropy decoding twice.
 *
 * Sizing rules:
 * - The scaled copy is 600 px wide, or the original's width when narrower: never upscaled.
 * - The tile is always exactly 400×400 (fit cover, centre crop), upscaled from an original whose
 *   shorter side is under 400 px, so the gallery grid gets tiles of one size. Phone photos
 *   trim only an eighth of the long side on each end, and people frame what matters in the
 *   middle; a centre crop is predictable and costs nothing, where `attention` picks whatever
 *   is most saturated.
 *
 * Fails closed: anything but a well-formed JPEG within the pixel limit is refused with a named
 * error the state machine catches; nothing half-decoded is ever encoded.
 */

export const TILE_SIZE = 400;
export const SCALED_WIDTH = 600;
export const JPEG_QUALITY = 82;

/** The original is not a JPEG (decided from its content, not its name). */
export class UnsupportedImageTypeError extends Error {
  override readonly name = 'UnsupportedImageTypeError';
}

/** The original is a JPEG that cannot be decoded completely (truncated, corrupt data). */
export class CorruptImageError extends Error {
  override readonly name = 'CorruptImageError';
}

/** The original has too many bytes or pixels to process safely. */
export class ImageTooLargeError extends Error {
  override readonly name = 'ImageTooLargeError';
}

export interface ResizeLimits {
  /** Largest width × height accepted, decided from the header before any decoding. */
  maxInputPixels: number;
}

export interface EncodedImage {
  data: Buffer;
  width: number;
  height: number;
}

export interface ExifFacts {
  /** "Make Model", de-duplicated ("Apple iPhone 15 Pro", "Canon EOS R5"). */
  camera?: string;
  /** DateTimeOriginal as written by the camera, without zone: "2026-05-01T14:03:59". */
  takenAt?: string;
}

export interface ResizedImage extends ExifFacts {
  tile: EncodedImage;
  scaled: EncodedImage;
  /** The original's size after EXIF orientation. */
  width: number;
  height: number;
  timingsMs: { decode: number; encode: number };
}

// Each invocation handles a new image: libvips' operation cache would never hit and only hold
// memory. Concurrency stays at libvips' default (one thread per vCPU Lambda grants).
sharp.cache(false);

const jpegOutput: JpegOptions = {
  quality: JPEG_QUALITY,
  progressive: true,
  mozjpeg: false,
  chromaSubsampling: '4:2:0',
};

/** Where the libvips error messages show the pixel-limit guard, as opposed to bad data. */
const PIXEL_LIMIT_MESSAGE = /pixel limit/i;

export async function resizeImage(input: Buffer, limits: ResizeLimits): Promise<ResizedImage> {
  const header = await readHeader(input);
  const pixels = header.width * header.height;
  if (pixels > limits.maxInputPixels) {
    throw new ImageTooLargeError(
      `The image header declares ${header.width}×${header.height} px (${pixels} pixels), more than the ` +
        `${limits.maxInputPixels} allowed; refused before decoding.`,
    );
  }
  const facts = readExifFacts(header.exif);

  const decodeStarted = performance.now();
  const target = intermediateSize(header.orientedWidth, header.orientedHeight);
  const { data, info } = await decodeOnce(input, target, limits.maxInputPixels);
  const decode = performance.now() - decodeStarted;

  const encodeStarted = performance.now();
  const raw = { raw: { width: info.width, height: info.height, channels: info.channels } };
  const [tile, scaled] = await Promise.all([
    encode(sharp(data, raw).resize(TILE_SIZE, TILE_SIZE, { fit: 'cover', position: 'centre' })),
    encode(info.width > SCALED_WIDTH ? sharp(data, raw).resize({ width: SCALED_WIDTH }) : sharp(data, raw)),
  ]);
  const encodeMs = performance.now() - encodeStarted;

  return {
    tile,
    scaled,
    width: header.orientedWidth,
    height: header.orientedHeight,
    ...facts,
    timingsMs: { decode: Math.round(decode), encode: Math.round(encodeMs) },
  };
}

interface Header {
  width: number;
  height: number;
  orientedWidth: number;
  orientedHeight: number;
  exif: Buffer | undefined;
}

/** Reads the header only (no pixel decoding), with no pixel limit so a bomb can be measured. */
async function readHeader(input: Buffer): Promise<Header> {
  let metadata: Metadata;
  try {
    metadata = await sharp(input, { limitInputPixels: false }).metadata();
  } catch (error) {
    if (isJpeg(input)) {
      throw new CorruptImageError(`The JPEG header cannot be read: ${messageOf(error)}`, { cause: error });
    }
    throw new UnsupportedImageTypeError(
      'The file is not an image format we can read; only JPEG is accepted.',
    );
  }
  if (metadata.format !== 'jpeg') {
    throw new UnsupportedImageTypeError(`The file is a ${metadata.format} image; only JPEG is accepted.`);
  }
  return {
    width: metadata.width,
    height: metadata.height,
    orientedWidth: metadata.autoOrient.width,
    orientedHeight: metadata.autoOrient.height,
    exif: metadata.exif,
  };
}

/**
 * The size of the one decoded image: the smallest that still gives a 600 px-wide copy and a
 * tile whose shorter side needs no enlargement, never larger than the original.
 */
export function intermediateSize(width: number, height: number): { width: number; height: number } {
  const scale = Math.min(1, Math.max(TILE_SIZE / Math.min(width, height), SCALED_WIDTH / width));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

async function decodeOnce(
  input: Buffer,
  target: { width: number; height: number },
  maxInputPixels: number,
): Promise<{ data: Buffer; info: OutputInfo }> {
  try {
    return await sharp(input, { failOn: 'error', limitInputPixels: maxInputPixels })
      .rotate()
      .resize(target.width, target.height, { fit: 'fill' })
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
  } catch (error) {
    if (PIXEL_LIMIT_MESSAGE.test(messageOf(error))) {
      throw new ImageTooLargeError(`The image exceeds the ${maxInputPixels} pixel limit.`, { cause: error });
    }
    throw new CorruptImageError(`The JPEG cannot be decoded: ${messageOf(error)}`, { cause: error });
  }
}

async function encode(pipeline: Sharp): Promise<EncodedImage> {
  // Output from raw pixels carries no metadata at all: no EXIF, GPS, XMP, IPTC or ICC profile.
  const { data, info } = await pipeline.jpeg(jpegOutput).toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

/** Camera and capture time from an EXIF block; anything missing or garbled is left out. GPS is never read. */
export function readExifFacts(exif: Buffer | undefined): ExifFacts {
  if (!exif) return {};
  let parsed: ReturnType<typeof exifReader>;
  try {
    parsed = exifReader(exif);
  } catch {
    return {};
  }
  const facts: ExifFacts = {};
  const camera = cameraName(parsed.Image?.Make, parsed.Image?.Model);
  if (camera) facts.camera = camera;
  const takenAt = formatExifDate(parsed.Photo?.DateTimeOriginal);
  if (takenAt) facts.takenAt = takenAt;
  return facts;
}

function cameraName(make: unknown, model: unknown): string | undefined {
  const cleanMake = cleanText(make);
  const cleanModel = cleanText(model);
  if (!cleanModel) return cleanMake;
  if (!cleanMake) return cleanModel;
  // "Canon" + "Canon EOS R5" and "NIKON CORPORATION" + "NIKON D850" name the maker twice.
  const brand = cleanMake.split(' ')[0]?.toLowerCase() ?? '';
  if (cleanModel.toLowerCase().startsWith(brand)) return cleanModel;
  return `${cleanMake} ${cleanModel}`;
}

function cleanText(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  // EXIF strings are often NUL- or space-padded; control characters become spaces, runs collapse.
  const printable = Array.from(value, (char) => (char < ' ' || char === '\u007f' ? ' ' : char)).join('');
  const text = printable.replace(/\s+/g, ' ').trim();
  return text.length > 0 && text.length <= 64 ? text : undefined;
}

/** exif-reader reads "YYYY:MM:DD HH:MM:SS" as if it were UTC; print it back without a zone. */
function formatExifDate(value: unknown): string | undefined {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) return undefined;
  const year = value.getUTCFullYear();
  if (year < 1900 || year > 2999) return undefined;
  return value.toISOString().slice(0, 19);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
