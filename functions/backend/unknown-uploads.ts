import { DeleteObjectsCommand } from '@aws-sdk/client-s3';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from '#clients/dynamodb';
import { s3 } from '#clients/s3';
import { keys, type UploadUnknownDetail } from '#shared/model';
import { listObjectVersions } from '#shared/object-versions';

/** DeleteObjects takes at most 1000 versions per request. */
const DELETE_BATCH = 1000;

export interface UnknownUploadOutcome {
  /** Versions and delete markers removed (0 when the upload record exists after all). */
  versionsDeleted: number;
  /** Why nothing was deleted, when nothing was. */
  keptBecause?: string;
}

/**
 * Deletes an object the application does not know: every version and delete marker of its key,
 * unless an upload record for it exists by now (read consistently; then the object is the
 * upload's and stays). Versions S3 refuses to delete fail the call, so the event is retried.
 */
export async function deleteUnknownUpload(
  tableName: string,
  detail: UploadUnknownDetail,
): Promise<UnknownUploadOutcome> {
  const { Item } = await dynamo.send(
    new GetCommand({ TableName: tableName, Key: keys.upload(detail.uploadId), ConsistentRead: true }),
  );
  if (Item) return { versionsDeleted: 0, keptBecause: 'the upload has a record' };
  const versionIds = await listObjectVersions(detail.bucket, detail.key);
  let versionsDeleted = 0;
  for (let start = 0; start < versionIds.length; start += DELETE_BATCH) {
    const batch = versionIds
      .slice(start, start + DELETE_BATCH)
      .map((VersionId) => ({ Key: detail.key, VersionId }));
    const response = await s3.send(
      new DeleteObjectsCommand({ Bucket: detail.bucket, Delete: { Objects: batch, Quiet: true } }),
    );
    const refused = response.Errors?.length ?? 0;
    if (refused > 0)
      throw new UnknownUploadNotDeletedError(
        `${refused} versions of upload ${detail.uploadId} could not be deleted`,
      );
    versionsDeleted += batch.length;
  }
  return { versionsDeleted };
}

/** S3 refused some versions: the invocation fails and EventBridge/Lambda retry it. */
export class UnknownUploadNotDeletedError extends Error {
  override readonly name = 'UnknownUploadNotDeletedError';
}
