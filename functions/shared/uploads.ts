import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { dynamo } from '#clients/dynamodb';
import { s3 } from '#clients/s3';
import { newUploadId } from './ids';
import { keys, type UploadItem, uploadObjectKey } from './model';

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

/**
 * Records a PENDING upload and signs a presigned POST for exactly one JPEG of at most
 * `maxUploadBytes`, at the key `<placeId>/<uploadId>.jpg`, carrying the uploader's id as object
 * metadata (the GDPR flow finds objects by it). S3 refuses anything else the policy does not allow.
 */
export async function issueUploadTicket(
  settings: UploadTicketSettings,
  request: { placeId: string; userId: string },
  now = new Date(),
): Promise<UploadTicket> {
  const uploadId = newUploadId(now.getTime());
  const key = uploadObjectKey(request.placeId, uploadId);
  const timestamp = now.toISOString();
  const item: UploadItem = {
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
  };
  await dynamo.send(
    new PutCommand({
      TableName: settings.tableName,
      Item: item,
      ConditionExpression: 'attribute_not_exists(pk)',
    }),
  );
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
    expiresAt: new Date(now.getTime() + settings.ttlSeconds * 1000).toISOString(),
  };
}

export async function getUpload(tableName: string, uploadId: string): Promise<UploadItem | undefined> {
  const result = await dynamo.send(new GetCommand({ TableName: tableName, Key: keys.upload(uploadId) }));
  return result.Item as UploadItem | undefined;
}
