import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeadLetterQueue } from '../../../local/eventbridge/dead-letter-queue';
import { EventBridgeApiError, InvalidEventPatternError } from '../../../local/eventbridge/errors';
import {
  type DeliveryContext,
  type DeliveryFailure,
  LocalEventBus,
  type LocalEventBusOptions,
} from '../../../local/eventbridge/local-event-bus';
import type { PutEventsRequestEntry } from '../../../local/eventbridge/put-events';

interface Delivered {
  targetArn: string;
  input: string;
  context: DeliveryContext;
}

const tempDirs: string[] = [];

afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

function createBus(overrides: Partial<LocalEventBusOptions> = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'eventbridge-'));
  tempDirs.push(dataDir);
  const delivered: Delivered[] = [];
  const failures: DeliveryFailure[] = [];
  const bus = new LocalEventBus({
    name: 'photos',
    dataDir,
    account: '123456789012',
    region: 'eu-west-1',
    retryBaseDelayMs: 1,
    deliver: (targetArn, input, context) => {
      delivered.push({ targetArn, input, context });
    },
    onDeliveryFailure: (failure) => failures.push(failure),
    ...overrides,
  });
  return { bus, dataDir, delivered, failures };
}

function entry(overrides: Partial<PutEventsRequestEntry> = {}): PutEventsRequestEntry {
  return {
    Source: 'photos.upload',
    DetailType: 'Photo Uploaded',
    Detail: JSON.stringify({ photoId: 'p1', size: 10 }),
    ...overrides,
  };
}

const uploadedPattern = { source: ['photos.upload'] };

