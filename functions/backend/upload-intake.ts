import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from '#clients/dynamodb';
import type { AppEvent } from '#shared/events';
import {
  DetailType,
  EventSource,
  keys,
  type UploadCompleteDetail,
  type UploadUnknownDetail,
} from '#shared/model';

/**
 * The application table's TTL attribute (epoch seconds; `TimeToLiveSpecification` in
 * templates/backend.yaml). Only PENDING upload records carry it: an unused ticket's record
 * expires, a claimed one loses it. Not `expiresAt`, which approval items hold as ISO text.
 */
export const PENDING_UPLOAD_TTL_ATTRIBUTE = 'expiresAtEpoch';

export interface ClaimedUploads {
  /** Uploads to hand to the image workflow. */
  claimed: Array<AppEvent & { detail: UploadCompleteDetail }>;
  /** Why each other upload was left alone; ids only, no user data. */
  skipped: string[];
  /** Objects with no upload record at all: announced so the backend deletes them. */
  unknown: Array<AppEvent & { detail: UploadUnknownDetail }>;
}

/**
 * The claim's update and condition for one landed object version. The claim pins the object:
 * it stores the object's version id (the upload bucket is versioned, so every notification
 * carries one), ETag and size, and only passes while the record is unpinned or pinned to this
 * same version, for the place the ticket was issued for. A redelivered notification passes
 * again; a second object (a second POST with the same ticket while it is valid) does not.
 */
function claimOf(detail: UploadCompleteDetail & { versionId: string }, now: Date) {
  return {
    UpdateExpression:
      'SET #status = :processing, updatedAt = :now, objectSize = :size, objectEtag = :etag, objectVersionId = :versionId REMOVE #ttl',
    ConditionExpression:
      'attribute_exists(pk) AND #status IN (:pending, :processing) AND placeId = :placeId AND (attribute_not_exists(objectVersionId) OR objectVersionId = :versionId)',
    ExpressionAttributeNames: { '#status': 'status', '#ttl': PENDING_UPLOAD_TTL_ATTRIBUTE },
    ExpressionAttributeValues: {
      ':processing': 'PROCESSING',
      ':pending': 'PENDING',
      ':now': now.toISOString(),
      ':size': detail.size,
      ':etag': detail.etag,
      ':versionId': detail.versionId,
      ':placeId': detail.placeId,
    },
  };
}

/** Why the claim of `detail` failed, from the record as it is now; ids only, no user data. */
function refusalOf(detail: UploadCompleteDetail, item: Record<string, unknown> | undefined): string {
  const { uploadId } = detail;
  if (!item) return `upload ${uploadId} has no upload record`;
  if (item.status !== 'PENDING' && item.status !== 'PROCESSING')
    return `upload ${uploadId} already ended ${String(item.status)}`;
  if (item.placeId !== detail.placeId)
    return `upload ${uploadId}: the object's place is not the ticket's place`;
  if (item.objectVersionId !== undefined && item.objectVersionId !== detail.versionId)
    return `upload ${uploadId} is already claimed for another object (a second POST with its ticket)`;
  return `upload ${uploadId} changed while it was claimed`;
}

function unknownUpload(detail: UploadCompleteDetail): AppEvent & { detail: UploadUnknownDetail } {
  return {
    source: EventSource.uploads,
    detailType: DetailType.uploadUnknown,
    detail: { bucket: detail.bucket, key: detail.key, uploadId: detail.uploadId },
  };
}

/**
 * Marks each landed upload PROCESSING before the workflow hears of it, and removes the expiry
 * of its PENDING record. An upload still PENDING, or already PROCESSING for this same object
 * (S3 or Lambda redelivered the notification, or an earlier attempt failed to publish), is
 * claimed; one without an upload record (not uploaded through a ticket, an unused ticket's
 * record that expired, or its user erased since the ticket) is skipped and listed as unknown, to be
 * deleted with every version; one that already ended, or a second object for the same upload (a second
 * POST with the same ticket) is skipped, so an upload is processed once, from one object.
 */
export async function claimUploads(
  tableName: string,
  uploads: ReadonlyArray<AppEvent & { detail: UploadCompleteDetail }>,
  now = new Date(),
): Promise<ClaimedUploads> {
  const result: ClaimedUploads = { claimed: [], skipped: [], unknown: [] };
  for (const upload of uploads) {
    const { uploadId, versionId } = upload.detail;
    if (!versionId) {
      result.skipped.push(
        `upload ${uploadId}: the notification carries no version id (is the upload bucket versioned?)`,
      );
      continue;
    }
    try {
      await dynamo.send(
        new UpdateCommand({
          TableName: tableName,
          Key: keys.upload(uploadId),
          ...claimOf({ ...upload.detail, versionId }, now),
        }),
      );
      result.claimed.push(upload);
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const { Item } = await dynamo.send(
        new GetCommand({ TableName: tableName, Key: keys.upload(uploadId), ConsistentRead: true }),
      );
      result.skipped.push(refusalOf(upload.detail, Item));
      if (!Item) result.unknown.push(unknownUpload(upload.detail));
    }
  }
  return result;
}
