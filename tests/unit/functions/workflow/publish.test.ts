import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../../../functions/workflow/publish';
import { fixture } from '../../../helpers/fixtures';

const dynamo = mockClient(DynamoDBDocumentClient);

const uploadId = '0192f3a0-7b1c-7d2e-8f3a-4b5c6d7e8f90';
const processedUpload = {
  pk: `UPLOAD#${uploadId}`,
  sk: 'UPLOAD',
  entity: 'upload',
  uploadId,
  placeId: 'ChIJ-central-park',
  userId: 'user-alice',
  status: 'PROCESSED',
  processedAt: '2026-11-26T10:00:00.000Z',
};
const conditionFailed = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

beforeEach(() => {
  dynamo.reset();
  dynamo.on(UpdateCommand).resolves({ Attributes: processedUpload });
  dynamo.on(PutCommand).resolves({});
});

describe('Publish task', () => {
  it('marks the upload PROCESSED unless it already ended otherwise, then adds the photo to its place', async () => {
    const result = await handler(fixture('workflow/publish.json'));

    expect(dynamo).toHaveReceivedCommandWith(UpdateCommand, {
      TableName: 'app-table',
      Key: { pk: `UPLOAD#${uploadId}`, sk: 'UPLOAD' },
      ConditionExpression: 'attribute_exists(pk) AND #status IN (:pending, :processing, :processed)',
      ExpressionAttributeValues: expect.objectContaining({
        ':processed': 'PROCESSED',
        ':images': {
          tileKey: `tiles/ChIJ-central-park/${uploadId}.jpg`,
          scaledKey: `photos/ChIJ-central-park/${uploadId}.jpg`,
        },
      }),
    });
    expect(dynamo).toHaveReceivedCommandWith(PutCommand, {
      TableName: 'app-table',
      ConditionExpression: 'attribute_not_exists(pk)',
      Item: {
        pk: 'PLACE#ChIJ-central-park',
        sk: `PHOTO#${uploadId}`,
        entity: 'photo',
        placeId: 'ChIJ-central-park',
        uploadId,
        userId: 'user-alice',
        tileKey: `tiles/ChIJ-central-park/${uploadId}.jpg`,
        scaledKey: `photos/ChIJ-central-park/${uploadId}.jpg`,
        width: 3024,
        height: 4032,
        camera: 'Apple iPhone 15 Pro',
        takenAt: '2026-05-01T14:03:59',
        createdAt: '2026-11-26T10:00:00.000Z',
      },
    });
    expect(result).toEqual(expect.objectContaining({ uploadId, alreadyPublished: false }));
    expect(result).not.toHaveProperty('userId');
  });

  it('succeeds without a second photo when the photo already exists (duplicate event or retry)', async () => {
    dynamo.on(PutCommand).rejects(conditionFailed());

    const result = await handler(fixture('workflow/publish.json'));

    expect(result.alreadyPublished).toBe(true);
    expect(dynamo).toHaveReceivedCommandTimes(PutCommand, 1);
  });

  it('answers alreadyPublished false to a retry by the execution that published the upload, so it still announces', async () => {
    const executionId = 'arn:aws:states:us-east-1:000000000000:execution:happy-path-workflow-v4:first';
    dynamo.on(UpdateCommand).resolves({ Attributes: { ...processedUpload, executionId } });
    dynamo.on(PutCommand).rejects(conditionFailed());
    dynamo.on(GetCommand).resolves({ Item: { publishedBy: executionId } });

    const result = await handler({ ...fixture<object>('workflow/publish.json'), executionId });

    expect(result.alreadyPublished).toBe(false);
    expect(dynamo).toHaveReceivedCommandWith(UpdateCommand, {
      UpdateExpression: expect.stringContaining('executionId = if_not_exists(executionId, :execution)'),
      ExpressionAttributeValues: expect.objectContaining({ ':execution': executionId }),
    });
  });

  it('answers alreadyPublished true to a duplicate execution when another one wrote the photo first', async () => {
    const first = 'arn:aws:states:us-east-1:000000000000:execution:happy-path-workflow-v4:first';
    const duplicate = 'arn:aws:states:us-east-1:000000000000:execution:happy-path-workflow-v4:duplicate';
    dynamo.on(UpdateCommand).resolves({ Attributes: { ...processedUpload, executionId: first } });
    dynamo.on(PutCommand).rejects(conditionFailed());
    dynamo.on(GetCommand).resolves({ Item: { publishedBy: first } });

    const result = await handler({ ...fixture<object>('workflow/publish.json'), executionId: duplicate });

    expect(result.alreadyPublished).toBe(true);
  });

  it('lets the duplicate whose photo write won announce, when the first publisher failed to write its photo', async () => {
    const first = 'arn:aws:states:us-east-1:000000000000:execution:happy-path-workflow-v4:first';
    const duplicate = 'arn:aws:states:us-east-1:000000000000:execution:happy-path-workflow-v4:duplicate';
    dynamo.on(UpdateCommand).resolves({ Attributes: { ...processedUpload, executionId: first } });

    const result = await handler({ ...fixture<object>('workflow/publish.json'), executionId: duplicate });

    expect(result.alreadyPublished).toBe(false);
    expect(dynamo).toHaveReceivedCommandWith(PutCommand, {
      Item: expect.objectContaining({ publishedBy: duplicate }),
    });
  });

  it('sets the upload back to PROCESSING when its photo cannot be written, and fails with the error', async () => {
    const executionId = 'arn:aws:states:us-east-1:000000000000:execution:happy-path-workflow-v4:first';
    dynamo.on(UpdateCommand).resolves({ Attributes: { ...processedUpload, executionId } });
    const refused = Object.assign(new Error('Item size has exceeded the maximum allowed size'), {
      name: 'ValidationException',
    });
    dynamo.on(PutCommand).rejects(refused);

    await expect(handler({ ...fixture<object>('workflow/publish.json'), executionId })).rejects.toThrow(
      'Item size has exceeded',
    );
    expect(dynamo).toHaveReceivedCommandTimes(UpdateCommand, 2);
    expect(dynamo).toHaveReceivedNthCommandWith(3, UpdateCommand, {
      Key: { pk: `UPLOAD#${uploadId}`, sk: 'UPLOAD' },
      UpdateExpression: 'SET #status = :processing REMOVE processedAt, executionId',
      ConditionExpression: '#status = :processed AND processedAt = :processedAt',
      ExpressionAttributeValues: {
        ':processing': 'PROCESSING',
        ':processed': 'PROCESSED',
        ':processedAt': processedUpload.processedAt,
      },
    });
  });

  it('leaves an upload another execution published alone when its own photo write fails', async () => {
    const first = 'arn:aws:states:us-east-1:000000000000:execution:happy-path-workflow-v4:first';
    const duplicate = 'arn:aws:states:us-east-1:000000000000:execution:happy-path-workflow-v4:duplicate';
    dynamo.on(UpdateCommand).resolves({ Attributes: { ...processedUpload, executionId: first } });
    dynamo.on(PutCommand).rejects(Object.assign(new Error('throttled'), { name: 'ThrottlingException' }));

    await expect(
      handler({ ...fixture<object>('workflow/publish.json'), executionId: duplicate }),
    ).rejects.toThrow('throttled');
    expect(dynamo).toHaveReceivedCommandTimes(UpdateCommand, 1);
  });

  it('refuses to publish an upload that was already rejected, and writes no photo', async () => {
    dynamo.on(UpdateCommand).rejects(conditionFailed());
    dynamo.on(GetCommand).resolves({ Item: { ...processedUpload, status: 'REJECTED' } });

    await expect(handler(fixture('workflow/publish.json'))).rejects.toMatchObject({
      name: 'UploadAlreadyFinalError',
      message: expect.stringContaining('REJECTED'),
    });
    expect(dynamo).not.toHaveReceivedCommand(PutCommand);
  });

  it('fails with UploadNotFoundError when no upload record exists', async () => {
    dynamo.on(UpdateCommand).rejects(conditionFailed());
    dynamo.on(GetCommand).resolves({});

    await expect(handler(fixture('workflow/publish.json'))).rejects.toMatchObject({
      name: 'UploadNotFoundError',
    });
    expect(dynamo).not.toHaveReceivedCommand(PutCommand);
  });

  it('refuses input without the resized images', async () => {
    const input = fixture<Record<string, unknown>>('workflow/publish.json');
    delete input.images;

    await expect(handler(input)).rejects.toMatchObject({ name: 'InvalidTaskInputError' });
  });
});
