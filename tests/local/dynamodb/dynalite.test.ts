/**
 * The dynalite iterator fix: every Query and Scan opens a LevelDB iterator, which must be closed
 * (detached from the database's resources) once the request is answered, however many requests
 * run. Open iterators are counted through abstract-level's attach/detach of resources. And the
 * bounded LevelDB caches of the on-disk database.
 */
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  DynamoDBClient,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { createDynalite, LEVELDB_MEMORY } from '../../../local/dynamodb/dynalite';

type Resource = object;
interface AbstractLevelPrototype {
  attachResource(resource: Resource): void;
  detachResource(resource: Resource): void;
}

const { AbstractLevel, AbstractIterator } = require('abstract-level') as {
  AbstractLevel: { prototype: AbstractLevelPrototype };
  AbstractIterator: { prototype: object };
};
const iteratorBase = Object.getPrototypeOf(AbstractIterator.prototype) as object;
const openIterators = new Set<Resource>();
const { attachResource, detachResource } = AbstractLevel.prototype;

/** Creates a table and waits until dynalite reports it ACTIVE (it answers CREATING first, even at createTableMs 0). */
async function createActiveTable(dynamodb: DynamoDBClient, input: CreateTableCommandInput): Promise<void> {
  await dynamodb.send(new CreateTableCommand(input));
  const deadline = Date.now() + 10_000;
  for (;;) {
    const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: input.TableName }));
    if (Table?.TableStatus === 'ACTIVE') return;
    if (Date.now() > deadline) throw new Error(`table ${input.TableName} is still ${Table?.TableStatus}`);
    await new Promise((tick) => setTimeout(tick, 10));
  }
}

const server = createDynalite({ createTableMs: 0 });
let client: DynamoDBClient;

beforeAll(async () => {
  AbstractLevel.prototype.attachResource = function (resource) {
    if (Object.prototype.isPrototypeOf.call(iteratorBase, resource)) openIterators.add(resource);
    attachResource.call(this, resource);
  };
  AbstractLevel.prototype.detachResource = function (resource) {
    openIterators.delete(resource);
    detachResource.call(this, resource);
  };
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  client = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  await createActiveTable(client, {
    TableName: 'places',
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
  });
  for (let index = 0; index < 20; index++) {
    await client.send(
      new PutItemCommand({
        TableName: 'places',
        Item: { pk: { S: 'PLACE' }, sk: { S: `place-${String(index).padStart(2, '0')}` } },
      }),
    );
  }
});

afterAll(async () => {
  AbstractLevel.prototype.attachResource = attachResource;
  AbstractLevel.prototype.detachResource = detachResource;
  client.destroy();
  server.closeAllConnections();
  await new Promise((closed) => server.close(closed));
});

async function openIteratorsOnceSettled(): Promise<number> {
  const deadline = Date.now() + 5000;
  while (openIterators.size > 0 && Date.now() < deadline) {
    await new Promise((tick) => setTimeout(tick, 20));
  }
  return openIterators.size;
}

describe('dynalite with the iterator fix', () => {
  it('leaves no LevelDB iterator open after 60 Queries and Scans, whole or limited', async () => {
    for (let round = 0; round < 20; round++) {
      const all = await client.send(
        new QueryCommand({
          TableName: 'places',
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': { S: 'PLACE' } },
        }),
      );
      expect(all.Count).toBe(20);
      const firstPage = await client.send(
        new QueryCommand({
          TableName: 'places',
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': { S: 'PLACE' } },
          Limit: 5,
        }),
      );
      expect(firstPage.Count).toBe(5);
      const scan = await client.send(new ScanCommand({ TableName: 'places' }));
      expect(scan.Count).toBe(20);
    }

    expect(await openIteratorsOnceSettled()).toBe(0);
  });
});

describe('dynalite on disk with bounded LevelDB memory', () => {
  it('flushes its write buffer to a table file once about 1 MB is written (LevelDB keeps 4 MB by default)', async () => {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'dynalite-memory-'));
    const onDisk = createDynalite({ path: path.join(directory, 'db'), createTableMs: 0 });
    await new Promise<void>((listening) => onDisk.listen(0, '127.0.0.1', listening));
    const writer = new DynamoDBClient({
      endpoint: `http://127.0.0.1:${(onDisk.address() as AddressInfo).port}`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const tableFiles = () =>
      fs.readdirSync(path.join(directory, 'db')).filter((name) => name.endsWith('.ldb'));
    try {
      await createActiveTable(writer, {
        TableName: 'blobs',
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      });
      // 2 MB of items: twice the bounded write buffer, half of classic-level's default.
      for (let index = 0; index < 8; index++) {
        await writer.send(
          new PutItemCommand({
            TableName: 'blobs',
            Item: { pk: { S: `blob-${index}` }, data: { S: String(index).repeat(256 * 1024) } },
          }),
        );
      }
      const deadline = Date.now() + 5000;
      while (tableFiles().length === 0 && Date.now() < deadline) {
        await new Promise((tick) => setTimeout(tick, 20));
      }

      expect(LEVELDB_MEMORY.writeBufferSize).toBe(1024 * 1024);
      expect(tableFiles().length).toBeGreaterThan(0);
    } finally {
      writer.destroy();
      onDisk.closeAllConnections();
      await new Promise((closed) => onDisk.close(closed));
      fs.rmSync(directory, { recursive: true, force: true });
    }
  });
});
