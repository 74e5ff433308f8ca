import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBridgeClient, PutEventsCommand, TestEventPatternCommand } from '@aws-sdk/client-eventbridge';
import { busNameOf, handleEventBridgeRequest } from '../../../local/eventbridge/handle-eventbridge-request';
import { LocalEventBus } from '../../../local/eventbridge/local-event-bus';

const dataDir = mkdtempSync(join(tmpdir(), 'eventbridge-api-'));
const delivered: Array<{ bus: string; input: string }> = [];
const buses = new Map(
  ['default', 'photos'].map((name) => [
    name,
    new LocalEventBus({
      name,
      dataDir,
      account: '123456789012',
      deliver: (_arn, input) => {
        delivered.push({ bus: name, input });
      },
    }),
  ]),
);
for (const bus of buses.values()) {
  bus.putRule({
    name: 'everything',
    eventPattern: { source: [{ prefix: '' }] },
    targets: [{ id: 't', arn: 'arn:t' }],
  });
}

let server: Server;
let client: EventBridgeClient;

beforeAll(async () => {
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', async () => {
      const target = request.headers['x-amz-target'];
      const reply = await handleEventBridgeRequest(
        (name) => buses.get(name),
        Array.isArray(target) ? target[0] : target,
        Buffer.concat(chunks).toString('utf8'),
      );
      response.writeHead(reply.statusCode, reply.headers).end(reply.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  client = new EventBridgeClient({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
});

afterAll(async () => {
  client.destroy();
  await new Promise((resolve) => server.close(resolve));
  await Promise.all([...buses.values()].map((bus) => bus.drain()));
  rmSync(dataDir, { recursive: true, force: true });
});

beforeEach(() => {
  delivered.length = 0;
});

describe('handleEventBridgeRequest with the AWS SDK', () => {
  test('puts events on the buses named by name or ARN, keeping entry order', async () => {
    // Arrange
    const command = new PutEventsCommand({
      Entries: [
        { Source: 'app', DetailType: 'A', Detail: '{"n":1}' },
        {
          Source: 'app',
          DetailType: 'B',
          Detail: '{"n":2}',
          EventBusName: 'arn:aws:events:us-east-1:123456789012:event-bus/photos',
          Time: new Date('2024-02-03T04:05:06Z'),
        },
        { Source: 'app', DetailType: 'C', Detail: '{"n":3}', EventBusName: 'photos' },
      ],
    });
    // Act
    const response = await client.send(command);
    await Promise.all([...buses.values()].map((bus) => bus.drain()));
    // Assert
    expect(response.FailedEntryCount).toBe(0);
    expect(response.Entries).toHaveLength(3);
    const byBus = delivered.map(({ bus, input }) => [bus, JSON.parse(input)['detail-type']]);
    expect(byBus.sort()).toEqual([
      ['default', 'A'],
      ['photos', 'B'],
      ['photos', 'C'],
    ]);
    const timeOfB = buses
      .get('photos')
      ?.listArchivedEvents()
      .find((record) => record.event.id === response.Entries?.[1]?.EventId)?.event.time;
    expect(timeOfB).toBe('2024-02-03T04:05:06Z');
  });

  test('returns per-entry errors for a partially failed request', async () => {
    // Arrange
    const command = new PutEventsCommand({
      Entries: [
        { Source: 'app', DetailType: 'A', Detail: '{"ok":true}' },
        { Source: 'app', DetailType: 'A', Detail: 'not json' },
      ],
    });
    // Act
    const response = await client.send(command);
    // Assert
    expect(response.FailedEntryCount).toBe(1);
    expect(response.Entries?.[0]?.EventId).toBeDefined();
    expect(response.Entries?.[1]).toMatchObject({
      ErrorCode: 'MalformedDetail',
      ErrorMessage: 'Detail is malformed.',
    });
  });

  test('fails with ResourceNotFoundException when a bus does not exist', async () => {
    // Arrange
    const command = new PutEventsCommand({
      Entries: [{ Source: 'app', DetailType: 'A', Detail: '{}', EventBusName: 'nope' }],
    });
    // Act
    const sending = client.send(command);
    // Assert
    await expect(sending).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      message: 'Event bus nope does not exist.',
      $metadata: expect.objectContaining({ httpStatusCode: 400 }),
    });
  });

  test('fails with ValidationException for more than ten entries', async () => {
    // Arrange
    const command = new PutEventsCommand({
      Entries: Array.from({ length: 11 }, () => ({ Source: 'app', DetailType: 'A', Detail: '{}' })),
    });
    // Act
    const sending = client.send(command);
    // Assert
    await expect(sending).rejects.toMatchObject({ name: 'ValidationException' });
  });
});

describe('TestEventPattern with the AWS SDK', () => {
  const event = JSON.stringify({
    id: '1',
    account: '123456789012',
    source: 'photos.upload',
    time: '2024-01-01T00:00:00Z',
    region: 'us-east-1',
    'detail-type': 'Photo Uploaded',
    resources: [],
    detail: { size: 10 },
  });

  test('tells whether an event matches a pattern', async () => {
    // Arrange
    const matching = new TestEventPatternCommand({
      Event: event,
      EventPattern: '{"detail":{"size":[{"numeric":[">",5]}]}}',
    });
    const other = new TestEventPatternCommand({ Event: event, EventPattern: '{"source":["other"]}' });
    // Act
    const [yes, no] = await Promise.all([client.send(matching), client.send(other)]);
    // Assert
    expect(yes.Result).toBe(true);
    expect(no.Result).toBe(false);
  });

  test('fails with InvalidEventPatternException for an invalid pattern', async () => {
    // Arrange
    const command = new TestEventPatternCommand({ Event: event, EventPattern: '{"source":"photos.upload"}' });
    // Act
    const sending = client.send(command);
    // Assert
    await expect(sending).rejects.toMatchObject({ name: 'InvalidEventPatternException' });
  });
});

describe('handleEventBridgeRequest', () => {
  test('answers an unsupported operation with UnknownOperationException', async () => {
    // Act
    const reply = await handleEventBridgeRequest(() => undefined, 'AWSEvents.DeleteRule', '{}');
    // Assert
    expect(reply.statusCode).toBe(400);
    expect(JSON.parse(reply.body)).toMatchObject({ __type: 'UnknownOperationException' });
  });

  test('answers a body that is not JSON with SerializationException', async () => {
    // Act
    const reply = await handleEventBridgeRequest(() => undefined, 'AWSEvents.PutEvents', '{');
    // Assert
    expect(reply.statusCode).toBe(400);
    expect(JSON.parse(reply.body)).toMatchObject({ __type: 'SerializationException' });
  });

  test.each([
    [undefined, 'default'],
    ['photos', 'photos'],
    ['arn:aws:events:eu-west-1:123456789012:event-bus/photos', 'photos'],
  ])('reads the bus name from %s', (eventBusName, expected) => {
    // Act
    const name = busNameOf(eventBusName);
    // Assert
    expect(name).toBe(expected);
  });
});
