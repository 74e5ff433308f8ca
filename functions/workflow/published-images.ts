import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { s3 } from '#clients/s3';
import { logger } from '#shared/logger';
import { publishedImageKeys } from '#shared/model';
import { ImageTooLargeError, resizeImage } from './resize-image';
import type { ResizedImages, UploadRef } from './workflow';

export interface PublishedImagesSettings {
  /** Where the public copies go (served through CloudFront). */
  distributionBucket: string;
  /** The distribution's base URL, without a trailing slash. */
  photoBaseUrl: string;
  /** Largest original, in bytes, that is read into memory. */
  maxObjectBytes: number;
  /** Largest original, in pixels (width × height), that is decoded. */
  maxInputPixels: number;
}

/** Copies are named after the upload and never change: retries overwrite them byte for byte. */
const CACHE_CONTROL = 'public, max-age=31536000, immutable';

/**
 * Reads an upload's original (pinned to the notified version), makes its tile and scaled copy,
 * and writes both to the distribution bucket at keys derived from the ids alone, so a retried
 * execution overwrites the same objects. Objects carry no access-control list: the bucket is private behind CloudFront.
 */
export async function publishResizedImages(
  upload: UploadRef,
  settings: PublishedImagesSettings,
): Promise<ResizedImages> {
  const original = await readOriginal(upload, settings.maxObjectBytes);
  const resized = await resizeImage(original, { maxInputPixels: settings.maxInputPixels });

  const { tileKey, scaledKey } = publishedImageKeys(upload.placeId, upload.uploadId);
  const putStarted = performance.now();
  await Promise.all([
    putJpeg(settings.distributionBucket, tileKey, resized.tile.data),
    putJpeg(settings.distributionBucket, scaledKey, resized.scaled.data),
  ]);
  logger.info('Resized and published', {
    originalBytes: original.length,
    width: resized.width,
    height: resized.height,
    tileBytes: resized.tile.data.length,
    scaledBytes: resized.scaled.data.length,
    decodeMs: resized.timingsMs.decode,
    encodeMs: resized.timingsMs.encode,
    putMs: Math.round(performance.now() - putStarted),
  });

  const images: ResizedImages = {
    tileKey,
    scaledKey,
    tileUrl: `${settings.photoBaseUrl}/${tileKey}`,
    scaledUrl: `${settings.photoBaseUrl}/${scaledKey}`,
    width: resized.width,
    height: resized.height,
    scaledWidth: resized.scaled.width,
    scaledHeight: resized.scaled.height,
  };
  if (resized.camera) images.camera = resized.camera;
  if (resized.takenAt) images.takenAt = resized.takenAt;
  return images;
}

type Body = AsyncIterable<Uint8Array> & { destroy?: () => void };

/** The original's bytes; refused from ContentLength, before any byte is read, when too large. */
async function readOriginal(upload: UploadRef, maxBytes: number): Promise<Buffer> {
  const started = performance.now();
  const response = await s3.send(
    new GetObjectCommand({
      Bucket: upload.bucket,
      Key: upload.key,
      ...(upload.versionId ? { VersionId: upload.versionId } : {}),
    }),
  );
  const body = response.Body as Body | undefined;
  if (response.ContentLength !== undefined && response.ContentLength > maxBytes) {
    body?.destroy?.();
    throw tooLarge(maxBytes, response.ContentLength);
  }
  if (!body) throw new Error('S3 returned no body for the original');

  // ContentLength may be absent (e.g. a chunked response); the limit still holds while reading.
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += chunk.length;
    if (total > maxBytes) {
      body.destroy?.();
      throw tooLarge(maxBytes);
    }
    chunks.push(chunk);
  }
  logger.debug('Read the original', { bytes: total, getMs: Math.round(performance.now() - started) });
  return Buffer.concat(chunks, total);
}

function tooLarge(maxBytes: number, bytes?: number): ImageTooLargeError {
  const size = bytes === undefined ? 'more bytes' : `${bytes} bytes, more`;
  return new ImageTooLargeError(`The original has ${size} than the ${maxBytes} allowed.`);
}

async function putJpeg(bucket: string, key: string, body: Buffer): Promise<void> {
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: body,
      ContentType: 'image/jpeg',
      CacheControl: CACHE_CONTROL,
    }),
  );
}
