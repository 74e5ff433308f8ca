import { DeleteObjectsCommand, ListObjectVersionsCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../../../functions/backend/delete-unknown-upload';
import { fixture } from '../../../helpers/fixtures';

const dynamo = mockClient(DynamoDBDocumentClient);
const s3 = mockClient(S3Client);
const uploadId = '0192f3a0-7b1c-7d2e-8f3a-4b5c6d7e8f90';
const key = `ChIJ-central-park/${uploadId}.jpg`;

beforeEach(() => {
  dynamo.reset();
  s3.reset();
  dynamo.on(GetCommand).resolves({});
  s3.on(DeleteObjectsCommand).resolves({});
});

describe('uploadUnknown', () => {
  it('deletes every version and delete marker of an object whose upload has no record, and only of its key', async () => {
    s3.on(ListObjectVersionsCommand).resolves({
      Versions: [
        { Key: key, VersionId: 'v2' },
        { Key: key, VersionId: 'v1' },
        { Key: `${key}.other`, VersionId: 'x1' },
      ],
      DeleteMarkers: [{ Key: key, VersionId: 'm1' }],
    });

    const result = await handler(fixture('backend/delete-unknown-upload.json'));

    expect(result).toEqual({ versionsDeleted: 3 });
    expect(dynamo).toHaveReceivedCommandWith(GetCommand, {
      TableName: 'app-table',
      Key: { pk: `UPLOAD#${uploadId}`, sk: 'UPLOAD' },
      ConsistentRead: true,
    });
    expect(s3).toHaveReceivedCommandWith(DeleteObjectsCommand, {
      Bucket: 'upload-bucket',
      Delete: {
        Objects: [
          { Key: key, VersionId: 'v2' },
          { Key: key, VersionId: 'v1' },
          { Key: key, VersionId: 'm1' },
        ],
        Quiet: true,
      },
    });
  });

  it('keeps the object when its upload has a record by now', async () => {
    dynamo.on(GetCommand).resolves({ Item: { pk: `UPLOAD#${uploadId}`, sk: 'UPLOAD', status: 'PENDING' } });

    const result = await handler(fixture('backend/delete-unknown-upload.json'));

    expect(result).toMatchObject({ versionsDeleted: 0, keptBecause: 'the upload has a record' });
    expect(s3).not.toHaveReceivedCommand(ListObjectVersionsCommand);
    expect(s3).not.toHaveReceivedCommand(DeleteObjectsCommand);
  });

  it('touches nothing outside the upload bucket', async () => {
    const event = fixture<{ detail: { bucket: string } }>('backend/delete-unknown-upload.json');
    event.detail.bucket = 'someone-elses-bucket';

    const result = await handler(event);

    expect(result).toEqual({ versionsDeleted: 0 });
    expect(s3).not.toHaveReceivedCommand(DeleteObjectsCommand);
  });

  it('fails, to be retried, when S3 refuses a version', async () => {
    s3.on(ListObjectVersionsCommand).resolves({ Versions: [{ Key: key, VersionId: 'v1' }] });
    s3.on(DeleteObjectsCommand).resolves({ Errors: [{ Key: key, VersionId: 'v1', Code: 'InternalError' }] });

    await expect(handler(fixture('backend/delete-unknown-upload.json'))).rejects.toThrow(
      expect.objectContaining({ name: 'UnknownUploadNotDeletedError' }),
    );
  });
});
