import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { logger } from '#shared/logger';
import { handler } from '../../../../functions/backend/notify-upload-complete';
import { fixture } from '../../../helpers/fixtures';

const eventBridge = mockClient(EventBridgeClient);
const dynamo = mockClient(DynamoDBDocumentClient);
const uploadId = '0192f3a0-7b1c-7d2e-8f3a-4b5c6d7e8f90';
let random: jest.SpiedFunction<typeof Math.random>;
const conditionFailed = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

type S3Notification = { Records: Array<{ s3: { object: { key: string } } }> };

function detailsSent(): unknown[] {
  return eventBridge
    .commandCalls(PutEventsCommand)
    .flatMap((call) => call.args[0].input.Entries ?? [])
    .map((entry) => JSON.parse(entry.Detail ?? '{}'));
}

beforeEach(() => {
  // No back-off waits unless a test asks for them (full jitter: random() × the ceiling).
  random = jest.spyOn(Math, 'random').mockReturnValue(0);
  dynamo.reset();
  dynamo.on(UpdateCommand).resolves({});
  eventBridge.reset();
  eventBridge.on(PutEventsCommand).callsFake((input: { Entries: unknown[] }) => ({
    FailedEntryCount: 0,
    Entries: input.Entries.map((_, index) => ({ EventId: `event-${index}` })),
  }));
});

afterEach(() => {
  jest.useRealTimers();
  jest.restoreAllMocks();
});

