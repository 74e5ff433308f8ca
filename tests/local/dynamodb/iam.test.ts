/**
 * DynamoDB with the services' IAM guard in front of dynalite (as the runtime starts it): role
 * sessions' signatures verified, each operation authorized on its table or index.
 */
import fs from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  CreateTableCommand,
  DynamoDBClient,
  type DynamoDBServiceException,
  GetItemCommand,
  ListTablesCommand,
  PutItemCommand,
  QueryCommand,
} from '@aws-sdk/client-dynamodb';
import { createDynalite } from '../../../local/dynamodb/dynalite';
import type { Credentials } from '../../../local/iam';
import { guardServer } from '../../../local/services';
import { ACCOUNT_ID, type AccessFixture, ADMIN, accessFixture, REGION, TABLE } from '../iam/access-fixture';

interface Running {
  endpoint: string;
  fixture: AccessFixture;
  client(credentials: Credentials): DynamoDBClient;
  close(): Promise<void>;
}

async function start(options: { enforce?: boolean } = {}): Promise<Running> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dynamodb-iam-'));
  const fixture = accessFixture(dataDir, options);
  const server: Server = createDynalite({ createTableMs: 0 });
  guardServer(server, {
    access: fixture.access,
    region: REGION,
    accountId: ACCOUNT_ID,
    log: () => undefined,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clients: DynamoDBClient[] = [];
  const client = (credentials: Credentials) => {
    const created = new DynamoDBClient({ region: REGION, endpoint, credentials, maxAttempts: 1 });
    clients.push(created);
    return created;
  };
  await client(ADMIN).send(
    new CreateTableCommand({
      TableName: TABLE,
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'user', AttributeType: 'S' },
      ],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'ByUser',
          KeySchema: [{ AttributeName: 'user', KeyType: 'HASH' }],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  await client(ADMIN).send(
    new PutItemCommand({ TableName: TABLE, Item: { pk: { S: 'place-1' }, user: { S: 'user-1' } } }),
  );
  return {
    endpoint,
    fixture,
    client,
    async close() {
      for (const created of clients) created.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function rejectionOf(promise: Promise<unknown>): Promise<DynamoDBServiceException> {
  try {
    await promise;
  } catch (error) {
    return error as DynamoDBServiceException;
  }
  throw new Error('expected the call to be refused');
}

const tableArn = `arn:aws:dynamodb:${REGION}:${ACCOUNT_ID}:table/${TABLE}`;

describe('local DynamoDB with IAM enforced', () => {
  let running: Running;

  beforeAll(async () => {
    running = await start();
  });
  afterAll(() => running.close());

  it('lets a role with DynamoDBReadPolicy get an item and query an index of its table', async () => {
    const reader = running.client(running.fixture.readerCredentials);

    const item = await reader.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: 'place-1' } } }));
    const byUser = await reader.send(
      new QueryCommand({
        TableName: TABLE,
        IndexName: 'ByUser',
        KeyConditionExpression: '#user = :user',
        ExpressionAttributeNames: { '#user': 'user' },
        ExpressionAttributeValues: { ':user': { S: 'user-1' } },
      }),
    );

    expect(item.Item?.user).toEqual({ S: 'user-1' });
    expect(byUser.Count).toBe(1);
  });

  it('refuses a PutItem the role has no statement for with AccessDeniedException 400 naming principal, action and table', async () => {
    const error = await rejectionOf(
      running
        .client(running.fixture.readerCredentials)
        .send(new PutItemCommand({ TableName: TABLE, Item: { pk: { S: 'place-2' } } })),
    );

    expect(error.name).toBe('AccessDeniedException');
    expect(error.$metadata.httpStatusCode).toBe(400);
    expect(error.message).toBe(
      `User: ${running.fixture.reader.sessionArn} is not authorized to perform: dynamodb:PutItem on resource: ${tableArn} because no identity-based policy allows the dynamodb:PutItem action`,
    );
  });

  it('refuses a Query on an index to a role without dynamodb:Query on the index ARN', async () => {
    const error = await rejectionOf(
      running.client(running.fixture.nobodyCredentials).send(
        new QueryCommand({
          TableName: TABLE,
          IndexName: 'ByUser',
          KeyConditionExpression: '#user = :user',
          ExpressionAttributeNames: { '#user': 'user' },
          ExpressionAttributeValues: { ':user': { S: 'user-1' } },
        }),
      ),
    );

    expect(error.name).toBe('AccessDeniedException');
    expect(error.message).toContain(`dynamodb:Query on resource: ${tableArn}/index/ByUser`);
  });

  it('refuses an unknown key, a wrong secret and a missing session token as DynamoDB does', async () => {
    const get = new GetItemCommand({ TableName: TABLE, Key: { pk: { S: 'place-1' } } });
    const { sessionToken: _token, ...withoutToken } = running.fixture.readerCredentials;

    const unknown = await rejectionOf(
      running.client({ accessKeyId: 'AKIDNOBODYGAVE', secretAccessKey: 'x' }).send(get),
    );
    const wrongSecret = await rejectionOf(
      running.client({ ...running.fixture.readerCredentials, secretAccessKey: 'not-the-secret' }).send(get),
    );
    const noToken = await rejectionOf(running.client(withoutToken).send(get));

    expect([unknown.name, unknown.$metadata.httpStatusCode, unknown.message]).toEqual([
      'UnrecognizedClientException',
      400,
      'The security token included in the request is invalid.',
    ]);
    expect([wrongSecret.name, wrongSecret.$metadata.httpStatusCode]).toEqual([
      'InvalidSignatureException',
      400,
    ]);
    expect(noToken.name).toBe('UnrecognizedClientException');
  });

  it('refuses a role an operation the local IAM has no mapping for, saying so', async () => {
    const error = await rejectionOf(
      running.client(running.fixture.readerCredentials).send(new ListTablesCommand({})),
    );

    expect(error.name).toBe('AccessDeniedException');
    expect(error.message).toBe(
      'The local IAM cannot authorize this call: dynamodb:ListTables has no authorization mapping in local/iam',
    );
  });

  it('refuses a request without an Authorization header with MissingAuthenticationTokenException', async () => {
    const response = await fetch(`${running.endpoint}/`, {
      method: 'POST',
      headers: {
        'x-amz-target': 'DynamoDB_20120810.ListTables',
        'content-type': 'application/x-amz-json-1.0',
      },
      body: '{}',
    });

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      __type: 'MissingAuthenticationTokenException',
      message: 'Request is missing Authentication Token',
    });
  });
});

describe('local DynamoDB with IAM enforcement off', () => {
  let running: Running;

  beforeAll(async () => {
    running = await start({ enforce: false });
  });
  afterAll(() => running.close());

  it('lets a role make an operation the local IAM has no mapping for', async () => {
    const tables = await running.client(running.fixture.nobodyCredentials).send(new ListTablesCommand({}));

    expect(tables.TableNames).toEqual([TABLE]);
  });

  it('lets a role write an item its policy does not allow, and still refuses a wrong secret', async () => {
    const put = new PutItemCommand({ TableName: TABLE, Item: { pk: { S: 'place-3' } } });

    const written = await running.client(running.fixture.nobodyCredentials).send(put);
    const wrongSecret = await rejectionOf(
      running.client({ ...running.fixture.nobodyCredentials, secretAccessKey: 'not-the-secret' }).send(put),
    );

    expect(written.$metadata.httpStatusCode).toBe(200);
    expect(wrongSecret.name).toBe('InvalidSignatureException');
  });
});
