import type { Image } from '@aws-sdk/client-rekognition';
import { s3 } from '#clients/s3';
import { probeImageHeader, s3RangeReader } from './image-probe';
import { type Rejection, RejectionReason, type UploadRef } from './workflow';

/** The uploaded original as Rekognition reads it: from S3, pinned to the notified version. */
export function rekognitionImage(upload: UploadRef): Image {
  return {
    S3Object: {
      Bucket: upload.bucket,
      Name: upload.key,
      ...(upload.versionId ? { Version: upload.versionId } : {}),
    },
  };
}

/**
 * When Rekognition cannot judge the file (InvalidImageFormatException, ImageTooLargeException),
 * the rejection that says why — a property of the upload, so the workflow records it instead of
 * failing; undefined for any other error. Rekognition gives the same InvalidImageFormatException
 * for a PNG-named HEIC and for a JPEG cut off mid-data, so the original's header decides (a few
 * ranged reads): not a JPEG → UNSUPPORTED_TYPE; a JPEG whose header declares more than
 * `maxInputPixels` → IMAGE_TOO_LARGE; a damaged header → CORRUPT_IMAGE; a sound JPEG header whose
 * data Rekognition cannot read → CORRUPT_IMAGE (or IMAGE_TOO_LARGE for ImageTooLargeException).
 */
export async function unreadableImageRejection(
  error: unknown,
  upload: UploadRef,
  maxInputPixels: number,
): Promise<Rejection | undefined> {
  const name = (error as { name?: string })?.name;
  if (name !== 'InvalidImageFormatException' && name !== 'ImageTooLargeException') return undefined;
  const { verdict } = await probeImageHeader(s3RangeReader(s3, upload), {
    maxObjectBytes: Number.MAX_SAFE_INTEGER,
    minSide: 1,
    maxSide: 65_535, // the largest side a JPEG frame header can declare
    maxMegapixels: maxInputPixels / 1e6,
  });
  const evidence = { rekognitionError: name, format: verdict.format };
  if (verdict.rejection)
    return { ...verdict.rejection, evidence: { ...verdict.rejection.evidence, ...evidence } };
  if (name === 'ImageTooLargeException') {
    return {
      reason: RejectionReason.imageTooLarge,
      detail: 'The image is larger than the content checks accept.',
      evidence: { ...evidence, objectBytes: verdict.objectBytes },
    };
  }
  return {
    reason: RejectionReason.corruptImage,
    detail: 'The JPEG file is damaged: its image data cannot be read.',
    evidence: { ...evidence, width: verdict.width, height: verdict.height },
  };
}
