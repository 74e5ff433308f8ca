import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FunctionDefinition, FunctionHost } from '../../../local/runtime/function-host';
import { functionFailure } from '../../../local/stepfunctions/resources';

const root = join(__dirname, '..', '..', '..');
const fixtures = join(__dirname, 'fixtures');
const cacheDir = mkdtempSync(join(tmpdir(), 'function-host-'));

function definition(
  name: string,
  overrides: Partial<FunctionDefinition> & { entry?: string } = {},
): FunctionDefinition {
  const { entry = name, ...rest } = overrides;
  return {
    logicalId: `${name}Function`,
    functionName: `stack-${name}`,
    arn: `arn:aws:lambda:us-east-1:000000000000:function:stack-${name}`,
    codeUri: fixtures,
    build: { EntryPoints: [`${entry}.ts`], External: ['@aws-sdk/*', 'sharp'], Sourcemap: true },
    handler: `${entry}.handler`,
    environment: { NODE_OPTIONS: '--enable-source-maps' },
    timeoutSeconds: 3,
    memoryMb: 128,
    ...rest,
  };
}

const hosts: FunctionHost[] = [];
function newHost(options: Partial<ConstructorParameters<typeof FunctionHost>[0]> = {}): FunctionHost {
  const host = new FunctionHost({ sharedEnvironment: {}, cacheDir, packageRoot: root, ...options });
  hosts.push(host);
  return host;
}

afterAll(async () => {
  await Promise.all(hosts.map((host) => host.close()));
  rmSync(cacheDir, { recursive: true, force: true });
});