describe('upload notification', () => {
  it('puts one uploadComplete event on the application bus per uploaded photo', async () => {
    const result = await handler(fixture('backend/notify-upload-complete.json'));

    expect(result).toEqual({ published: 1, skipped: 0 });
    expect(eventBridge).toHaveReceivedCommandWith(PutEventsCommand, {
      Entries: [
        expect.objectContaining({
          EventBusName: 'app-bus',
          Source: 'happy-path.uploads',
          DetailType: 'uploadComplete',
        }),
      ],
    });
    expect(detailsSent()).toEqual([
      {
        bucket: 'happy-path-backend-uploadbucket-example',
        key: 'ChIJ-central-park/0192f3a0-7b1c-7d2e-8f3a-4b5c6d7e8f90.jpg',
        placeId: 'ChIJ-central-park',
        uploadId: '0192f3a0-7b1c-7d2e-8f3a-4b5c6d7e8f90',
        size: 2457600,
        etag: '0123456789abcdef0123456789abcdef',
        versionId: 'example-version',
      },
    ]);
  });

  it('claims the upload for this object version before announcing it, removing its expiry', async () => {
    await handler(fixture('backend/notify-upload-complete.json'));

    expect(dynamo).toHaveReceivedCommandWith(UpdateCommand, {
      TableName: 'app-table',
      Key: { pk: `UPLOAD#${uploadId}`, sk: 'UPLOAD' },
      UpdateExpression:
        'SET #status = :processing, updatedAt = :now, objectSize = :size, objectEtag = :etag, objectVersionId = :versionId REMOVE #ttl',
      ConditionExpression:
        'attribute_exists(pk) AND #status IN (:pending, :processing) AND placeId = :placeId AND (attribute_not_exists(objectVersionId) OR objectVersionId = :versionId)',
      ExpressionAttributeNames: { '#status': 'status', '#ttl': 'expiresAtEpoch' },
      ExpressionAttributeValues: expect.objectContaining({
        ':processing': 'PROCESSING',
        ':pending': 'PENDING',
        ':placeId': 'ChIJ-central-park',
        ':size': 2457600,
        ':etag': '0123456789abcdef0123456789abcdef',
        ':versionId': 'example-version',
      }),
    });
    const [claim] = dynamo.commandCalls(UpdateCommand);
    const [publish] = eventBridge.commandCalls(PutEventsCommand);
    expect(claim && publish && claim.calledBefore(publish)).toBe(true);
  });

  it('skips a second object for the same upload (a second POST with its ticket), logging why without user data', async () => {
    dynamo.on(UpdateCommand).rejects(conditionFailed());
    dynamo.on(GetCommand).resolves({
      Item: {
        status: 'PROCESSING',
        placeId: 'ChIJ-central-park',
        userId: 'user-alice',
        objectVersionId: 'first-version',
      },
    });
    const warn = jest.spyOn(logger, 'warn');

    const result = await handler(fixture('backend/notify-upload-complete.json'));

    expect(result).toEqual({ published: 0, skipped: 1 });
    expect(eventBridge).not.toHaveReceivedCommand(PutEventsCommand);
    expect(warn).toHaveBeenCalledWith('Skipped an S3 notification record', {
      reason: `upload ${uploadId} is already claimed for another object (a second POST with its ticket)`,
    });
    expect(JSON.stringify(warn.mock.calls)).not.toContain('user-alice');
  });

  it('announces an object without an upload record (its user erased since the ticket) as uploadUnknown, never as uploadComplete', async () => {
    dynamo.on(UpdateCommand).rejects(conditionFailed());
    dynamo.on(GetCommand).resolves({});

    const result = await handler(fixture('backend/notify-upload-complete.json'));

    expect(result).toEqual({ published: 0, skipped: 1 });
    const entries = eventBridge
      .commandCalls(PutEventsCommand)
      .flatMap((call) => call.args[0].input.Entries ?? []);
    expect(entries.map((entry) => [entry.Source, entry.DetailType])).toEqual([
      ['happy-path.uploads', 'uploadUnknown'],
    ]);
    expect(detailsSent()).toEqual([
      {
        bucket: 'happy-path-backend-uploadbucket-example',
        key: `ChIJ-central-park/${uploadId}.jpg`,
        uploadId,
      },
    ]);
  });

  it('skips a second upload with the same ticket once the first has ended', async () => {
    dynamo.on(UpdateCommand).rejects(conditionFailed());
    dynamo.on(GetCommand).resolves({ Item: { status: 'PROCESSED' } });

    const result = await handler(fixture('backend/notify-upload-complete.json'));

    expect(result).toEqual({ published: 0, skipped: 1 });
    expect(eventBridge).not.toHaveReceivedCommand(PutEventsCommand);
  });

  it('skips a record whose decoded key is not an upload key, and publishes the others', async () => {
    const result = await handler(fixture('backend/notify-upload-complete-encoded-key.json'));

    expect(result).toEqual({ published: 1, skipped: 1 });
    expect(detailsSent()).toEqual([
      expect.objectContaining({ uploadId: '0192f3a0-7b1c-7d2e-8f3a-4b5c6d7e8f91' }),
    ]);
  });

  it('skips an S3 test event without calling EventBridge', async () => {
    const result = await handler(fixture('backend/notify-upload-complete-test-event.json'));

    expect(result).toEqual({ published: 0, skipped: 1 });
    expect(eventBridge).not.toHaveReceivedCommand(PutEventsCommand);
  });

  it('skips a record with a key that is not valid URL encoding', async () => {
    const event = fixture<S3Notification>('backend/notify-upload-complete.json');
    const record = event.Records[0];
    if (record) record.s3.object.key = 'place/%E0%A4%A.jpg';

    const result = await handler(event);

    expect(result).toEqual({ published: 0, skipped: 1 });
  });

  it('sends events in batches of ten', async () => {
    const template = fixture<S3Notification>('backend/notify-upload-complete.json').Records[0];
    const records = Array.from({ length: 23 }, (_, index) => {
      const record = structuredClone(template) as { s3: { object: { key: string } } };
      record.s3.object.key = `place-1/0192f3a0-7b1c-7d2e-8f3a-4b5c6d7e${String(index).padStart(4, '0')}.jpg`;
      return record;
    });

    const result = await handler({ Records: records });

    expect(result.published).toBe(23);
    expect(
      eventBridge.commandCalls(PutEventsCommand).map((call) => call.args[0].input.Entries?.length),
    ).toEqual([10, 10, 3]);
  });

  it('re-sends only the entries EventBridge failed to accept', async () => {
    eventBridge
      .on(PutEventsCommand)
      .resolvesOnce({
        FailedEntryCount: 1,
        Entries: [{ EventId: 'accepted' }, { ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }],
      })
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'accepted-on-retry' }] });
    const event = fixture<S3Notification>('backend/notify-upload-complete.json');
    const second = structuredClone(event.Records[0]) as S3Notification['Records'][number];
    second.s3.object.key = 'ChIJ-central-park/0192f3a0-7b1c-7d2e-8f3a-4b5c6d7e8f99.jpg';
    event.Records.push(second);

    const result = await handler(event);

    expect(result.published).toBe(2);
    const calls = eventBridge.commandCalls(PutEventsCommand);
    expect(calls).toHaveLength(2);
    const retried = calls[1]?.args[0].input.Entries ?? [];
    expect(retried.map((entry) => JSON.parse(entry.Detail ?? '{}').uploadId)).toEqual([
      '0192f3a0-7b1c-7d2e-8f3a-4b5c6d7e8f99',
    ]);
  });

  it('fails the invocation when events still fail after retrying, so S3 retries it', async () => {
    eventBridge.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' }],
    });

    await expect(handler(fixture('backend/notify-upload-complete.json'))).rejects.toMatchObject({
      name: 'EventPublishError',
    });
    expect(eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 4);
  });

  it('waits an exponential back-off with full jitter before each re-send', async () => {
    jest.useFakeTimers();
    random.mockReturnValue(0.5);
    eventBridge.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' }],
    });
    const calls = () => eventBridge.commandCalls(PutEventsCommand).length;

    const outcome = handler(fixture('backend/notify-upload-complete.json')).catch((error: Error) => error);
    await jest.advanceTimersByTimeAsync(0);
    expect(calls()).toBe(1);
    // Half (the jitter) of 200, 400 and 800 ms.
    for (const [wait, callsBefore] of [
      [100, 1],
      [200, 2],
      [400, 3],
    ] as const) {
      await jest.advanceTimersByTimeAsync(wait - 1);
      expect(calls()).toBe(callsBefore);
      await jest.advanceTimersByTimeAsync(1);
      expect(calls()).toBe(callsBefore + 1);
    }

    await expect(outcome).resolves.toMatchObject({ name: 'EventPublishError' });
  });

  it('fails the invocation when EventBridge is unreachable', async () => {
    eventBridge.on(PutEventsCommand).rejects(new Error('socket hang up'));

    await expect(handler(fixture('backend/notify-upload-complete.json'))).rejects.toThrow('socket hang up');
  });
});
