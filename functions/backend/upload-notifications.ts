import * as z from 'zod/mini';
import type { AppEvent } from '#shared/events';
import { DetailType, EventSource, parseUploadObjectKey, type UploadCompleteDetail } from '#shared/model';
import '#shared/validation';

const recordSchema = z.object({
  eventName: z.string().check(z.startsWith('ObjectCreated:')),
  s3: z.object({
    bucket: z.object({ name: z.string() }),
    object: z.object({
      key: z.string(),
      size: z.number().check(z.gte(0)),
      eTag: z.optional(z.string()),
      versionId: z.optional(z.string()),
    }),
  }),
});

/** Keys arrive URL-encoded as in an HTML form: `+` is a space, the rest percent-encoded. */
export function decodeS3EventKey(key: string): string {
  return decodeURIComponent(key.replace(/\+/g, ' '));
}

export interface CompletedUploads {
  uploads: Array<AppEvent & { detail: UploadCompleteDetail }>;
  /** Why each skipped record was skipped; no keys or user data. */
  skipped: string[];
}

/**
 * Turns an S3 notification into uploadComplete events. Test events, other event names,
 * undecodable and foreign-shaped keys are skipped with a reason; the rest go through. Only the
 * upload bucket's notification invokes the function (its resource policy names the bucket).
 */
export function findCompletedUploads(event: unknown): CompletedUploads {
  const result: CompletedUploads = { uploads: [], skipped: [] };
  const records = (event as { Records?: unknown })?.Records;
  if (!Array.isArray(records)) {
    const kind = (event as { Event?: unknown })?.Event;
    result.skipped.push(kind === 's3:TestEvent' ? 'S3 test event' : 'not an S3 notification');
    return result;
  }
  records.forEach((raw, index) => {
    const parsed = recordSchema.safeParse(raw);
    if (!parsed.success) {
      result.skipped.push(`record ${index}: not an ObjectCreated record`);
      return;
    }
    const { bucket, object } = parsed.data.s3;
    let key: string;
    try {
      key = decodeS3EventKey(object.key);
    } catch {
      result.skipped.push(`record ${index}: key is not valid URL encoding`);
      return;
    }
    const ids = parseUploadObjectKey(key);
    if (!ids) {
      result.skipped.push(`record ${index}: key is not <placeId>/<uploadId>.jpg`);
      return;
    }
    result.uploads.push({
      source: EventSource.uploads,
      detailType: DetailType.uploadComplete,
      detail: {
        bucket: bucket.name,
        key,
        ...ids,
        size: object.size,
        etag: (object.eTag ?? '').replace(/"/g, ''),
        ...(object.versionId && object.versionId !== 'null' ? { versionId: object.versionId } : {}),
      },
    });
  });
  return result;
}