describe('FunctionHost', () => {
  const lines: string[] = [];
  const host = newHost({
    sharedEnvironment: { AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:4569' },
    log: (line) => lines.push(line),
    output: (line) => lines.push(line),
  });
  host.register(definition('echo', { environment: { GREETING: 'hello' } }));
  host.register(definition('fails'));
  host.register(definition('hangs', { timeoutSeconds: 0.2 }));
  host.register(definition('counterA', { entry: 'counter' }));
  host.register(definition('counterB', { entry: 'counter' }));
  host.register(definition('loops', { timeoutSeconds: 1 }));
  host.register(definition('hoards-memory', { memoryMb: 128, timeoutSeconds: 30 }));
  host.register(definition('exits'));
  host.register(definition('sees-environment'));
  host.register(definition('logs'));
  host.register(definition('sees-node', { memoryMb: 512 }));

  it('runs a function with the environment its template declares, read at init', async () => {
    const result = await host.invoke('stack-echo', { photo: 1 });

    expect(result).toEqual({
      event: { photo: 1 },
      greeting: 'hello',
      functionName: 'stack-echo',
      endpoint: 'http://127.0.0.1:4569',
    });
    expect(process.env.GREETING).toBeUndefined();
  });

  it('finds a function by ARN, with or without a qualifier', async () => {
    const arn = 'arn:aws:lambda:us-east-1:000000000000:function:stack-echo';

    await expect(host.invoke(arn, {})).resolves.toMatchObject({ functionName: 'stack-echo' });
    await expect(host.invoke(`${arn}:$LATEST`, {})).resolves.toMatchObject({ functionName: 'stack-echo' });
  });

  it('passes payloads across a JSON boundary, as Lambda does', async () => {
    const result = (await host.invoke('stack-echo', { when: new Date(0), missing: undefined })) as {
      event: unknown;
    };

    expect(result.event).toEqual({ when: '1970-01-01T00:00:00.000Z' });
  });

  it('reports a thrown error with its name as errorType and a Lambda-shaped cause', async () => {
    const failure = await host.invoke('stack-fails', {}).catch((error: unknown) => error);

    expect(failure).toMatchObject({ name: 'PhotoTooSmallError', errorMessage: 'The photo is 10x10' });
    expect(JSON.parse((failure as { errorPayload: string }).errorPayload)).toMatchObject({
      errorType: 'PhotoTooSmallError',
      errorMessage: 'The photo is 10x10',
    });
  });

  it("gives a workflow task the handler's error as Lambda reports it: its type, message and source-mapped trace", async () => {
    const failure = await host.invoke('stack-fails', {}).catch((error: unknown) => error);

    const taskError = functionFailure(failure);
    const cause = JSON.parse(taskError.cause ?? '') as { trace: string[] };

    expect(taskError.error).toBe('PhotoTooSmallError');
    expect(cause).toEqual(JSON.parse((failure as { errorPayload: string }).errorPayload));
    expect(Object.keys(cause)).toEqual(['errorType', 'errorMessage', 'trace']);
    // The first frame is the handler's throw, mapped back to its source by --enable-source-maps.
    expect(cause.trace[1]).toMatch(/^ {4}at .*fixtures[/\\]fails\.ts:\d+:\d+\)?$/);
  });

  it('times a function out as Sandbox.Timedout', async () => {
    await expect(host.invoke('stack-hangs', {})).rejects.toMatchObject({
      name: 'Sandbox.Timedout',
      errorMessage: 'Task timed out after 0.20 seconds',
    });
  });

  it('keeps module state per function: two functions with the same code count separately', async () => {
    const first = await host.invoke('stack-counterA', {});
    const other = await host.invoke('stack-counterB', {});
    const second = await host.invoke('stack-counterA', {});

    expect(first).toMatchObject({ invocations: 1 });
    expect(other).toMatchObject({ invocations: 1 });
    expect(second).toMatchObject({ invocations: 2, pid: (first as { pid: number }).pid });
  });

  it('stops a looping handler at its Timeout and answers the next call from a new environment', async () => {
    const before = lines.filter((line) =>
      line.includes('loopsFunction: cold start in a new environment'),
    ).length;

    await expect(host.invoke('stack-loops', { loop: true })).rejects.toMatchObject({
      name: 'Sandbox.Timedout',
      errorMessage: 'Task timed out after 1.00 seconds',
    });
    await expect(host.invoke('stack-loops', {})).resolves.toMatchObject({ answered: true });

    expect(
      lines.filter((line) => line.includes('loopsFunction: cold start in a new environment')),
    ).toHaveLength(before + 2);
  });

  it('fails an invocation that outgrows MemorySize with Runtime.OutOfMemory and discards the environment', async () => {
    await expect(host.invoke('stack-hoards-memory', {})).rejects.toMatchObject({
      name: 'Runtime.OutOfMemory',
      errorMessage: expect.stringMatching(
        /^RequestId: [0-9a-f-]+ Error: Runtime exited with error: signal: killed$/,
      ),
    });
    expect(host.environmentCount('stack-hoards-memory')).toBe(0);
  });

  it("starts node as Lambda's bootstrap does: gc exposed, 80 KiB headers, a tenth of MemorySize for the young generation", async () => {
    const started = (await host.invoke('stack-sees-node', {})) as Record<string, unknown>;

    // 512 MB: 461 MB old generation and 25 MB per semi-space, of which V8 counts three in its limit
    // (rounded up to 32 MB).
    expect(started).toMatchObject({ gc: 'function', maxHeaderSize: 81920 });
    expect(started.heapLimitMb).toBeGreaterThanOrEqual(461 + 3 * 25);
    expect(started.heapLimitMb).toBeLessThanOrEqual(461 + 3 * 32);
  });

  it('fails an invocation whose runtime exits with Runtime.ExitError', async () => {
    await expect(host.invoke('stack-exits', {})).rejects.toMatchObject({
      name: 'Runtime.ExitError',
      errorMessage: expect.stringMatching(/Runtime exited with error: exit status 3$/),
    });
    expect(host.environmentCount('stack-exits')).toBe(0);
  });

  it("shows a function Lambda's reserved variables but not the runtime's own environment", async () => {
    process.env.RUNTIME_ONLY_SETTING = 'secret';
    try {
      await expect(host.invoke('stack-sees-environment', { name: 'RUNTIME_ONLY_SETTING' })).resolves.toEqual({
        value: null,
      });
      await expect(
        host.invoke('stack-sees-environment', { name: 'AWS_LAMBDA_FUNCTION_NAME' }),
      ).resolves.toEqual({
        value: 'stack-sees-environment',
      });
      await expect(host.invoke('stack-sees-environment', { name: '_HANDLER' })).resolves.toEqual({
        value: 'sees-environment.handler',
      });
    } finally {
      delete process.env.RUNTIME_ONLY_SETTING;
    }
  });

  it("gives a function its role session's credentials, over the shared key and the template's variables", async () => {
    // Arrange
    const withRole = newHost({
      sharedEnvironment: { AWS_ACCESS_KEY_ID: 'ADMINKEY', AWS_SECRET_ACCESS_KEY: 'admin-secret' },
    });
    withRole.register(
      definition('sees-environment', {
        environment: { AWS_ACCESS_KEY_ID: 'FROMTEMPLATE' },
        credentials: { accessKeyId: 'ASIAROLE', secretAccessKey: 'role-secret', sessionToken: 'role-token' },
      }),
    );
    const read = async (name: string) =>
      ((await withRole.invoke('stack-sees-environment', { name })) as { value: string | null }).value;
    // Act
    const seen = [
      await read('AWS_ACCESS_KEY_ID'),
      await read('AWS_SECRET_ACCESS_KEY'),
      await read('AWS_SESSION_TOKEN'),
    ];
    // Assert
    expect(seen).toEqual(['ASIAROLE', 'role-secret', 'role-token']);
  });

  it("prefixes a function's log lines with its name, and Powertools logs its name, request id and cold start", async () => {
    await host.invoke('stack-logs', {});
    await host.invoke('stack-logs', {});

    // Output travels on the environment's stdout, the result over IPC: the lines may come a little later.
    const jsonLines = () => lines.filter((line) => line.startsWith('logsFunction | {'));
    for (const deadline = Date.now() + 5_000; jsonLines().length < 2 && Date.now() < deadline; ) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const logged = jsonLines().map(
      (line) => JSON.parse(line.slice('logsFunction | '.length)) as Record<string, unknown>,
    );
    expect(logged).toHaveLength(2);
    expect(logged.map((line) => line.cold_start)).toEqual([true, false]);
    expect(logged[0]).toMatchObject({ function_name: 'stack-logs', message: 'Handled' });
    expect(logged[0]?.function_request_id).not.toEqual(logged[1]?.function_request_id);
  });

  it('fails an invocation whose init throws, then initialises again once configured', async () => {
    const misconfigured = newHost();
    misconfigured.register(definition('needs-config'));
    const configured = newHost();
    configured.register(definition('needs-config', { environment: { REQUIRED_SETTING: 'yes' } }));

    await expect(misconfigured.invoke('stack-needs-config', {})).rejects.toMatchObject({
      name: 'ConfigError',
    });
    await expect(configured.invoke('stack-needs-config', {})).resolves.toBe('configured');
  });

  it('answers ResourceNotFoundException for an unknown function', async () => {
    await expect(host.invoke('nope', {})).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });
});

