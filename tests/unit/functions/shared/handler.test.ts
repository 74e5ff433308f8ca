import type { Context } from 'aws-lambda';

/**
 * The one handler convention (functions/shared/handler.ts) as CloudWatch sees it: the JSON lines
 * the Powertools Logger writes to stdout, over invocations of one warm function.
 */
type Line = Record<string, unknown>;
type HandlerModule = typeof import('#shared/handler');
type LoggerModule = typeof import('#shared/logger');

const saved = { ...process.env };
let modules: { handler: HandlerModule; logger: LoggerModule['logger'] };
let written: string[];

beforeEach(async () => {
  process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
  // Lambda sets it for an on-demand function; Powertools reports cold_start true only then.
  process.env.AWS_LAMBDA_INITIALIZATION_TYPE = 'on-demand';
  jest.resetModules();
  modules = { handler: await import('#shared/handler'), logger: (await import('#shared/logger')).logger };
  written = [];
  jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
});

afterEach(() => {
  jest.restoreAllMocks();
  process.env = { ...saved };
});

const lines = (): Line[] =>
  written
    .join('')
    .split('\n')
    .filter(Boolean)
    .map((text) => JSON.parse(text) as Line);

const contextFor = (awsRequestId: string) =>
  ({
    functionName: 'PublishFunction',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:PublishFunction',
    memoryLimitInMB: '256',
    awsRequestId,
    getRemainingTimeInMillis: () => 5000,
  }) as unknown as Context;

describe('lambdaHandler', () => {
  it('puts the invocation request id and cold start on every line and clears appended keys between invocations', async () => {
    const { lambdaHandler, correlate } = modules.handler;
    const handler = lambdaHandler(async (event: { uploadId?: string }) => {
      if (event.uploadId) correlate({ uploadId: event.uploadId });
      modules.logger.info('Handled');
      return 'done';
    });

    await handler({ uploadId: 'upload-1' }, contextFor('request-1'));
    await handler({}, contextFor('request-2'));

    expect(lines()).toEqual([
      expect.objectContaining({
        message: 'Handled',
        function_request_id: 'request-1',
        cold_start: true,
        uploadId: 'upload-1',
      }),
      expect.objectContaining({ message: 'Handled', function_request_id: 'request-2', cold_start: false }),
    ]);
    expect(lines()[1]).not.toHaveProperty('uploadId');
  });

  it('clears appended keys after an invocation that throws, and rethrows its error', async () => {
    const { lambdaHandler, correlate } = modules.handler;
    const failing = lambdaHandler(async () => {
      correlate({ erasureRequestId: 'erasure-1' });
      throw new Error('boom');
    });
    const quiet = lambdaHandler(async () => modules.logger.info('Next'));

    await expect(failing({}, contextFor('request-1'))).rejects.toThrow('boom');
    await quiet({}, contextFor('request-2'));

    expect(lines()).toEqual([expect.objectContaining({ message: 'Next', function_request_id: 'request-2' })]);
    expect(lines()[0]).not.toHaveProperty('erasureRequestId');
  });

  it('never logs the event, even with POWERTOOLS_LOGGER_LOG_EVENT=true', async () => {
    process.env.POWERTOOLS_LOGGER_LOG_EVENT = 'true';
    jest.resetModules();
    const { lambdaHandler } = await import('#shared/handler');
    const handler = lambdaHandler(async () => 'done');

    await handler({ userId: 'user-alice' }, contextFor('request-1'));

    expect(written.join('')).not.toContain('user-alice');
  });
});