describe('LocalEventBus.putEvents', () => {
  test('accepts valid entries and wraps them in the standard envelope', async () => {
    // Arrange
    const { bus, delivered } = createBus({ now: () => new Date('2024-05-06T07:08:09.456Z') });
    bus.putRule({ name: 'all', eventPattern: uploadedPattern, targets: [{ id: 't', arn: 'arn:target' }] });
    // Act
    const response = await bus.putEvents([entry({ Resources: ['arn:aws:s3:::bucket/key'] })]);
    await bus.drain();
    // Assert
    expect(response.FailedEntryCount).toBe(0);
    expect(response.Entries[0]?.EventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.parse(delivered[0]?.input ?? '')).toEqual({
      version: '0',
      id: response.Entries[0]?.EventId,
      'detail-type': 'Photo Uploaded',
      source: 'photos.upload',
      account: '123456789012',
      time: '2024-05-06T07:08:09Z',
      region: 'eu-west-1',
      resources: ['arn:aws:s3:::bucket/key'],
      detail: { photoId: 'p1', size: 10 },
    });
  });

  test('uses the entry Time when given', async () => {
    // Arrange
    const { bus } = createBus();
    // Act
    await bus.putEvents([entry({ Time: new Date('2020-01-02T03:04:05.999Z') })]);
    // Assert
    expect(bus.listArchivedEvents()[0]?.event.time).toBe('2020-01-02T03:04:05Z');
  });

  test('reports invalid entries one by one and accepts the others', async () => {
    // Arrange
    const { bus } = createBus();
    // Act
    const response = await bus.putEvents([
      entry(),
      entry({ Source: undefined }),
      entry({ DetailType: '' }),
      entry({ Detail: undefined }),
      entry({ Detail: '{not json' }),
      entry({ Detail: '[1,2]' }),
      entry({ Detail: JSON.stringify({ blob: 'x'.repeat(256 * 1024) }) }),
    ]);
    // Assert
    expect(response.FailedEntryCount).toBe(6);
    expect(response.Entries.map((result) => result.ErrorCode ?? 'accepted')).toEqual([
      'accepted',
      'InvalidArgument',
      'InvalidArgument',
      'InvalidArgument',
      'MalformedDetail',
      'MalformedDetail',
      'InvalidArgument',
    ]);
    expect(response.Entries[1]?.ErrorMessage).toBe(
      'Parameter Source is not valid. Reason: Source is a required argument.',
    );
    expect(bus.listArchivedEvents()).toHaveLength(1);
  });

  test('refuses more than ten entries with a ValidationException', async () => {
    // Arrange
    const { bus } = createBus();
    // Act
    const put = bus.putEvents(Array.from({ length: 11 }, () => entry()));
    // Assert
    await expect(put).rejects.toThrow(EventBridgeApiError);
    await expect(put).rejects.toMatchObject({ code: 'ValidationException' });
  });

  test('resolves before targets finish', async () => {
    // Arrange
    let release: () => void = () => undefined;
    const { bus } = createBus({ deliver: () => new Promise<void>((resolve) => (release = resolve)) });
    bus.putRule({ name: 'slow', eventPattern: uploadedPattern, targets: [{ id: 't', arn: 'arn:slow' }] });
    let drained = false;
    // Act
    const response = await bus.putEvents([entry()]);
    const draining = bus.drain().then(() => {
      drained = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    const drainedBeforeRelease = drained;
    release();
    await draining;
    // Assert
    expect(response.FailedEntryCount).toBe(0);
    expect(drainedBeforeRelease).toBe(false);
    expect(drained).toBe(true);
  });
});

describe('LocalEventBus rules', () => {
  test('delivers each matching event to every target of every matching rule', async () => {
    // Arrange
    const { bus, delivered } = createBus();
    bus.putRule({
      name: 'uploads',
      eventPattern: uploadedPattern,
      targets: [
        { id: 'resize', arn: 'arn:aws:lambda:eu-west-1:123456789012:function:resize' },
        {
          id: 'index',
          arn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:index',
          inputPath: '$.detail',
        },
      ],
    });
    bus.putRule({
      name: 'large',
      eventPattern: JSON.stringify({ detail: { size: [{ numeric: ['>', 5] }] } }),
      targets: [
        {
          id: 'notify',
          arn: 'arn:notify',
          inputTransformer: {
            inputPathsMap: { id: '$.detail.photoId' },
            inputTemplate: '"<id> via <aws.events.rule-arn>"',
          },
        },
      ],
    });
    bus.putRule({
      name: 'other',
      eventPattern: { source: ['other'] },
      targets: [{ id: 'never', arn: 'arn:never' }],
    });
    // Act
    await bus.putEvents([entry()]);
    await bus.drain();
    // Assert
    const byTarget = Object.fromEntries(delivered.map((item) => [item.context.targetId, item]));
    expect(Object.keys(byTarget).sort()).toEqual(['index', 'notify', 'resize']);
    expect(byTarget.resize?.context.ruleName).toBe('uploads');
    expect(JSON.parse(byTarget.index?.input ?? '')).toEqual({ photoId: 'p1', size: 10 });
    expect(byTarget.notify?.input).toBe('"p1 via arn:aws:events:eu-west-1:123456789012:rule/photos/large"');
  });

  test('skips disabled rules and removed rules', async () => {
    // Arrange
    const { bus, delivered } = createBus();
    bus.putRule({
      name: 'off',
      eventPattern: uploadedPattern,
      state: 'DISABLED',
      targets: [{ id: 'a', arn: 'arn:a' }],
    });
    bus.putRule({ name: 'gone', eventPattern: uploadedPattern, targets: [{ id: 'b', arn: 'arn:b' }] });
    const removed = bus.removeRule('gone');
    // Act
    await bus.putEvents([entry()]);
    await bus.drain();
    // Assert
    expect(removed).toBe(true);
    expect(delivered).toEqual([]);
    expect(bus.listRules().map((rule) => rule.name)).toEqual(['off']);
  });

  test('refuses a rule with an invalid pattern', () => {
    // Arrange
    const { bus } = createBus();
    // Act
    const put = () => bus.putRule({ name: 'bad', eventPattern: { source: 'x' }, targets: [] });
    // Assert
    expect(put).toThrow(InvalidEventPatternError);
  });

  test('retries a failing target and reports the failure after the retries run out', async () => {
    // Arrange
    let calls = 0;
    const log = jest.fn();
    const { bus, failures } = createBus({
      log,
      deliver: () => {
        calls++;
        throw new Error('target down');
      },
    });
    bus.putRule({
      name: 'flaky',
      eventPattern: uploadedPattern,
      targets: [{ id: 't', arn: 'arn:t', retryPolicy: { maximumRetryAttempts: 3 } }],
    });
    // Act
    await bus.putEvents([entry()]);
    await bus.drain();
    // Assert
    expect(calls).toBe(4);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({
      busName: 'photos',
      ruleName: 'flaky',
      targetId: 't',
      targetArn: 'arn:t',
      attempts: 4,
    });
    expect(failures[0]?.error).toEqual(new Error('target down'));
    expect(log).toHaveBeenCalledWith(
      'warn',
      'Giving up delivering event to target',
      expect.objectContaining({ attempts: 4 }),
    );
  });

  test('delivers once a target recovers within the default retries', async () => {
    // Arrange
    let calls = 0;
    const { bus, failures } = createBus({
      deliver: async () => {
        calls++;
        if (calls < 3) throw new Error('not yet');
      },
    });
    bus.putRule({ name: 'recovering', eventPattern: uploadedPattern, targets: [{ id: 't', arn: 'arn:t' }] });
    // Act
    await bus.putEvents([entry()]);
    await bus.drain();
    // Assert
    expect(calls).toBe(3);
    expect(failures).toEqual([]);
  });

  test('stops retrying once the event is older than MaximumEventAgeInSeconds', async () => {
    // Arrange
    let clock = Date.parse('2024-01-01T00:00:00Z');
    let calls = 0;
    const { bus, failures } = createBus({
      now: () => new Date(clock),
      deliver: () => {
        calls++;
        clock += 61_000;
        throw new Error('down');
      },
    });
    bus.putRule({
      name: 'aged',
      eventPattern: uploadedPattern,
      targets: [
        { id: 't', arn: 'arn:t', retryPolicy: { maximumRetryAttempts: 10, maximumEventAgeInSeconds: 60 } },
      ],
    });
    // Act
    await bus.putEvents([entry()]);
    await bus.drain();
    // Assert
    expect(calls).toBe(1);
    expect(failures).toHaveLength(1);
  });
});

describe('LocalEventBus dead-letter queues', () => {
  const queueArn = 'arn:aws:sqs:eu-west-1:123456789012:photos-dlq';

  test("sends an event it gave up on to the target's dead-letter queue, with EventBridge's attributes", async () => {
    // Arrange
    const { bus, dataDir, failures } = createBus({
      now: () => new Date('2024-05-06T07:08:09.000Z'),
      deliver: () => {
        throw Object.assign(new Error('Function not found'), { name: 'ResourceNotFoundException' });
      },
    });
    bus.putRule({
      name: 'resize',
      eventPattern: uploadedPattern,
      targets: [
        {
          id: 't',
          arn: 'arn:t',
          retryPolicy: { maximumRetryAttempts: 1 },
          deadLetterConfig: { arn: queueArn },
        },
      ],
    });
    // Act
    const response = await bus.putEvents([entry()]);
    await bus.drain();
    // Assert
    const messages = new DeadLetterQueue(dataDir, queueArn).list();
    expect(messages).toEqual([
      {
        sentTime: '2024-05-06T07:08:09.000Z',
        body: expect.objectContaining({
          id: response.Entries[0]?.EventId,
          detail: { photoId: 'p1', size: 10 },
        }),
        attributes: {
          RULE_ARN: 'arn:aws:events:eu-west-1:123456789012:rule/photos/resize',
          TARGET_ARN: 'arn:t',
          ERROR_CODE: 'ResourceNotFoundException',
          ERROR_MESSAGE: 'Function not found',
          RETRY_ATTEMPTS: 1,
          EXHAUSTED_RETRY_CONDITION: 'MaximumRetryAttemptsExhausted',
        },
      },
    ]);
    expect(readFileSync(join(dataDir, 'dead-letters', 'photos-dlq.jsonl'), 'utf8')).toContain('"RULE_ARN"');
    expect(failures[0]).toMatchObject({ deadLetterQueue: 'photos-dlq' });
  });

  test('sends an event a target refuses for a missing permission to the dead-letter queue at once, without retrying', async () => {
    // Arrange
    let calls = 0;
    const { bus, dataDir } = createBus({
      retryBaseDelayMs: 3_600_000,
      deliver: () => {
        calls++;
        throw Object.assign(new Error('not authorized to perform: states:StartExecution'), {
          name: 'NO_PERMISSIONS',
          retryable: false,
        });
      },
    });
    bus.putRule({
      name: 'resize',
      eventPattern: uploadedPattern,
      targets: [
        {
          id: 't',
          arn: 'arn:t',
          retryPolicy: { maximumRetryAttempts: 185, maximumEventAgeInSeconds: 86_400 },
          deadLetterConfig: { arn: queueArn },
        },
      ],
    });
    // Act
    await bus.putEvents([entry()]);
    await bus.drain();
    // Assert
    expect(calls).toBe(1);
    expect(new DeadLetterQueue(dataDir, queueArn).list().map((message) => message.attributes)).toEqual([
      expect.objectContaining({
        ERROR_CODE: 'NO_PERMISSIONS',
        ERROR_MESSAGE: 'not authorized to perform: states:StartExecution',
        RETRY_ATTEMPTS: 0,
      }),
    ]);
  });

  test('close abandons a delivery waiting to retry instead of holding on for its RetryPolicy', async () => {
    // Arrange
    const log = jest.fn();
    const { bus, dataDir, failures } = createBus({
      log,
      retryBaseDelayMs: 3_600_000,
      deliver: () => {
        throw new Error('down');
      },
    });
    bus.putRule({
      name: 'resize',
      eventPattern: uploadedPattern,
      targets: [
        {
          id: 't',
          arn: 'arn:t',
          retryPolicy: { maximumRetryAttempts: 185, maximumEventAgeInSeconds: 86_400 },
          deadLetterConfig: { arn: queueArn },
        },
      ],
    });
    await bus.putEvents([entry()]);
    // Act
    await bus.close();
    // Assert
    expect(log).toHaveBeenCalledWith(
      'warn',
      'Abandoned retrying a delivery: the bus closed',
      expect.objectContaining({ attempts: 1 }),
    );
    expect(failures).toEqual([]);
    expect(new DeadLetterQueue(dataDir, queueArn).list()).toEqual([]);
  });

  test('leaves the dead-letter queue empty when the event is delivered', async () => {
    // Arrange
    const { bus, dataDir } = createBus();
    bus.putRule({
      name: 'resize',
      eventPattern: uploadedPattern,
      targets: [{ id: 't', arn: 'arn:t', deadLetterConfig: { arn: queueArn } }],
    });
    // Act
    await bus.putEvents([entry()]);
    await bus.drain();
    // Assert
    expect(new DeadLetterQueue(dataDir, queueArn).list()).toEqual([]);
  });
});

describe('LocalEventBus archive', () => {
  test('appends every accepted event to events/<bus>.jsonl under the data directory', async () => {
    // Arrange
    const { bus, dataDir } = createBus();
    // Act
    const response = await bus.putEvents([entry(), entry({ Detail: '{"photoId":"p2"}' })]);
    // Assert
    const lines = readFileSync(join(dataDir, 'events', 'photos.jsonl'), 'utf8')
      .trim()
      .split('\n');
    expect(lines.map((line) => JSON.parse(line).event.id)).toEqual(
      response.Entries.map((result) => result.EventId),
    );
  });

  test('keeps the archive across bus instances on the same data directory', async () => {
    // Arrange
    const { bus, dataDir } = createBus();
    await bus.putEvents([entry()]);
    // Act
    const restarted = new LocalEventBus({ name: 'photos', dataDir, deliver: () => undefined });
    // Assert
    expect(restarted.listArchivedEvents()).toHaveLength(1);
  });

  test('replays archived events since a time to the current rules, marked with a replay name', async () => {
    // Arrange
    let clock = Date.parse('2024-01-01T00:00:00Z');
    const { bus, delivered } = createBus({ now: () => new Date(clock) });
    await bus.putEvents([entry({ Detail: '{"photoId":"old"}' })]);
    clock += 60_000;
    await bus.putEvents([entry({ Detail: '{"photoId":"new"}' })]);
    bus.putRule({
      name: 'late',
      eventPattern: uploadedPattern,
      targets: [{ id: 't', arn: 'arn:t', inputPath: '$' }],
    });
    // Act
    const replayed = bus.replayArchive(new Date(clock));
    await bus.drain();
    // Assert
    expect(replayed).toBe(1);
    expect(delivered).toHaveLength(1);
    const event = JSON.parse(delivered[0]?.input ?? '');
    expect(event.detail).toEqual({ photoId: 'new' });
    expect(event['replay-name']).toMatch(/^local-replay-/);
    expect(bus.listArchivedEvents()).toHaveLength(2);
  });
});
