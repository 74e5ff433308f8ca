import { type ChildProcess, fork } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readlinkSync, renameSync, symlinkSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Credentials } from '../iam';
import { BundleCache, esbuildOptions } from './bundles';

/** One Lambda function as its template declares it. */
export interface FunctionDefinition {
  logicalId: string;
  functionName: string;
  arn: string;
  /** Absolute path of the function's CodeUri folder; the build's EntryPoints are relative to it. */
  codeUri: string;
  /** `Metadata.BuildProperties` of the function's esbuild build. */
  build: Record<string, unknown>;
  /** `Handler`: `<module>.<export>`, the module relative to the built code. */
  handler: string;
  environment: Record<string, string>;
  timeoutSeconds: number;
  memoryMb: number;
  /** `ReservedConcurrentExecutions`: at most this many invocations of the function at once. */
  reservedConcurrency?: number;
  /** `Runtime`, e.g. nodejs24.x (AWS_EXECUTION_ENV names it). */
  runtime?: string;
  /** `LoggingConfig.LogGroup`, when the template names one (default /aws/lambda/<name>). */
  logGroup?: string;
  /**
   * The execution role's session credentials, as Lambda puts them in the environment
   * (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN): the function's SDK calls are
   * signed as its role. Without them, the shared environment's key.
   */
  credentials?: Credentials;
}

/** A function failed: Lambda reports `errorType` as the error name Step Functions sees. */
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

/** The function ran past its Timeout; Lambda names this error `Sandbox.Timedout`. */
export class FunctionTimeoutError extends FunctionError {
  constructor(seconds: number) {
    super('Sandbox.Timedout', `Task timed out after ${seconds.toFixed(2)} seconds`, []);
  }
}

export class FunctionNotFoundError extends Error {
  override readonly name = 'ResourceNotFoundException';
}

/** Lambda refused the invocation: the function's or the account's concurrency is used up (HTTP 429). */
export class TooManyRequestsError extends Error {
  override readonly name = 'TooManyRequestsException';
  readonly statusCode = 429;
}

/**
 * Sync invocations wait for a free slot at most this long, then are throttled; asynchronous ones
 * (S3 notifications, rule targets) wait in Lambda's queue until a slot frees.
 */
const DEFAULT_SYNC_QUEUE_MS = 10_000;
/** Lambda's limit on a function's init phase. */
const INIT_LIMIT_MS = 10_000;
const DEFAULT_IDLE_MS = 60_000;

/**
 * Account-wide invocations at once by default: four per core. The functions mostly wait on the
 * local services (S3, DynamoDB, Rekognition), so a core serves several without any of them
 * starving into its Timeout.
 */
export function defaultConcurrency(): number {
  return Math.max(4, cpus().length * 4);
}

export interface FunctionHostOptions {
  /**
   * Region, credentials and the AWS_ENDPOINT_URL_* of the local services, read when an
   * environment starts (so endpoints known later, like S3's, can be added to the object).
   */
  sharedEnvironment: Record<string, string>;
  /** Where bundles, the bootstrap and the layers' package folder are kept. */
  cacheDir: string;
  /**
   * Folder of the package.json whose dependencies the layers ship (the packages a function's
   * `External` names); they resolve from its node_modules.
   */
  packageRoot: string;
  /**
   * The packages the layers ship (their package.json dependencies); without it, the packageRoot
   * dependencies that the functions' `External` names.
   */
  layerPackages?: string[];
  /** Invocations running at once, account-wide (default: four per CPU core). */
  concurrency?: number;
  /** How long a sync invocation waits for a slot before TooManyRequestsException (default 10 s). */
  syncQueueMs?: number;
  /** An environment idle this long is shut down (default 60 s). */
  idleMs?: number;
  log?: (line: string) => void;
  /** Where functions' output lines go, prefixed with their logical id (default: this process's stdout). */
  output?: (line: string) => void;
}

type Outcome = { ok: true; result: unknown } | { ok: false; error: FunctionError };

/**
 * The flags Lambda's Node.js bootstrap starts `node` with: a tenth of the function's memory for V8's
 * young generation (half of it per semi-space), the rest for the old generation, gc() exposed, and
 * HTTP headers up to 80 KiB.
 */
