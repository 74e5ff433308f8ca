import type { Image } from '@aws-sdk/client-rekognition';
import type { UploadRef } from './workflow';

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
 * Rekognition errors that mean "this file is not an image Rekognition can judge" — a property
 * of the upload, so the workflow records a rejection instead of failing.
 */
export function unreadableImageRejection(error: unknown) {
  const name = (error as { name?: string })?.name;
  if (name === 'InvalidImageFormatException')
    return {
      reason: 'UNSUPPORTED_TYPE',
      detail: 'The file is not an image format that can be checked (JPEG or PNG).',
    } as const;
  if (name === 'ImageTooLargeException')
    return {
      reason: 'IMAGE_TOO_LARGE',
      detail: 'The image is larger than the content checks accept.',
    } as const;
  return undefined;
}
