import sharp from 'sharp';

/** Reads an image's header only (format, size, EXIF block) without decoding its pixels. */

// The runtime decodes each photo once per Rekognition call and never asks for the
// same operation again: libvips' operation cache (up to 50 MB and 100 operations by default) would
// only keep decoded images of past uploads in memory.
sharp.cache(false);

export interface ImageFacts {
  format: 'jpeg' | 'png';
  width: number;
  height: number;
  /** The raw EXIF block, when the image carries one. */
  exif: Buffer | undefined;
}

export class UnsupportedImageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedImageError';
  }
}

/** The facts of a JPEG or PNG image; anything else (or garbage) is an UnsupportedImageError. */
export async function inspectImage(image: Buffer): Promise<ImageFacts> {
  const metadata = await sharp(image)
    .metadata()
    .catch((error: Error) => {
      throw new UnsupportedImageError(`Not a readable image: ${error.message}`);
    });
  if (metadata.format !== 'jpeg' && metadata.format !== 'png') {
    throw new UnsupportedImageError(`Unsupported image format: ${metadata.format ?? 'unknown'}`);
  }
  return {
    format: metadata.format,
    width: metadata.width ?? 0,
    height: metadata.height ?? 0,
    exif: metadata.exif,
  };
}

/**
 * Decodes the whole image, as Rekognition must before it can judge it: a JPEG whose header is
 * sound but whose data is cut off or damaged, or one too large to decode, is an
 * UnsupportedImageError (Rekognition answers InvalidImageFormatException for those).
 */
export async function decodeImage(image: Buffer): Promise<void> {
  try {
    await sharp(image, { failOn: 'error' }).resize(64, 64, { fit: 'inside' }).raw().toBuffer();
  } catch (error) {
    throw new UnsupportedImageError(`The image cannot be decoded: ${(error as Error).message}`);
  }
}
