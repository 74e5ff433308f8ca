import { randomUUID } from 'node:crypto';

/** One Lambda function as its template declares it. */
export interface FunctionDefinition {
  logicalId: string;
  functionName: string;
  arn: string;
  /** Absolute path of the TypeScript entry point (the esbuild EntryPoints of the template). */
  entry: string;
  /** Exported name of the handler (`create-location.handler` → `handler`). */
  handlerExport: string;
  environment: Record<string, string>;
  timeoutSeconds: number;
  memoryMb: number;
}

/** A function threw: Lambda reports `errorType` as the error name Step Functions sees. */
export class FunctionError extends Error {
  constructor(
    readonly errorType: string,
    readonly errorMessage: string,
    readonly trace: string[],
  ) {
    super(errorMessage);
    this.name = errorType;
  }

  /** Lambda's error payload as JSON, which Step Functions records as the Cause. */
  get errorPayload(): string {
    return JSON.stringify({ errorType: this.errorType, errorMessage: this.errorMessage, trace: this.trace });
  }
}

/** The handler error's stack, line by line, as the Node.js Lambda runtime reports it (lines untrimmed). */
function lambdaTrace(error: Error): string[] {
  return typeof error.stack === 'string' ? error.stack.split('\n') : [];
}

/** The function ran past its Timeout; Lambda names this error `Sandbox.Timedout`. */
export class FunctionTimeoutError extends FunctionError {
  constructor(seconds: number) {
    super('Sandbox.Timedout', `Task timed out after ${seconds.toFixed(2)} seconds`, []);
  }
}

export class FunctionNotFoundError extends Error {
  override readonly name = 'ResourceNotFoundException';
}

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

/**
 * Runs Lambda functions in this process from their TypeScript sources, unchanged. A function's
 * module is loaded once (its cold start) with its own environment variables in process.env, so
 * configuration read at init sees exactly what the template declares; the payload and result
 * cross a JSON boundary as they do in Lambda.
 */
export class FunctionHost {
  private readonly definitions = new Map<string, FunctionDefinition>();
  private readonly handlers = new Map<string, Handler>();
  private readonly rewrites: Array<(value: string) => string> = [];

  /**
   * `sharedEnvironment` (region, credentials, the AWS_ENDPOINT_URL_* of the local services) is
   * set in process.env for good: the AWS SDK reads it lazily, at a client's first call.
   */
  constructor(
    private readonly options: {
      sharedEnvironment: Record<string, string>;
      log?: (line: string) => void;
    },
  ) {
    Object.assign(process.env, options.sharedEnvironment);
  }

  /**
   * Rewrites environment values when functions load (cold start), e.g. an API's AWS URL to the
   * local server's, known only once that server listens.
   */
  addEnvironmentRewrite(rewrite: (value: string) => string): void {
    this.rewrites.push(rewrite);
  }

  register(definition: FunctionDefinition): void {
    this.definitions.set(definition.functionName, definition);
    this.definitions.set(definition.arn, definition);
  }

  list(): FunctionDefinition[] {
    return [...new Set(this.definitions.values())];
  }

  /** Finds a function by name, ARN, or ARN with a `:$LATEST`/alias qualifier. */
  find(nameOrArn: string): FunctionDefinition | undefined {
    const unqualified = nameOrArn.replace(/^(arn:[^:]+:lambda:[^:]+:\d+:function:[^:]+):[^:]+$/, '$1');
    return this.definitions.get(nameOrArn) ?? this.definitions.get(unqualified);
  }

  async invoke(nameOrArn: string, payload: unknown): Promise<unknown> {
    const definition = this.find(nameOrArn);
    if (!definition) throw new FunctionNotFoundError(`Function not found: ${nameOrArn}`);
    const handler = this.load(definition);
    const event = JSON.parse(JSON.stringify(payload ?? null)) as unknown;
    const requestId = randomUUID();
    const deadline = Date.now() + definition.timeoutSeconds * 1000;
    const context = {
      functionName: definition.functionName,
      functionVersion: '$LATEST',
      invokedFunctionArn: definition.arn,
      memoryLimitInMB: String(definition.memoryMb),
      awsRequestId: requestId,
      logGroupName: `/aws/lambda/${definition.functionName}`,
      logStreamName: `local/${requestId}`,
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new FunctionTimeoutError(definition.timeoutSeconds)),
        deadline - Date.now(),
      );
    });
    try {
      const result = await Promise.race([Promise.resolve().then(() => handler(event, context)), timeout]);
      return result === undefined ? null : (JSON.parse(JSON.stringify(result)) as unknown);
    } catch (error) {
      if (error instanceof FunctionError) throw error;
      const failure = error instanceof Error ? error : new Error(String(error));
      throw new FunctionError(failure.name || 'Error', failure.message, lambdaTrace(failure));
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Loads (cold-starts) a function's module with its environment. An error thrown at init fails
   * the invocation with its own name, and the next invocation initialises again, as in Lambda.
   */
  private load(definition: FunctionDefinition): Handler {
    const loaded = this.handlers.get(definition.functionName);
    if (loaded) return loaded;
    const environment: Record<string, string> = {
      AWS_LAMBDA_FUNCTION_NAME: definition.functionName,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(definition.memoryMb),
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      ...Object.fromEntries(
        Object.entries(definition.environment).map(([key, value]) => [
          key,
          this.rewrites.reduce((text, rewrite) => rewrite(text), value),
        ]),
      ),
    };
    const saved = new Map(Object.keys(environment).map((key) => [key, process.env[key]]));
    Object.assign(process.env, environment);
    try {
      const module = require(definition.entry) as Record<string, unknown>;
      const handler = module[definition.handlerExport];
      if (typeof handler !== 'function') {
        throw new FunctionError(
          'Runtime.HandlerNotFound',
          `${definition.entry} does not export ${definition.handlerExport}`,
          [],
        );
      }
      this.handlers.set(definition.functionName, handler as Handler);
      this.options.log?.(`function ${definition.functionName} initialised`);
      return handler as Handler;
    } catch (error) {
      if (error instanceof FunctionError) throw error;
      const failure = error instanceof Error ? error : new Error(String(error));
      const missingModule = (failure as { code?: string }).code === 'MODULE_NOT_FOUND';
      throw new FunctionError(
        missingModule ? 'Runtime.ImportModuleError' : failure.name || 'Error',
        failure.message,
        lambdaTrace(failure),
      );
    } finally {
      for (const [key, value] of saved) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  }
}
