import { join } from 'node:path';
import { type FunctionDefinition, FunctionHost } from '../../../local/runtime/function-host';
import { functionFailure } from '../../../local/stepfunctions/resources';

const fixtures = join(__dirname, 'fixtures');

function definition(name: string, overrides: Partial<FunctionDefinition> = {}): FunctionDefinition {
  return {
    logicalId: `${name}Function`,
    functionName: `stack-${name}`,
    arn: `arn:aws:lambda:us-east-1:000000000000:function:stack-${name}`,
    entry: join(fixtures, `${name}.ts`),
    handlerExport: 'handler',
    environment: {},
    timeoutSeconds: 3,
    memoryMb: 128,
    ...overrides,
  };
}

describe('FunctionHost', () => {
  const host = new FunctionHost({ sharedEnvironment: { AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:4569' } });
  host.register(definition('echo', { environment: { GREETING: 'hello' } }));
  host.register(definition('fails'));
  host.register(definition('hangs', { timeoutSeconds: 0.2 }));

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

  it("gives a workflow task the handler's error as Lambda reports it: its type, message and own trace", async () => {
    const failure = await host.invoke('stack-fails', {}).catch((error: unknown) => error);

    const taskError = functionFailure(failure);
    const cause = JSON.parse(taskError.cause ?? '') as { trace: string[] };

    expect(taskError.error).toBe('PhotoTooSmallError');
    expect(cause).toEqual(JSON.parse((failure as { errorPayload: string }).errorPayload));
    expect(Object.keys(cause)).toEqual(['errorType', 'errorMessage', 'trace']);
    // The first frame is the handler's throw, not the function host catching it.
    expect(cause.trace[1]).toMatch(/^ {4}at .*fixtures[/\\]fails\.ts:\d+:\d+\)?$/);
  });

  it('times a function out as Sandbox.Timedout', async () => {
    await expect(host.invoke('stack-hangs', {})).rejects.toMatchObject({
      name: 'Sandbox.Timedout',
      errorMessage: 'Task timed out after 0.20 seconds',
    });
  });

  it('fails an invocation whose init throws, then initialises again once configured', async () => {
    const misconfigured = new FunctionHost({ sharedEnvironment: {} });
    misconfigured.register(definition('needs-config'));
    const configured = new FunctionHost({ sharedEnvironment: {} });
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
