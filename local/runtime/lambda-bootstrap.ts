/**
 * The program a function environment runs (a child process of the runtime, started with plain
 * `node`): it plays the Node.js Lambda runtime's part. At start it loads the handler named by
 * `_HANDLER` from the bundle in `LAMBDA_TASK_ROOT` (the init phase), then answers invocations
 * received over IPC one at a time, with Lambda's context object and error shape. Packages the
 * bundle leaves external resolve only from NODE_PATH (the layers), as in Lambda's /var/task.
 *
 * Started with `--code-cache=<directory>`, modules are compiled with V8's code cache kept there
 * (code-cache.ts), written after an invocation that compiled modules without it.
 *
 * Messages: parent → child `{ type: 'invoke', requestId, event, deadline, invokedFunctionArn }`;
 * child → parent `{ type: 'ready' }`, `{ type: 'initError', error }`, `{ type: 'result', requestId,
 * result }` or `{ type: 'error', requestId, error }` where error is `{ errorType, errorMessage, trace }`.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import Module from 'node:module';
import { join, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { enableCodeCache } from './code-cache';

type Handler = (event: unknown, context: unknown, callback?: unknown) => unknown;

interface InvokeMessage {
  type: 'invoke';
  requestId: string;
  /** The event as JSON text. */
  event: string;
  /** Epoch milliseconds when the function times out. */
  deadline: number;
  invokedFunctionArn: string;
}

interface LambdaError {
  errorType: string;
  errorMessage: string;
  trace: string[];
}

const send = (message: object) => process.send?.(message);

function toLambdaError(error: unknown, fallbackType?: string): LambdaError {
  if (error instanceof Error) {
    return {
      errorType: fallbackType ?? (error.name || 'Error'),
      errorMessage: error.message,
      trace: typeof error.stack === 'string' ? error.stack.split('\n') : [],
    };
  }
  return { errorType: fallbackType ?? 'Error', errorMessage: String(error), trace: [] };
}

/** Module lookup from the task root stops at the task root: no parent node_modules, only NODE_PATH. */
function confineResolution(taskRoot: string): void {
  const moduleInternals = Module as unknown as { _nodeModulePaths(from: string): string[] };
  const original = moduleInternals._nodeModulePaths.bind(Module);
  moduleInternals._nodeModulePaths = (from: string) =>
    from === taskRoot || from.startsWith(taskRoot + sep) ? [join(taskRoot, 'node_modules')] : original(from);
}

async function loadHandler(): Promise<Handler> {
  const taskRoot = String(process.env.LAMBDA_TASK_ROOT);
  const handlerName = String(process.env._HANDLER);
  const dot = handlerName.lastIndexOf('.');
  if (dot <= 0) {
    throw Object.assign(new Error(`Bad handler ${handlerName}: expected <module>.<export>`), {
      name: 'Runtime.MalformedHandlerName',
    });
  }
  const modulePath = join(taskRoot, handlerName.slice(0, dot));
  const exportName = handlerName.slice(dot + 1);
  confineResolution(taskRoot);
  const file = ['.js', '.mjs', '.cjs']
    .map((ext) => modulePath + ext)
    .find((candidate) => existsSync(candidate));
  if (!file) {
    throw Object.assign(new Error(`Cannot find module '${handlerName.slice(0, dot)}'`), {
      name: 'Runtime.ImportModuleError',
    });
  }
  let loaded: Record<string, unknown>;
  try {
    loaded = file.endsWith('.mjs')
      ? ((await import(pathToFileURL(file).href)) as Record<string, unknown>)
      : (require(file) as Record<string, unknown>);
  } catch (error) {
    if ((error as { code?: string }).code === 'MODULE_NOT_FOUND' || error instanceof SyntaxError) {
      throw Object.assign(error as Error, {
        name: error instanceof SyntaxError ? 'Runtime.UserCodeSyntaxError' : 'Runtime.ImportModuleError',
      });
    }
    throw error;
  }
  const handler = loaded[exportName];
  if (typeof handler !== 'function') {
    throw Object.assign(new Error(`${handlerName} is undefined or not exported`), {
      name: 'Runtime.HandlerNotFound',
    });
  }
  return handler as Handler;
}

