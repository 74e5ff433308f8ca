import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { dynamo } from '#clients/dynamodb';
import { s3 } from '#clients/s3';
import { HttpError } from '#shared/errors';
import { keys, type UploadItem, uploadObjectKey } from '#shared/model';
import { newUploadId } from './ids';
import { PENDING_UPLOAD_TTL_ATTRIBUTE } from './upload-intake';

/**
 * How long an unused ticket's PENDING record outlives the ticket before DynamoDB TTL deletes it
 * (with the uploader's id): 15 days, a day longer than the notification failure queue keeps a
 * failed notification (14 days from its failure, which comes after the ticket), so one redriven
 * from there always still finds its record. Claiming removes the expiry.
 */
export const PENDING_UPLOAD_RETENTION_SECONDS = 15 * 24 * 3600;

export interface UploadTicketSettings {
  tableName: string;
  bucket: string;
  maxUploadBytes: number;
  ttlSeconds: number;
}

/** What a client needs to upload one photo: POST `fields` plus the file as multipart form to `url`. */
export interface UploadTicket {
  uploadId: string;
  key: string;
  url: string;
  fields: Record<string, string>;
  maxBytes: number;
  contentType: 'image/jpeg';
  expiresAt: string;
}

/** 409: the user has an open erasure request; no ticket is issued until it closes. */
export class ErasureInProgressError extends HttpError {
  override readonly name = 'ErasureInProgressError';
  constructor() {
    super(
      409,
      'ERASURE_IN_PROGRESS',
      'Your data is being erased at your request: no upload is accepted until the erasure request is closed.',
    );
  }
}

/**
 * Records a PENDING upload (expiring `PENDING_UPLOAD_RETENTION_SECONDS` after the ticket unless
 * an upload claims it) and signs a presigned POST for exactly one JPEG of at most
 * `maxUploadBytes`, at the key `<placeId>/<uploadId>.jpg`, carrying the uploader's id as object
 * metadata (the GDPR flow finds objects by it). S3 refuses anything else the policy does not allow.
 *
 * A user with an open erasure request gets no ticket (ErasureInProgressError). The hold is read
 * after the record is written: an erasure request opened before that read is seen (the record is
 * taken back), and one opened after it finds the record in the user's data, so a ticket never
 * escapes an erasure.
 */
export async function issueUploadTicket(
  settings: UploadTicketSettings,
  request: { placeId: string; userId: string },
  now = new Date(),
): Promise<UploadTicket> {
  const uploadId = newUploadId(now.getTime());
  const key = uploadObjectKey(request.placeId, uploadId);
  const timestamp = now.toISOString();
  const expiresAt = new Date(now.getTime() + settings.ttlSeconds * 1000);
  const item: UploadItem & { [PENDING_UPLOAD_TTL_ATTRIBUTE]: number } = {
    ...keys.upload(uploadId),
    entity: 'upload',
    uploadId,
    placeId: request.placeId,
    userId: request.userId,
    status: 'PENDING',
    bucket: settings.bucket,
    objectKey: key,
    createdAt: timestamp,
    updatedAt: timestamp,
    [PENDING_UPLOAD_TTL_ATTRIBUTE]: Math.ceil(expiresAt.getTime() / 1000) + PENDING_UPLOAD_RETENTION_SECONDS,
  };
  await dynamo.send(
    new PutCommand({
      TableName: settings.tableName,
      Item: item,
      ConditionExpression: 'attribute_not_exists(pk)',
    }),
  );
  const { Item: hold } = await dynamo.send(
    new GetCommand({
      TableName: settings.tableName,
      Key: keys.uploadHold(request.userId),
      ConsistentRead: true,
    }),
  );
  if (hold) {
    await dynamo.send(new DeleteCommand({ TableName: settings.tableName, Key: keys.upload(uploadId) }));
    throw new ErasureInProgressError();
  }
  const post = await createPresignedPost(s3, {
    Bucket: settings.bucket,
    Key: key,
    Expires: settings.ttlSeconds,
    Conditions: [['content-length-range', 1, settings.maxUploadBytes]],
    Fields: {
      'Content-Type': 'image/jpeg',
      'x-amz-meta-user-id': request.userId,
      'x-amz-meta-upload-id': uploadId,
    },
  });
  return {
    uploadId,
    key,
    url: post.url,
    fields: post.fields,
    maxBytes: settings.maxUploadBytes,
    contentType: 'image/jpeg',
    expiresAt: expiresAt.toISOString(),
  };
}

/** An upload record, read consistently: a status asked for right after the ticket finds it. */
export async function getUpload(tableName: string, uploadId: string): Promise<UploadItem | undefined> {
  const result = await dynamo.send(
    new GetCommand({ TableName: tableName, Key: keys.upload(uploadId), ConsistentRead: true }),
  );
  return result.Item as UploadItem | undefined;
}