function lambdaNodeFlags(memoryMb: number): string[] {
  const newSpace = Math.floor(memoryMb / 10);
  return [
    '--expose-gc',
    '--max-http-header-size=81920',
    `--max-semi-space-size=${Math.max(1, Math.floor(newSpace / 2))}`,
    `--max-old-space-size=${Math.max(16, memoryMb - newSpace)}`,
  ];
}

/** One execution environment: a `node` child process running the bootstrap with one function's bundle. */
class Environment {
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  busy = false;
  dead = false;
  lastUsed = Date.now();
  private outOfMemory = false;
  private pending?: { requestId: string; settle: (outcome: Outcome) => void };

  constructor(
    readonly definition: FunctionDefinition,
    bootstrap: string,
    /** Where the bootstrap keeps V8's code cache, shared by every environment. */
    codeCacheDir: string,
    environment: Record<string, string>,
    output: (line: string) => void,
  ) {
    this.child = fork(bootstrap, [`--code-cache=${codeCacheDir}`], {
      env: environment,
      execPath: process.execPath,
      execArgv: lambdaNodeFlags(definition.memoryMb),
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
    });
    const prefix = `${definition.logicalId} |`;
    for (const stream of [this.child.stdout, this.child.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream }).on('line', (line) => {
        if (/JavaScript heap out of memory/.test(line)) this.outOfMemory = true;
        output(`${prefix} ${line}`);
      });
    }
    this.ready = new Promise<void>((resolvePromise, reject) => {
      const limit = setTimeout(() => {
        reject(new FunctionTimeoutError(INIT_LIMIT_MS / 1000));
        this.kill();
      }, INIT_LIMIT_MS);
      const onMessage = (message: { type: string; error?: FunctionErrorShape }) => {
        if (message.type === 'ready') {
          clearTimeout(limit);
          this.child.off('message', onMessage);
          resolvePromise();
        } else if (message.type === 'initError' && message.error) {
          clearTimeout(limit);
          reject(fromShape(message.error));
          this.kill();
        }
      };
      this.child.on('message', onMessage);
      this.child.once('exit', (code, signal) => {
        clearTimeout(limit);
        reject(this.exitError(randomUUID(), code, signal));
      });
    });
    this.ready.catch(() => undefined);
    this.child.on(
      'message',
      (message: { type: string; requestId?: string; result?: string; error?: FunctionErrorShape }) => {
        const pending = this.pending;
        if (!pending || message.requestId !== pending.requestId) return;
        if (message.type === 'result')
          pending.settle({ ok: true, result: JSON.parse(message.result ?? 'null') });
        else if (message.type === 'error' && message.error)
          pending.settle({ ok: false, error: fromShape(message.error) });
      },
    );
    this.child.once('exit', (code, signal) => {
      this.dead = true;
      this.pending?.settle({ ok: false, error: this.exitError(this.pending.requestId, code, signal) });
    });
    this.child.on('error', (error) => output(`${prefix} environment error: ${error.message}`));
  }

  /** Lambda's report of a runtime that exited during an invocation. */
  private exitError(requestId: string, code: number | null, signal: NodeJS.Signals | null): FunctionError {
    const prefix = `RequestId: ${requestId} Error: Runtime exited with error:`;
    if (this.outOfMemory) return new FunctionError('Runtime.OutOfMemory', `${prefix} signal: killed`, []);
    const how = code !== null ? `exit status ${code}` : `signal: ${SIGNAL_WORDS[signal ?? ''] ?? signal}`;
    return new FunctionError('Runtime.ExitError', `${prefix} ${how}`, []);
  }

  /** Resident memory of the process in MiB (Linux), or undefined where it cannot be read. */
  residentMb(): number | undefined {
    try {
      const pages = Number(readFileSync(`/proc/${this.child.pid}/statm`, 'utf8').split(' ')[1]);
      return (pages * 4096) / 2 ** 20;
    } catch {
      return undefined;
    }
  }

  /** Lambda kills an environment whose memory exceeds MemorySize. */
  killForMemory(): void {
    this.outOfMemory = true;
    this.kill();
  }

  kill(): void {
    this.dead = true;
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }

  invoke(event: string, requestId: string): Promise<unknown> {
    const { definition } = this;
    return new Promise<unknown>((resolvePromise, reject) => {
      const timer = setTimeout(() => {
        settle({ ok: false, error: new FunctionTimeoutError(definition.timeoutSeconds) });
        this.kill();
      }, definition.timeoutSeconds * 1000);
      const settle = (outcome: Outcome) => {
        if (this.pending?.requestId !== requestId) return;
        this.pending = undefined;
        clearTimeout(timer);
        if (outcome.ok) resolvePromise(outcome.result);
        else reject(outcome.error);
      };
      this.pending = { requestId, settle };
      this.child.send({
        type: 'invoke',
        requestId,
        event,
        deadline: Date.now() + definition.timeoutSeconds * 1000,
        invokedFunctionArn: definition.arn,
      });
    });
  }
}

