import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from '#clients/dynamodb';
import type { AppEvent } from './events';
import { keys, type UploadCompleteDetail } from './model';

export interface ClaimedUploads {
  /** Uploads to hand to the image workflow. */
  claimed: Array<AppEvent & { detail: UploadCompleteDetail }>;
  /** Why each other upload was left alone; ids only, no user data. */
  skipped: string[];
}

/**
 * Marks each landed upload PROCESSING before the workflow hears of it. An upload still PENDING or
 * already PROCESSING (S3 redelivered the notification, or an earlier attempt failed to publish) is
 * claimed; one without an upload record (not uploaded through a ticket) or one that already ended
 * (a second POST with the same ticket) is skipped, so it can never be processed twice.
 */
export async function claimUploads(
  tableName: string,
  uploads: ReadonlyArray<AppEvent & { detail: UploadCompleteDetail }>,
  now = new Date(),
): Promise<ClaimedUploads> {
  const result: ClaimedUploads = { claimed: [], skipped: [] };
  for (const upload of uploads) {
    const { uploadId } = upload.detail;
    try {
      await dynamo.send(
        new UpdateCommand({
          TableName: tableName,
          Key: keys.upload(uploadId),
          UpdateExpression: 'SET #status = :processing, updatedAt = :now, objectSize = :size',
          ConditionExpression: 'attribute_exists(pk) AND #status IN (:pending, :processing)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':processing': 'PROCESSING',
            ':pending': 'PENDING',
            ':now': now.toISOString(),
            ':size': upload.detail.size,
          },
        }),
      );
      result.claimed.push(upload);
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const { Item } = await dynamo.send(
        new GetCommand({ TableName: tableName, Key: keys.upload(uploadId), ConsistentRead: true }),
      );
      result.skipped.push(
        Item
          ? `upload ${uploadId} already ended ${String(Item.status)}`
          : `upload ${uploadId} has no upload record`,
      );
    }
  }
  return result;
}
