import sharp from 'sharp';

/** Reads an image's header only (format, size, EXIF block) without decoding its pixels. */

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