interface FunctionErrorShape {
  errorType: string;
  errorMessage: string;
  trace: string[];
}

const fromShape = (error: FunctionErrorShape) =>
  new FunctionError(error.errorType, error.errorMessage, error.trace);

/** How Go (Lambda's runtime manager) words the signals a runtime can die of. */
const SIGNAL_WORDS: Record<string, string> = {
  SIGKILL: 'killed',
  SIGABRT: 'aborted',
  SIGSEGV: 'segmentation fault',
  SIGTERM: 'terminated',
  SIGBUS: 'bus error',
};

/** Who waits for an invocation: a request (sync), a running workflow's task (sync), an event (async). */
export type InvocationKind = 'sync' | 'workflow' | 'async';

interface Waiter {
  definition: FunctionDefinition;
  start: () => void;
  refuse: (error: Error) => void;
}

/**
 * Runs Lambda functions as Lambda does: each invocation in an execution environment of its own
 * function (a child process with only the function's environment, its bundle, its memory limit),
 * one invocation at a time per environment. Idle environments are reused (warm starts) and shut
 * down after `idleMs`; an environment that timed out, ran out of memory or crashed is discarded.
 * Invocations beyond the account's (or a function's reserved) concurrency wait for a slot:
 * asynchronous ones as long as it takes, synchronous ones up to `syncQueueMs`, then they are
 * throttled with TooManyRequestsException.
 */
export class FunctionHost {
  private readonly definitions = new Map<string, FunctionDefinition>();
  private readonly environments = new Map<string, Environment[]>();
  private readonly rewrites: Array<(value: string) => string> = [];
  private readonly bundles: BundleCache;
  private readonly running = new Map<string, number>();
  /** Waiters by kind, served in this order: requests, then running workflows' tasks, then events. */
  private readonly waiters: Record<InvocationKind, Waiter[]> = { sync: [], workflow: [], async: [] };
  /** Admissions granted without waiting (no onQueued for them). */
  private readonly admittedAtOnce = new WeakSet<Promise<void>>();
  private readonly concurrency: number;
  private readonly sweeper: NodeJS.Timeout;
  private bootstrap?: Promise<string>;
  private layersDir?: string;
  private busyTotal = 0;
  private closed = false;

  constructor(private readonly options: FunctionHostOptions) {
    this.bundles = new BundleCache(join(options.cacheDir, 'bundles'));
    this.concurrency = options.concurrency ?? defaultConcurrency();
    this.sweeper = setInterval(() => this.sweep(), 250);
    this.sweeper.unref();
  }

  /**
   * Rewrites environment values when environments start, e.g. an API's AWS URL to the local
   * server's, known only once that server listens.
   */
  addEnvironmentRewrite(rewrite: (value: string) => string): void {
    this.rewrites.push(rewrite);
  }

