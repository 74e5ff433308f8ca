/**
 * The application table's items and key patterns (single-table design), and the event contract
 * shared by the backend, the image workflows and the GDPR flow.
 *
 * | item   | pk                 | sk                  | userId (ByUser hash) | createdAt (ByUser range) |
 * |--------|--------------------|---------------------|----------------------|--------------------------|
 * | place  | PLACE#<placeId>    | PLACE               | –                    | –                        |
 * | photo  | PLACE#<placeId>    | PHOTO#<uploadId>    | uploader             | publish time             |
 * | upload | UPLOAD#<uploadId>  | UPLOAD              | uploader             | ticket time              |
 * | hold   | UPLOAD_HOLD#<user> | UPLOAD_HOLD         | –                    | –                        |
 *
 * Every item that holds a user's data carries `userId`, so the sparse `ByUser` index finds all
 * of a user's items without a scan. Upload ids are UUIDv7, so photos sort by upload time.
 * An upload hold exists while the user has an open erasure request (the GDPR flow writes it when
 * the request opens and deletes it, with the raw user id in its key, when the request closes):
 * no upload ticket is issued meanwhile.
 */

export const USER_INDEX = 'ByUser';

export const keys = {
  place: (placeId: string) => ({ pk: `PLACE#${placeId}`, sk: 'PLACE' as const }),
  photo: (placeId: string, uploadId: string) => ({ pk: `PLACE#${placeId}`, sk: `PHOTO#${uploadId}` }),
  upload: (uploadId: string) => ({ pk: `UPLOAD#${uploadId}`, sk: 'UPLOAD' as const }),
  uploadHold: (userId: string) => ({ pk: `UPLOAD_HOLD#${userId}`, sk: 'UPLOAD_HOLD' as const }),
} as const;

export const PHOTO_SK_PREFIX = 'PHOTO#';

export interface PlaceItem {
  pk: string;
  sk: 'PLACE';
  entity: 'place';
  placeId: string;
  name: string;
  /** park, restaurant, cafe, bar, … (lower-case slug); the v4 workflow decides by it. */
  type: string;
  lat: number;
  lng: number;
  vicinity?: string;
  createdAt: string;
}

/** Where an upload stands. Every upload ends in PROCESSED, REJECTED or FAILED. */
export type UploadStatus = 'PENDING' | 'PROCESSING' | 'PROCESSED' | 'REJECTED' | 'FAILED';

/** Object keys of the copies a processed upload published in the distribution bucket. */
export interface PublishedImages {
  tileKey: string;
  scaledKey: string;
}

export interface UploadItem {
  pk: string;
  sk: 'UPLOAD';
  entity: 'upload';
  uploadId: string;
  placeId: string;
  userId: string;
  status: UploadStatus;
  bucket: string;
  objectKey: string;
  /** Machine-readable reason code for REJECTED and FAILED (e.g. IMAGE_TOO_SMALL). */
  reason?: string;
  /** Human-readable explanation of the reason. */
  detail?: string;
  /** REJECTED: the facts behind the decision (labels, people count, dimensions) as JSON text. */
  evidence?: string;
  /** FAILED: the Step Functions error name and cause (internal; never shown by the API). */
  error?: string;
  cause?: string;
  /** The workflow execution that recorded the outcome. */
  executionId?: string;
  images?: PublishedImages;
  processedAt?: string;
  createdAt: string;
  updatedAt: string;
}

export interface PhotoItem extends PublishedImages {
  pk: string;
  sk: string;
  entity: 'photo';
  placeId: string;
  uploadId: string;
  userId: string;
  width: number;
  height: number;
  /** The workflow execution whose write created the photo (it, and only it, announces it). */
  publishedBy?: string;
  createdAt: string;
}

/** The key of an upload's original in the upload bucket: `<placeId>/<uploadId>.jpg`. */
export function uploadObjectKey(placeId: string, uploadId: string): string {
  return `${placeId}/${uploadId}.jpg`;
}

const UPLOAD_KEY_PATTERN =
  /^([A-Za-z0-9_-]{1,128})\/([0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12})\.jpg$/;

/** Splits an upload object key into its place and upload ids; undefined when it has another shape. */
export function parseUploadObjectKey(key: string): { placeId: string; uploadId: string } | undefined {
  const match = UPLOAD_KEY_PATTERN.exec(key);
  if (!match?.[1] || !match[2]) return undefined;
  return { placeId: match[1], uploadId: match[2] };
}

/** Event sources on the application bus, one per producer. */
export const EventSource = {
  uploads: 'happy-path.uploads',
  workflow: 'happy-path.workflow',
  gdpr: 'happy-path.gdpr',
} as const;

/** Detail types on the application bus. */
export const DetailType = {
  uploadComplete: 'uploadComplete',
  uploadUnknown: 'uploadUnknown',
  imageProcessed: 'imageProcessed',
  imageRejected: 'imageRejected',
  erasureRequested: 'erasureRequested',
} as const;

/** Detail of `uploadComplete` (source happy-path.uploads): an original landed in the upload bucket. */
export interface UploadCompleteDetail {
  bucket: string;
  key: string;
  placeId: string;
  uploadId: string;
  size: number;
  etag: string;
  /** The object version (the upload bucket is versioned); every workflow read pins it. */
  versionId?: string;
}

/**
 * Detail of `uploadUnknown` (source happy-path.uploads): an object landed at an upload key that
 * has no upload record (its user was erased after the ticket was issued, or the key was never
 * ticketed); the backend deletes it with every version.
 */
export interface UploadUnknownDetail {
  bucket: string;
  key: string;
  uploadId: string;
}

/**
 * Where a processed upload's public copies live in the distribution bucket. Derived from the ids
 * alone, so a retried resize overwrites its own copies and the GDPR flow can find copies even
 * when an execution failed after writing them.
 */
export function publishedImageKeys(placeId: string, uploadId: string): PublishedImages {
  return { tileKey: `tiles/${placeId}/${uploadId}.jpg`, scaledKey: `photos/${placeId}/${uploadId}.jpg` };
}
