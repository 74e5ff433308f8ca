import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import type { LocalEventBus } from '../../../local/eventbridge';
import { type Runtime, startRuntime } from '../../../local/runtime/runtime';

const project = join(__dirname, 'project');
const uploadId = '0192f3a0-7b1c-7d2e-8f3a-4b5c6d7e8f90';

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function start(dataDir: string, previous?: Runtime): Promise<Runtime> {
  const port = (endpoint: string) => Number(new URL(endpoint).port);
  return startRuntime({
    root: project,
    configEnvs: ['storage', 'flow'],
    dataDir,
    ...(previous
      ? {
          ports: {
            s3: port(previous.endpoints.s3),
            dynamodb: port(previous.endpoints.dynamodb),
            services: port(previous.endpoints.services),
          },
        }
      : {}),
  });
}

function resource(runtime: Runtime, stack: string, logicalId: string): string {
  const found = runtime.stacks.find((candidate) => candidate.stackName === stack)?.resources[logicalId];
  if (!found) throw new Error(`${stack}/${logicalId} not found`);
  return String(found.physicalId);
}

async function post(url: string, fields: Record<string, string>, body: Buffer, type = 'image/jpeg') {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  form.append('file', new Blob([body], { type }), 'photo.jpg');
  const response = await fetch(url, { method: 'POST', body: form });
  return { status: response.status, text: await response.text() };
}

jest.setTimeout(60_000);