  /** Registers a function; its BuildProperties are checked now, its bundle is built at first use. */
  register(definition: FunctionDefinition): void {
    esbuildOptions({ codeUri: definition.codeUri, properties: definition.build }, '');
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

  /** Invocations running now (for tests and the load report). */
  get busy(): number {
    return this.busyTotal;
  }

  /** Invocations running or waiting for a slot. */
  get pending(): number {
    return this.busyTotal + Object.values(this.waiters).reduce((sum, queue) => sum + queue.length, 0);
  }

  /** Live environments of a function (idle or busy). */
  environmentCount(nameOrArn: string): number {
    const definition = this.find(nameOrArn);
    return definition ? (this.environments.get(definition.functionName)?.length ?? 0) : 0;
  }

  /**
   * Invokes a function with `payload` (crossing a JSON boundary, as in Lambda). `kind` decides how
   * the invocation waits for a slot when all are taken: `sync` (a request: first served, throttled
   * after syncQueueMs), `workflow` (a state machine's task: served after requests, throttled after
   * syncQueueMs, which the workflows' Retry handles), `async` (Lambda's event invocations, S3
   * notifications and rule targets: queued, never throttled, and started only while half the slots
   * are free, so new work does not crowd out the tasks of executions already running).
   */
  async invoke(
    nameOrArn: string,
    payload: unknown,
    kind: InvocationKind = 'sync',
    options: { onQueued?: (started: Promise<void>) => void } = {},
  ): Promise<unknown> {
    const definition = this.find(nameOrArn);
    if (!definition) throw new FunctionNotFoundError(`Function not found: ${nameOrArn}`);
    if (this.closed) throw new TooManyRequestsError('The local Lambda service is stopping');
    const event = JSON.stringify(payload ?? null);
    const admitted = this.acquire(definition, kind);
    if (options.onQueued && !this.admittedAtOnce.has(admitted)) options.onQueued(admitted);
    await admitted;
    try {
      const environment = await this.environmentFor(definition);
      environment.busy = true;
      try {
        return await environment.invoke(event, randomUUID());
      } finally {
        environment.busy = false;
        environment.lastUsed = Date.now();
        if (environment.dead) this.forget(environment);
      }
    } finally {
      this.release(definition);
    }
  }

  /**
   * Builds every function's bundle (and the bootstrap) one after another, in the background after
   * start, so a first invocation rarely waits for a build (which would eat into its caller's
   * timeout). Failures are left for the invocation to report.
   */
  async prebuild(): Promise<void> {
    await this.bootstrapFile().catch(() => undefined);
    for (const definition of this.list()) {
      if (this.closed) return;
      await this.bundles
        .bundle({ codeUri: definition.codeUri, properties: definition.build })
        .catch(() => undefined);
    }
  }

  /** Stops every environment (running invocations fail as if the runtime exited). */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.sweeper);
    for (const waiter of Object.values(this.waiters).flatMap((queue) => queue.splice(0)))
      waiter.refuse(new TooManyRequestsError('The local Lambda service is stopping'));
    const all = [...this.environments.values()].flat();
    await Promise.all(
      all.map(
        (environment) =>
          new Promise<void>((resolvePromise) => {
            if (environment.child.exitCode !== null || environment.child.signalCode !== null) {
              resolvePromise();
              return;
            }
            environment.child.once('exit', () => resolvePromise());
            environment.kill();
          }),
      ),
    );
    this.environments.clear();
  }

  private canRun(definition: FunctionDefinition, kind: InvocationKind): boolean {
    const mine = this.running.get(definition.functionName) ?? 0;
    const slots = kind === 'async' ? Math.ceil(this.concurrency / 2) : this.concurrency;
    return (
      this.busyTotal < slots &&
      (definition.reservedConcurrency === undefined || mine < definition.reservedConcurrency)
    );
  }

  private take(definition: FunctionDefinition): void {
    this.busyTotal += 1;
    this.running.set(definition.functionName, (this.running.get(definition.functionName) ?? 0) + 1);
  }

  private acquire(definition: FunctionDefinition, kind: InvocationKind): Promise<void> {
    if (definition.reservedConcurrency === 0) {
      return Promise.reject(
        new TooManyRequestsError(`Rate Exceeded. ${definition.functionName} has no reserved concurrency`),
      );
    }
    const queue = this.waiters[kind];
    const order: InvocationKind[] = ['sync', 'workflow', 'async'];
    const ahead = order.slice(0, order.indexOf(kind) + 1).flatMap((earlier) => this.waiters[earlier]);
    if (this.canRun(definition, kind) && !ahead.some((waiter) => waiter.definition === definition)) {
      this.take(definition);
      const admitted = Promise.resolve();
      this.admittedAtOnce.add(admitted);
      return admitted;
    }
    return new Promise<void>((resolvePromise, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const waiter: Waiter = {
        definition,
        start: () => {
          clearTimeout(timer);
          this.take(definition);
          resolvePromise();
        },
        refuse: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      // A request is throttled after syncQueueMs; a workflow task waits (its TimeoutSeconds counts
      // from when it starts, see invoke), and so do asynchronous events.
      if (kind === 'sync') {
        timer = setTimeout(() => {
          queue.splice(queue.indexOf(waiter), 1);
          reject(
            new TooManyRequestsError(
              `Rate Exceeded. ${definition.functionName} waited ${this.options.syncQueueMs ?? DEFAULT_SYNC_QUEUE_MS} ms for one of the ${this.concurrency} local execution slots`,
            ),
          );
        }, this.options.syncQueueMs ?? DEFAULT_SYNC_QUEUE_MS);
      }
      queue.push(waiter);
    });
  }

  /** Frees a slot and hands it to the first waiter that may run: requests, then tasks, then events. */
  private release(definition: FunctionDefinition): void {
    this.busyTotal -= 1;
    this.running.set(definition.functionName, (this.running.get(definition.functionName) ?? 1) - 1);
    for (const kind of ['sync', 'workflow', 'async'] as const) {
      const queue = this.waiters[kind];
      const index = queue.findIndex((waiter) => this.canRun(waiter.definition, kind));
      if (index >= 0) {
        const [waiter] = queue.splice(index, 1);
        waiter?.start();
        return;
      }
    }
  }

  /** A warm idle environment of the function, or a new one (cold start). */
  private async environmentFor(definition: FunctionDefinition): Promise<Environment> {
    const pool = this.environments.get(definition.functionName) ?? [];
    this.environments.set(definition.functionName, pool);
    const warm = pool.find((environment) => !environment.busy && !environment.dead);
    if (warm) {
      warm.busy = true;
      return warm;
    }
    const bundling = Date.now();
    const [bootstrap, taskRoot] = await Promise.all([
      this.bootstrapFile(),
      this.bundles.bundle({ codeUri: definition.codeUri, properties: definition.build }),
    ]);
    const environment = new Environment(
      definition,
      bootstrap,
      join(this.options.cacheDir, 'code-cache'),
      this.environmentVariables(definition, taskRoot, dirname(bootstrap)),
      this.options.output ?? ((line) => process.stdout.write(`${line}\n`)),
    );
    const starting = Date.now();
    environment.busy = true;
    pool.push(environment);
    try {
      await environment.ready;
    } catch (error) {
      this.forget(environment);
      throw error;
    }
    this.options.log?.(
      `function ${definition.logicalId}: cold start in a new environment (code ready in ${starting - bundling} ms, init ${Date.now() - starting} ms; ${pool.length} environments)`,
    );
    return environment;
  }

  private forget(environment: Environment): void {
    environment.kill();
    const pool = this.environments.get(environment.definition.functionName) ?? [];
    const index = pool.indexOf(environment);
    if (index >= 0) pool.splice(index, 1);
  }

  /** Shuts down environments idle for too long and kills those over their memory size. */
  private sweep(): void {
    const idleMs = this.options.idleMs ?? DEFAULT_IDLE_MS;
    for (const pool of this.environments.values()) {
      for (const environment of [...pool]) {
        if (!environment.busy && Date.now() - environment.lastUsed > idleMs) {
          this.forget(environment);
          continue;
        }
        const resident = environment.busy ? environment.residentMb() : undefined;
        if (resident !== undefined && resident > environment.definition.memoryMb) environment.killForMemory();
      }
    }
  }

  /** Only what Lambda gives a function: its template environment and the reserved variables. */
  private environmentVariables(
    definition: FunctionDefinition,
    taskRoot: string,
    runtimeDir: string,
  ): Record<string, string> {
    const day = new Date().toISOString().slice(0, 10).replaceAll('-', '/');
    const runtime = definition.runtime ?? 'nodejs24.x';
    return {
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      LANG: 'en_US.UTF-8',
      TZ: ':UTC',
      LAMBDA_TASK_ROOT: taskRoot,
      LAMBDA_RUNTIME_DIR: runtimeDir,
      NODE_PATH: this.layerModules(),
      _HANDLER: definition.handler,
      AWS_EXECUTION_ENV: `AWS_Lambda_${runtime}`,
      AWS_LAMBDA_FUNCTION_NAME: definition.functionName,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(definition.memoryMb),
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      AWS_LAMBDA_LOG_GROUP_NAME: definition.logGroup ?? `/aws/lambda/${definition.functionName}`,
      AWS_LAMBDA_LOG_STREAM_NAME: `${day}/[$LATEST]${randomBytes(16).toString('hex')}`,
      ...this.options.sharedEnvironment,
      ...Object.fromEntries(
        Object.entries(definition.environment).map(([key, value]) => [
          key,
          this.rewrites.reduce((text, rewrite) => rewrite(text), value),
        ]),
      ),
      // Reserved: Lambda sets them after the template's variables, which cannot override them.
      ...(definition.credentials
        ? {
            AWS_ACCESS_KEY_ID: definition.credentials.accessKeyId,
            AWS_SECRET_ACCESS_KEY: definition.credentials.secretAccessKey,
            ...(definition.credentials.sessionToken
              ? { AWS_SESSION_TOKEN: definition.credentials.sessionToken }
              : {}),
          }
        : {}),
    };
  }

  /**
   * The layers' /opt/nodejs/node_modules: a folder of links to the packages of the package.json
   * dependencies the functions leave external (what the SDK and sharp layers install from it).
   */
  private layerModules(): string {
    if (this.layersDir) return this.layersDir;
    const directory = join(this.options.cacheDir, 'layers', 'nodejs', 'node_modules');
    const manifest = JSON.parse(readFileSync(join(this.options.packageRoot, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
    };
    const patterns = [
      ...new Set(
        this.list().flatMap((definition) => (definition.build.External as string[] | undefined) ?? []),
      ),
    ].map((glob) => new RegExp(`^${glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*')}$`));
    const names =
      this.options.layerPackages ??
      Object.keys(manifest.dependencies ?? {}).filter((name) =>
        patterns.some((pattern) => pattern.test(name)),
      );
    for (const name of names) {
      const source = join(this.options.packageRoot, 'node_modules', name);
      const link = join(directory, name);
      if (!existsSync(source)) continue;
      mkdirSync(dirname(link), { recursive: true });
      try {
        if (readlinkSync(link) === source) continue;
      } catch {}
      try {
        symlinkSync(source, link, 'dir');
      } catch (error) {
        if ((error as { code?: string }).code !== 'EEXIST') throw error;
      }
    }
    mkdirSync(directory, { recursive: true });
    this.layersDir = directory;
    return directory;
  }

  /** The bootstrap, built once per version of its source. */
  private bootstrapFile(): Promise<string> {
    this.bootstrap ??= (async () => {
      const source = join(__dirname, 'lambda-bootstrap.ts');
      // The bootstrap and the one module it imports.
      const hash = createHash('sha256');
      for (const file of [source, join(__dirname, 'code-cache.ts')]) hash.update(readFileSync(file));
      const version = hash.digest('hex').slice(0, 12);
      const outfile = join(this.options.cacheDir, 'runtime', `bootstrap-${version}.js`);
      if (!existsSync(outfile)) {
        const esbuild = await import('esbuild');
        await esbuild.build({
          entryPoints: [source],
          bundle: true,
          platform: 'node',
          format: 'cjs',
          target: 'node20',
          outfile: `${outfile}.${process.pid}`,
          logLevel: 'silent',
        });
        renameSync(`${outfile}.${process.pid}`, outfile);
      }
      return outfile;
    })();
    return this.bootstrap;
  }
}
