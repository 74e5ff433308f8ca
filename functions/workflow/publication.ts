import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from '#clients/dynamodb';
import { logger } from '#shared/logger';
import { keys, type PhotoItem, type UploadItem } from '#shared/model';
import type { ResizedImages, UploadRef } from './workflow';

/** The upload record does not exist (the object was not uploaded through a ticket). */
export class UploadNotFoundError extends Error {
  override readonly name = 'UploadNotFoundError';
}

/** The upload already ended REJECTED or FAILED; a late or duplicate execution must not publish it. */
export class UploadAlreadyFinalError extends Error {
  override readonly name = 'UploadAlreadyFinalError';
}

export interface PublishedPhoto {
  placeId: string;
  uploadId: string;
  tileUrl: string;
  scaledUrl: string;
  width: number;
  height: number;
  /**
   * True when another execution's photo write won (a duplicate event): that execution announces
   * the photo, so this one must not. A retry of the same execution's Publish is false.
   */
  alreadyPublished: boolean;
}

/**
 * Marks the upload PROCESSED and adds the photo to its place, idempotently: the upload update is
 * conditional on the upload not having ended REJECTED or FAILED, and the photo is written only
 * if absent. Running it twice (a duplicate event, a retried execution) changes nothing more.
 * The upload is updated first, so a crash in between is repaired by the retry; a photo write that
 * fails sets the upload back to PROCESSING (so it never stays PROCESSED without its photo). The upload keeps
 * the id of the first execution that published it: only that one reports `alreadyPublished: false`
 * (without an execution id, whether the photo existed decides).
 */
export async function publishPhoto(
  tableName: string,
  upload: UploadRef,
  images: ResizedImages,
  executionId: string | undefined,
  now = new Date(),
): Promise<PublishedPhoto> {
  const timestamp = now.toISOString();
  let record: UploadItem;
  try {
    const updated = await dynamo.send(
      new UpdateCommand({
        TableName: tableName,
        Key: keys.upload(upload.uploadId),
        UpdateExpression:
          'SET #status = :processed, images = :images, updatedAt = :now, processedAt = if_not_exists(processedAt, :now)' +
          (executionId ? ', executionId = if_not_exists(executionId, :execution)' : ''),
        ConditionExpression: 'attribute_exists(pk) AND #status IN (:pending, :processing, :processed)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':processed': 'PROCESSED',
          ':pending': 'PENDING',
          ':processing': 'PROCESSING',
          ':images': { tileKey: images.tileKey, scaledKey: images.scaledKey },
          ':now': timestamp,
          ...(executionId ? { ':execution': executionId } : {}),
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    record = updated.Attributes as UploadItem & { processedAt: string };
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    throw await explainRefusal(tableName, upload.uploadId);
  }

  const photo: PhotoItem & { camera?: string; takenAt?: string } = {
    ...keys.photo(record.placeId, record.uploadId),
    entity: 'photo',
    placeId: record.placeId,
    uploadId: record.uploadId,
    userId: record.userId,
    tileKey: images.tileKey,
    scaledKey: images.scaledKey,
    width: images.width,
    height: images.height,
    ...(images.camera ? { camera: images.camera } : {}),
    ...(images.takenAt ? { takenAt: images.takenAt } : {}),
    ...(executionId ? { publishedBy: executionId } : {}),
    createdAt: (record as { processedAt?: string }).processedAt ?? timestamp,
  };
  const firstPublisher = executionId ? record.executionId === executionId : record.processedAt === timestamp;
  let photoExisted = false;
  try {
    await dynamo.send(
      new PutCommand({ TableName: tableName, Item: photo, ConditionExpression: 'attribute_not_exists(pk)' }),
    );
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) {
      // Not PROCESSED without a photo: back to PROCESSING, so a retry publishes again and
      // Record failure can end the upload FAILED.
      if (firstPublisher) await unpublish(tableName, record);
      throw error;
    }
    photoExisted = true;
  }
  // The execution whose photo write won announces it; a photo from before publishedBy existed
  // falls back to who marked the upload.
  const alreadyPublished = !photoExisted
    ? false
    : executionId
      ? ((await photoPublisher(tableName, photo)) ?? record.executionId) !== executionId
      : true;
  return {
    placeId: record.placeId,
    uploadId: record.uploadId,
    tileUrl: images.tileUrl,
    scaledUrl: images.scaledUrl,
    width: images.width,
    height: images.height,
    alreadyPublished,
  };
}

/** The execution that wrote the photo, if it recorded itself. */
async function photoPublisher(tableName: string, photo: PhotoItem): Promise<string | undefined> {
  const { Item } = await dynamo.send(
    new GetCommand({ TableName: tableName, Key: { pk: photo.pk, sk: photo.sk }, ConsistentRead: true }),
  );
  return typeof Item?.publishedBy === 'string' ? Item.publishedBy : undefined;
}

/** PROCESSED → PROCESSING, only while the upload is still as this publication left it. */
async function unpublish(tableName: string, record: UploadItem): Promise<void> {
  const processedAt = (record as { processedAt?: string }).processedAt;
  try {
    await dynamo.send(
      new UpdateCommand({
        TableName: tableName,
        Key: keys.upload(record.uploadId),
        UpdateExpression: 'SET #status = :processing REMOVE processedAt, executionId',
        ConditionExpression: '#status = :processed AND processedAt = :processedAt',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':processing': 'PROCESSING',
          ':processed': 'PROCESSED',
          ':processedAt': processedAt,
        },
      }),
    );
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return;
    logger.error('Could not set a published upload back to PROCESSING after its photo write failed', {
      uploadId: record.uploadId,
      error: (error as Error).name,
    });
  }
}

async function explainRefusal(tableName: string, uploadId: string): Promise<Error> {
  const { Item } = await dynamo.send(
    new GetCommand({ TableName: tableName, Key: keys.upload(uploadId), ConsistentRead: true }),
  );
  if (!Item) return new UploadNotFoundError(`Upload ${uploadId} has no upload record`);
  return new UploadAlreadyFinalError(`Upload ${uploadId} already ended ${String(Item.status)}`);
}