describe('FunctionHost concurrency', () => {
  it('runs concurrent invocations of one function in separate environments', async () => {
    const host = newHost({ concurrency: 2 });
    host.register(definition('waits'));

    const [first, second] = (await Promise.all([
      host.invoke('stack-waits', { ms: 300 }),
      host.invoke('stack-waits', { ms: 300 }),
    ])) as Array<{ pid: number }>;

    expect(first?.pid).not.toBe(second?.pid);
    expect(host.environmentCount('stack-waits')).toBe(2);
  });

  it('throttles a synchronous invocation with TooManyRequestsException when no slot frees in time', async () => {
    const host = newHost({ concurrency: 1, syncQueueMs: 50 });
    host.register(definition('waits'));

    const results = await Promise.allSettled([
      host.invoke('stack-waits', { ms: 1000 }),
      host.invoke('stack-waits', { ms: 1000 }),
    ]);

    expect(results.map((result) => result.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(results.find((result) => result.status === 'rejected')).toMatchObject({
      reason: { name: 'TooManyRequestsException', statusCode: 429 },
    });
  });

  it('queues asynchronous invocations beyond the concurrency until a slot frees', async () => {
    const host = newHost({ concurrency: 1, syncQueueMs: 50 });
    host.register(definition('waits'));

    const results = await Promise.all([
      host.invoke('stack-waits', { ms: 200 }, 'async'),
      host.invoke('stack-waits', { ms: 200 }, 'async'),
      host.invoke('stack-waits', { ms: 200 }, 'async'),
    ]);

    expect(results).toHaveLength(3);
    expect(host.environmentCount('stack-waits')).toBe(1);
  });

  it('holds a function to its ReservedConcurrentExecutions while others still run', async () => {
    const host = newHost({ concurrency: 4, syncQueueMs: 50 });
    host.register(definition('waits', { reservedConcurrency: 1 }));
    host.register(definition('echo'));

    const results = await Promise.allSettled([
      host.invoke('stack-waits', { ms: 1000 }),
      host.invoke('stack-waits', { ms: 1000 }),
      host.invoke('stack-echo', {}),
    ]);

    expect(results[2]?.status).toBe('fulfilled');
    expect(results.filter((result) => result.status === 'rejected')).toHaveLength(1);
  });

  it('throttles every invocation of a function whose ReservedConcurrentExecutions is 0', async () => {
    const host = newHost();
    host.register(definition('echo', { reservedConcurrency: 0 }));

    await expect(host.invoke('stack-echo', {})).rejects.toMatchObject({ name: 'TooManyRequestsException' });
  });
});