describe('local runtime', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'runtime-test-'));
  let runtime: Runtime;
  let items: DynamoDBDocumentClient;
  let tableName: string;

  beforeAll(async () => {
    runtime = await start(dataDir);
    items = DynamoDBDocumentClient.from(new DynamoDBClient({}));
    tableName = resource(runtime, 'test-storage', 'Table');
  });

  afterAll(async () => {
    await runtime?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const item = (pk: string, sk: string) =>
    items.send(new GetCommand({ TableName: tableName, Key: { pk, sk } })).then((result) => result.Item);

  /** A presigned POST for one upload, after the PENDING record an upload ticket writes (the notifier only announces ticketed uploads). */
  async function ticketFor(id: string) {
    await items.send(
      new PutCommand({
        TableName: tableName,
        Item: { pk: `UPLOAD#${id}`, sk: 'UPLOAD', uploadId: id, placeId: 'ChIJ-park', status: 'PENDING' },
      }),
    );
    return createPresignedPost(new S3Client({}), {
      Bucket: resource(runtime, 'test-storage', 'Uploads'),
      Key: `ChIJ-park/${id}.jpg`,
      Conditions: [['content-length-range', 1, 1024]],
      Fields: { 'Content-Type': 'image/jpeg' },
      Expires: 60,
    });
  }

  it('runs upload → notification → event → rule → execution → function → DynamoDB from the templates', async () => {
    const ticket = await ticketFor(uploadId);

    const upload = await post(ticket.url, ticket.fields, Buffer.from('fake jpeg bytes'));

    expect(upload.status).toBe(204);
    await until('the notifier to mark the upload PROCESSING', async () =>
      (await item(`UPLOAD#${uploadId}`, 'UPLOAD'))?.status === 'PROCESSING' ? true : undefined,
    );
    const recorded = await until('the function to record the upload', () =>
      item(`UPLOAD#${uploadId}`, 'RECORDED'),
    );
    expect(recorded).toMatchObject({ key: `ChIJ-park/${uploadId}.jpg`, size: 15 });
    await until('the DynamoDB integration to mark it', () => item(`UPLOAD#${uploadId}`, 'PROCESSED'));
  });

  it('refuses uploads the presigned POST policy does not allow, with S3-style errors', async () => {
    const s3 = new S3Client({});
    const bucket = resource(runtime, 'test-storage', 'Uploads');
    const sign = (expires = 60) =>
      createPresignedPost(s3, {
        Bucket: bucket,
        Key: 'ChIJ-park/refused.jpg',
        Conditions: [['content-length-range', 1, 16]],
        Fields: { 'Content-Type': 'image/jpeg' },
        Expires: expires,
      });
    const good = await sign();
    const expired = await sign(-1);
    const tampered = { ...good.fields };
    const policy = JSON.parse(Buffer.from(tampered.Policy ?? '', 'base64').toString('utf8'));
    policy.conditions[0] = ['content-length-range', 1, 10_000_000];
    tampered.Policy = Buffer.from(JSON.stringify(policy)).toString('base64');

    const tooLarge = await post(good.url, good.fields, Buffer.alloc(17));
    const wrongType = await post(
      good.url,
      { ...good.fields, 'Content-Type': 'image/png' },
      Buffer.alloc(4),
      'image/png',
    );
    const late = await post(expired.url, expired.fields, Buffer.alloc(4));
    const forged = await post(good.url, tampered, Buffer.alloc(17));

    expect(tooLarge).toMatchObject({
      status: 400,
      text: expect.stringContaining('<Code>EntityTooLarge</Code>'),
    });
    expect(wrongType).toMatchObject({
      status: 403,
      text: expect.stringContaining('<Code>AccessDenied</Code>'),
    });
    expect(late).toMatchObject({ status: 403, text: expect.stringContaining('Policy expired') });
    expect(forged).toMatchObject({
      status: 403,
      text: expect.stringContaining('<Code>SignatureDoesNotMatch</Code>'),
    });
  });

  it('delivers the InputTransformer output of a SAM EventBridgeRule event to its function', async () => {
    const bus = runtime.buses.get(resource(runtime, 'test-storage', 'Bus')) as LocalEventBus;

    await bus.putEvents([{ Source: 'happy-path.notes', DetailType: 'noted', Detail: '{"note":"hello"}' }]);

    const noted = await until('the function to record the note', () => item('NOTE', 'hello'));
    expect(noted).toMatchObject({ rule: 'NoteFunctionNoted' });
  });

  it("leaves a failing handler to Lambda's async retries, not the rule's RetryPolicy of 185", async () => {
    const bus = runtime.buses.get(resource(runtime, 'test-storage', 'Bus')) as LocalEventBus;
    const invoke = jest.spyOn(runtime.functions, 'invoke');

    await bus.putEvents([{ Source: 'happy-path.notes', DetailType: 'noted', Detail: '{"note":"fail"}' }]);

    const calls = () =>
      invoke.mock.calls.filter(([target]) => String(target).includes('NoteFunction')).length;
    await until('Lambda to retry twice', async () => (calls() === 3 ? true : undefined));
    await Promise.allSettled(invoke.mock.results.map((result) => result.value));
    await bus.drain();
    const attempts = calls();
    invoke.mockRestore();

    expect(attempts).toBe(3);
    expect(existsSync(join(dataDir, 'dead-letters'))).toBe(false);
  });

  it("retries an S3 notification's function as Lambda retries an asynchronous invocation", async () => {
    const retriedId = '0192f3a0-7b1c-7d2e-8f3a-4b5c6d7e8f77';
    const invoke = jest.spyOn(runtime.functions, 'invoke');
    const notifier = (target: unknown) => String(target).includes('NotifyFunction');
    invoke.mockImplementationOnce(async (target) => {
      if (notifier(target)) throw Object.assign(new Error('a passing failure'), { name: 'Transient' });
      throw new Error(`unexpected first invocation of ${String(target)}`);
    });
    const ticket = await ticketFor(retriedId);

    const upload = await post(ticket.url, ticket.fields, Buffer.from('fake jpeg bytes'));

    expect(upload.status).toBe(204);
    await until('the retried notifier to mark the upload PROCESSING', async () =>
      (await item(`UPLOAD#${retriedId}`, 'UPLOAD'))?.status === 'PROCESSING' ? true : undefined,
    );
    const notifierCalls = invoke.mock.calls.filter(([target]) => notifier(target)).length;
    invoke.mockRestore();
    expect(notifierCalls).toBe(2);
  });

  it('refuses a second runtime on a data directory in use, naming the process that holds it', async () => {
    await expect(start(dataDir)).rejects.toThrow(
      new RegExp(`data directory .* is in use by another local runtime: pid ${process.pid}`),
    );
  });

  it('lets an upload that landed just before a stop finish its notification, event and execution first', async () => {
    const stoppedId = '0192f3a0-7b1c-7d2e-8f3a-4b5c6d7e8f55';
    const ticket = await ticketFor(stoppedId);
    const upload = await post(ticket.url, ticket.fields, Buffer.from('fake jpeg bytes'));

    await runtime.close();
    runtime = await start(dataDir, runtime);

    expect(upload.status).toBe(204);
    expect(await item(`UPLOAD#${stoppedId}`, 'RECORDED')).toMatchObject({
      key: `ChIJ-park/${stoppedId}.jpg`,
    });
    expect(await item(`UPLOAD#${stoppedId}`, 'PROCESSED')).toBeDefined();
  });

  it('resumes an execution waiting on a task token after a restart', async () => {
    const approvalArn = resource(runtime, 'test-flow', 'ApprovalFlow');
    const { executionArn } = runtime.engine.startExecution({ stateMachineArn: approvalArn, input: '{}' });
    const waiting = await until('the task token to be stored', () => item('APPROVAL', 'TOKEN'));

    await runtime.close();
    runtime = await start(dataDir, runtime);
    runtime.engine.sendTaskSuccess(String(waiting.token), JSON.stringify({ approver: 'dpo@example.com' }));
    const done = await runtime.engine.waitForExecution(executionArn, { timeoutMs: 10_000 });

    expect(done).toMatchObject({ status: 'SUCCEEDED' });
    expect(await item('APPROVAL', 'DECISION')).toMatchObject({ approver: 'dpo@example.com' });
  });
});
