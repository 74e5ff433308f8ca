import * as z from 'zod/mini';
import { placeIdSchema, uploadIdSchema } from '#shared/validation';

/**
 * The contract between the image workflows' ASL files (statemachines/v1..v4.asl.json) and their
 * task functions. The execution input is the `uploadComplete` EventBridge event; every task is
 * given `{ "upload.$": "$.detail" }` (Publish also `"images.$": "$.images"`).
 *
 * A check (dimensions, moderation, people) answers with a verdict written to `$.verdict`:
 * `{ accepted: true, ...facts }` or `{ accepted: false, rejection, ...facts }`. The Choice after
 * it reads `$.verdict.accepted`; "Record rejection" writes `$.verdict.rejection` to the upload
 * record with a DynamoDB UpdateItem integration. A check never throws for a bad image (that is
 * a rejection); it throws only for failures, which the ASL retries or records as FAILED.
 */

/** Machine-readable reasons recorded on REJECTED uploads. */
export const RejectionReason = {
  imageTooSmall: 'IMAGE_TOO_SMALL',
  imageTooLarge: 'IMAGE_TOO_LARGE',
  unsupportedType: 'UNSUPPORTED_TYPE',
  corruptImage: 'CORRUPT_IMAGE',
  failedModeration: 'FAILED_MODERATION',
  peopleNotAllowed: 'PEOPLE_NOT_ALLOWED',
  unsupportedPlaceType: 'UNSUPPORTED_PLACE_TYPE',
  placeNotFound: 'PLACE_NOT_FOUND',
} as const;

export type RejectionReasonCode = (typeof RejectionReason)[keyof typeof RejectionReason];

export interface Rejection {
  reason: RejectionReasonCode;
  /** One sentence a user understands, e.g. "The photo is 640×480 px; both sides must be at least 800 px." */
  detail: string;
  /** Machine-readable facts behind the decision (labels, counts, dimensions); stored as JSON text. */
  evidence: Record<string, unknown>;
}

export type Verdict<Facts extends object> = Facts &
  ({ accepted: true; rejection?: never } | { accepted: false; rejection: Rejection });

export function accept<Facts extends object>(facts: Facts): Verdict<Facts> {
  return { ...facts, accepted: true };
}

export function reject<Facts extends object>(facts: Facts, rejection: Rejection): Verdict<Facts> {
  return { ...facts, accepted: false, rejection };
}

/** `$.detail` of the uploadComplete event, as every task receives it in `upload`. */
export const uploadSchema = z.object({
  bucket: z.string().check(z.minLength(3)),
  key: z.string().check(z.minLength(1)),
  placeId: placeIdSchema,
  uploadId: uploadIdSchema,
  size: z.number().check(z.gte(0)),
  etag: z.string(),
  /** The object version the notification was about (versioned upload bucket); every read pins it. */
  versionId: z.optional(z.string().check(z.minLength(1))),
});

export type UploadRef = z.infer<typeof uploadSchema>;

export const taskInputSchema = z.object({ upload: uploadSchema });

/** What Resize returns into `$.images` and Publish records. */
export interface ResizedImages {
  tileKey: string;
  scaledKey: string;
  tileUrl: string;
  scaledUrl: string;
  /** The original's size after EXIF orientation. */
  width: number;
  height: number;
  scaledWidth: number;
  scaledHeight: number;
  /** Camera make and model from EXIF, when present ("Apple iPhone 15 Pro"). Never GPS. */
  camera?: string;
  /** EXIF DateTimeOriginal as written by the camera (local time, no zone): "2026-05-01T14:03:59". */
  takenAt?: string;
}

export const resizedImagesSchema = z.object({
  tileKey: z.string().check(z.minLength(1)),
  scaledKey: z.string().check(z.minLength(1)),
  tileUrl: z.string(),
  scaledUrl: z.string(),
  width: z.number().check(z.int(), z.gte(1)),
  height: z.number().check(z.int(), z.gte(1)),
  scaledWidth: z.number().check(z.int(), z.gte(1)),
  scaledHeight: z.number().check(z.int(), z.gte(1)),
  camera: z.optional(z.string()),
  takenAt: z.optional(z.string()),
});

export const publishInputSchema = z.object({
  upload: uploadSchema,
  images: resizedImagesSchema,
  /** The execution publishing, recorded on the upload for tracing ($$.Execution.Id). */
  executionId: z.optional(z.string()),
});