/** An unsampled X-Ray trace header, as Lambda passes when the request is not traced: nothing is sent. */
function traceHeader(): string {
  const seconds = Math.floor(Date.now() / 1000).toString(16);
  return `Root=1-${seconds}-${randomBytes(12).toString('hex')};Parent=${randomBytes(8).toString('hex')};Sampled=0`;
}

function contextFor(message: InvokeMessage) {
  const functionName = String(process.env.AWS_LAMBDA_FUNCTION_NAME);
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: String(process.env.AWS_LAMBDA_FUNCTION_VERSION),
    invokedFunctionArn: message.invokedFunctionArn,
    memoryLimitInMB: String(process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE),
    awsRequestId: message.requestId,
    logGroupName: String(process.env.AWS_LAMBDA_LOG_GROUP_NAME),
    logStreamName: String(process.env.AWS_LAMBDA_LOG_STREAM_NAME),
    getRemainingTimeInMillis: () => Math.max(0, message.deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** Calls the handler; a handler with three parameters answers through its callback, as in Lambda. */
function call(handler: Handler, event: unknown, context: unknown): Promise<unknown> {
  if (handler.length >= 3) {
    return new Promise((resolvePromise, reject) => {
      handler(event, context, (error: unknown, result: unknown) =>
        error ? reject(error) : resolvePromise(result),
      );
    });
  }
  return Promise.resolve().then(() => handler(event, context));
}

/** The directory given as `--code-cache=<directory>`, if any. */
function codeCacheDirectory(): string | undefined {
  const option = process.argv.slice(2).find((argument) => argument.startsWith('--code-cache='));
  return option?.slice('--code-cache='.length) || undefined;
}

async function main(): Promise<void> {
  const cacheDirectory = codeCacheDirectory();
  const codeCache = cacheDirectory ? enableCodeCache(cacheDirectory) : undefined;
  let handler: Handler;
  try {
    handler = await loadHandler();
  } catch (error) {
    send({ type: 'initError', error: toLambdaError(error) });
    return;
  }
  process.on('message', (message: InvokeMessage) => {
    if (message.type !== 'invoke') return;
    // Lambda's runtime sets the invocation's trace header (Lambda-Runtime-Trace-Id) before each call.
    process.env._X_AMZN_TRACE_ID = traceHeader();
    call(handler, JSON.parse(message.event) as unknown, contextFor(message))
      .then(
        (result) =>
          send({ type: 'result', requestId: message.requestId, result: JSON.stringify(result ?? null) }),
        (error: unknown) =>
          send({ type: 'error', requestId: message.requestId, error: toLambdaError(error) }),
      )
      .then(() => {
        // After the answer, so the invocation does not wait for it: the modules compiled since the last save.
        if (codeCache) setImmediate(() => codeCache.save());
      });
  });
  send({ type: 'ready' });
}

// The environment runs the template's Runtime (nodejs24.x), not this machine's Node.js: a library's
// warning that the local Node.js is too old is not one Lambda would print.
const emitWarning = process.emitWarning.bind(process) as (...args: unknown[]) => void;
process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
  const text = warning instanceof Error ? `${warning.name}: ${warning.message}` : String(warning);
  if (text.startsWith('NodeVersionSupportWarning')) return;
  emitWarning(warning, ...rest);
}) as typeof process.emitWarning;

// Like Lambda's runtime: an error nobody handles ends the environment (reported as Runtime.ExitError).
process.on('uncaughtException', (error) => {
  process.stderr.write(`Uncaught exception: ${error.stack ?? String(error)}\n`);
  process.exit(129);
});
process.on('unhandledRejection', (reason) => {
  process.stderr.write(
    `Unhandled promise rejection: ${reason instanceof Error ? reason.stack : String(reason)}\n`,
  );
  process.exit(128);
});

// The runtime went away (crashed or stopped): so does its environment.
process.on('disconnect', () => process.exit(0));

void main();
