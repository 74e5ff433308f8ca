/**
 * The runtime's services consult its AccessControl: a role session's key is verified and its
 * calls authorized by the local S3, DynamoDB and the services port, with the facts the runtime
 * knows (the state machine a task token's execution belongs to).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import type { Credentials, Principal } from '../../../local/iam';
import { type Runtime, startRuntime } from '../../../local/runtime/runtime';

jest.setTimeout(60_000);

async function rejectionOf(
  promise: Promise<unknown>,
): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to be refused');
}

describe('the runtime’s services with IAM enforced', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'runtime-iam-'));
  let runtime: Runtime;
  let role: Principal;
  let credentials: Credentials;
  let tableName: string;
  const config = (endpoint: string) => ({ region: 'us-east-1', endpoint, credentials, maxAttempts: 1 });

  beforeAll(async () => {
    runtime = await startRuntime({
      root: join(__dirname, 'project'),
      configEnvs: ['storage', 'flow'],
      dataDir,
    });
    const storage = runtime.stacks.find((stack) => stack.stackName === 'test-storage');
    tableName = String(storage?.resources.Table?.physicalId);
    // NotifyFunction's role may update and read the table and put events, nothing else.
    const notifyFunction = runtime.stacks
      .flatMap((stack) => Object.values(stack.resources))
      .find((resource) => resource.logicalId === 'NotifyFunction');
    role = runtime.access.principal('function', String(notifyFunction?.physicalId)) as Principal;
    credentials = runtime.access.credentialsFor(role);
  });

  afterAll(async () => {
    await runtime?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses a role’s PutItem at the DynamoDB endpoint while the administrator’s key may read', async () => {
    const put = new PutItemCommand({ TableName: tableName, Item: { pk: { S: 'a' }, sk: { S: 'b' } } });

    const error = await rejectionOf(new DynamoDBClient(config(runtime.endpoints.dynamodb)).send(put));
    const read = await new DynamoDBClient({}).send(
      new GetItemCommand({ TableName: tableName, Key: { pk: { S: 'a' }, sk: { S: 'b' } } }),
    );

    expect([error.name, error.$metadata?.httpStatusCode]).toEqual(['AccessDeniedException', 400]);
    expect(error.message).toContain(
      `User: ${role.sessionArn} is not authorized to perform: dynamodb:PutItem`,
    );
    expect(read.Item).toBeUndefined();
  });

  it('refuses a role’s PutObject at the S3 endpoint with AccessDenied', async () => {
    const bucket = String(
      runtime.stacks.find((stack) => stack.stackName === 'test-storage')?.resources.Uploads?.physicalId,
    );

    const error = await rejectionOf(
      new S3Client({ ...config(runtime.endpoints.s3), forcePathStyle: true }).send(
        new PutObjectCommand({ Bucket: bucket, Key: 'a.jpg', Body: 'x' }),
      ),
    );

    expect([error.name, error.$metadata?.httpStatusCode]).toEqual(['AccessDenied', 403]);
    expect(error.message).toContain(`s3:PutObject on resource: "arn:aws:s3:::${bucket}/a.jpg"`);
  });

  it('refuses a role’s SendTaskSuccess on the state machine whose execution holds the token', async () => {
    const approval = String(
      runtime.stacks.find((stack) => stack.stackName === 'test-flow')?.resources.ApprovalFlow?.physicalId,
    );
    runtime.engine.startExecution({ stateMachineArn: approval, input: '{}' });
    const admin = new DynamoDBClient({});
    const deadline = Date.now() + 15_000;
    let token: string | undefined;
    while (!token && Date.now() < deadline) {
      const stored = await admin.send(
        new GetItemCommand({ TableName: tableName, Key: { pk: { S: 'APPROVAL' }, sk: { S: 'TOKEN' } } }),
      );
      token = stored.Item?.token?.S;
      if (!token) await new Promise((resolve) => setTimeout(resolve, 50));
    }

    const error = await rejectionOf(
      new SFNClient(config(runtime.endpoints.services)).send(
        new SendTaskSuccessCommand({ taskToken: String(token), output: '{}' }),
      ),
    );

    expect([error.name, error.$metadata?.httpStatusCode]).toEqual(['AccessDeniedException', 400]);
    expect(error.message).toContain(`states:SendTaskSuccess on resource: ${approval} because`);
  });
});
