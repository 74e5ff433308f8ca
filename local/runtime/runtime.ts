import { randomUUID } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, unlinkSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { CreateTableCommand, DynamoDBClient, ResourceInUseException } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { decodeS3EventKey } from '../../functions/backend/upload-notifications';
import { createDynalite } from '../dynamodb/dynalite';
import { type DeliveryContext, handleEventBridgeRequest, LocalEventBus } from '../eventbridge';
import {
  AccessControl,
  type AuthorizationRecord,
  buildIamModel,
  integrationRequest,
  type Principal,
  type PrincipalKind,
} from '../iam';
import { type LocalS3, startLocalS3 } from '../s3';
import {
  createCloudFrontHandler,
  createServicesHandler,
  DeclaredLabelsVisionEngine,
  fromGenerateSecretString,
  type GuardOptions,
  guarded,
  guardServer,
  isCloudFrontRequest,
  replayed,
  runtimeFacts,
  type VisionEngine,
} from '../services';
import {
  FunctionTimeoutError as EngineTimeoutError,
  handleStepFunctionsRequest,
  LambdaServiceError,
  StepFunctionsEngine,
} from '../stepfunctions';
import { loadProject, type ResolvedStack, TemplateError } from '../template';
import { type LocalCdn, localizeUrls, type ObjectReader, startLocalCdns } from './cdn';
import { lockDataDir } from './data-dir-lock';
import { executionStatusChangeEvent } from './execution-status-events';
import {
  FunctionHost,
  FunctionNotFoundError,
  FunctionTimeoutError,
  TooManyRequestsError,
} from './function-host';
import { collectRules, type TemplateRule } from './rules';
import { callService, unsupportedServiceReason } from './service-calls';

/** The services answered on the one "AWS services" port, as AWS_ENDPOINT_URL_<SERVICE> names them. */
export const SERVICES_ON_ONE_PORT = [
  'EVENTBRIDGE',
  'SFN',
  'SES',
  'SNS',
  'REKOGNITION',
  'SECRETS_MANAGER',
  'SSM',
  'CLOUDFRONT',
] as const;

/** How long a stop lets work in flight finish before it stops the engine (executions resume at the next start). */
const DRAIN_MS = 30_000;
const QUIET_POLL_MS = 200;

const sleep = (ms: number) => new Promise<void>((resolvePromise) => setTimeout(resolvePromise, ms));

/** A close function that runs once, however often it is called. */
function once(close: () => Promise<void>): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () => {
    closing ??= close();
    return closing;
  };
}

/** Starts the executions that events asked for while the previous runtime was stopping. */
function startPendingExecutions(
  engine: StepFunctionsEngine,
  file: string,
  log: (line: string) => void,
): void {
  if (!existsSync(file)) return;
  const lines = readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '');
  for (const line of lines) {
    try {
      const { stateMachineArn, input } = JSON.parse(line) as { stateMachineArn: string; input: string };
      engine.startExecution({ stateMachineArn, input });
    } catch (error) {
      log(`stepfunctions: could not start a kept execution (${(error as Error).message}): ${line}`);
    }
  }
  unlinkSync(file);
  if (lines.length > 0)
    log(`stepfunctions: started ${lines.length} execution(s) requested while the runtime stopped`);
}

/**
 * EventBridge may not deliver to a target (missing permission): as on AWS, not retried; the event
 * goes to the target's dead-letter queue, if it has one, with this error code.
 */
class TargetPermissionError extends Error {
  override readonly name = 'NO_PERMISSIONS';
  readonly retryable = false;
}

/** Lambda retries a failed asynchronous invocation twice; locally the back-off is short. */
const LAMBDA_ASYNC_RETRIES = 2;
const LAMBDA_ASYNC_RETRY_DELAY_MS = 100;

/** Credentials every local client signs with; the local S3 verifies signatures against them. */
export const LOCAL_CREDENTIALS = {
  accessKeyId: 'AKIDLOCALHAPPYPATH',
  secretAccessKey: 'local-happy-path-secret',
};

export interface RuntimeOptions {
  /** Project root: holds templates/ and samconfig.toml. */
  root: string;
  /** samconfig config envs to run, e.g. ['layers', 'backend', 'workflow-v4', 'gdpr']. */
  configEnvs: string[];
  /** Parameter overrides per config env (win over samconfig.toml). */
  parameterOverrides?: Record<string, Record<string, string>>;
  templatesDir?: string;
  samConfigPath?: string;
  dataDir: string;
  host?: string;
  ports?: { s3?: number; dynamodb?: number; services?: number; cdn?: number };
  region?: string;
  accountId?: string;
  vision?: VisionEngine;
  /** Function invocations running at once, account-wide (default: four per CPU core). */
  concurrency?: number;
  /** How long a stop waits for work in flight before it stops the engine (default 30 s). */
  drainMs?: number;
  /**
   * IAM: 'enforce' (default) checks every call a function, state machine, rule or notification
   * makes against its role; 'off' allows every signed call.
   */
  iam?: 'enforce' | 'off';
  /** Every authorization decision the local services make (tests record them). */
  onAuthorization?: (record: AuthorizationRecord) => void;
  /** Variables that win over every function's template environment, e.g. a quieter POWERTOOLS_LOG_LEVEL. */
  functionEnvironment?: Record<string, string>;
  log?: (line: string) => void;
}

export interface Runtime {
  stacks: readonly ResolvedStack[];
  endpoints: { s3: string; dynamodb: string; services: string };
  /** CloudFront stand-ins, one per distribution with an S3 origin. */
  cdns: readonly LocalCdn[];
  /** What a process needs in its environment to use the local services with the AWS SDK. */
  environment: Record<string, string>;
  functions: FunctionHost;
  engine: StepFunctionsEngine;
  buses: Map<string, LocalEventBus>;
  /** Who may call what: each role session's credentials and the policy checks. */
  access: AccessControl;
  close(): Promise<void>;
}

type Properties = Record<string, unknown>;

/**
 * A GetObject body read into one buffer of the object's length as it arrives: an image read for
 * Rekognition is a megabyte or more, and collecting its chunks first, then joining them (what the
 * SDK's transformToByteArray does), holds it twice; memory glibc keeps in its free lists afterwards.
 */
async function objectBytes(object: { Body?: unknown; ContentLength?: number }): Promise<Buffer> {
  const length = object.ContentLength;
  if (length === undefined) {
    const bytes = await (
      object.Body as { transformToByteArray(): Promise<Uint8Array> }
    ).transformToByteArray();
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  const bytes = Buffer.allocUnsafe(length);
  let filled = 0;
  for await (const chunk of object.Body as AsyncIterable<Uint8Array>) {
    if (filled + chunk.byteLength > length) throw new Error(`the object is longer than its ${length} bytes`);
    bytes.set(chunk, filled);
    filled += chunk.byteLength;
  }
  if (filled !== length) throw new Error(`the object ended after ${filled} of its ${length} bytes`);
  return bytes;
}

function resourcesOfType(stacks: readonly ResolvedStack[], ...types: string[]) {
  return stacks.flatMap((stack) =>
    Object.entries(stack.resources)
      .filter(([, resource]) => types.includes(resource.type))
      .map(([logicalId, resource]) => ({
        stack,
        logicalId,
        physicalId: String(resource.physicalId),
        properties: (resource.properties ?? {}) as Properties,
        metadata: (resource.metadata ?? {}) as Properties,
      })),
  );
}

function listen(server: Server, host: string, port: number): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const address = server.address() as AddressInfo;
      resolvePromise(`http://${host}:${address.port}`);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolvePromise) => server.close(() => resolvePromise()));
}

function matchesS3Filter(filter: unknown, key: string): boolean {
  const rules =
    (filter as { S3Key?: { Rules?: Array<{ Name: string; Value: string }> } })?.S3Key?.Rules ?? [];
  return rules.every((rule) =>
    rule.Name.toLowerCase() === 'prefix' ? key.startsWith(rule.Value) : key.endsWith(rule.Value),
  );
}

function s3EventMatches(patterns: unknown, eventName: string): boolean {
  return (Array.isArray(patterns) ? patterns : [patterns]).some((pattern) => {
    const wanted = String(pattern).replace(/^s3:/, '');
    return wanted.endsWith('*') ? eventName.startsWith(wanted.slice(0, -1)) : eventName === wanted;
  });
}

/**
 * Starts the whole application offline from its SAM templates: DynamoDB (dynalite) tables,
 * S3 buckets with notifications, event buses and rules, state machines, functions and the
 * service stand-ins, all on localhost.
 */
export async function startRuntime(options: RuntimeOptions): Promise<Runtime> {
  const region = options.region ?? 'us-east-1';
  const accountId = options.accountId ?? '000000000000';
  const host = options.host ?? '127.0.0.1';
  const log = options.log ?? (() => undefined);
  const dataDir = resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const closers: Array<() => Promise<void>> = [];
  let engineForCleanup: StepFunctionsEngine | undefined;

  const { stacks } = loadProject({
    templatesDir: options.templatesDir ?? join(options.root, 'templates'),
    samConfigPath: options.samConfigPath ?? join(options.root, 'samconfig.toml'),
    stacks: options.configEnvs.map((configEnv) => ({
      configEnv,
      ...(options.parameterOverrides?.[configEnv]
        ? { parameterOverrides: options.parameterOverrides[configEnv] }
        : {}),
    })),
    region,
    accountId,
    logger: (message) => log(`template: ${message}`),
  });

  const unlock = lockDataDir(dataDir, log);
  closers.push(async () => unlock());
  try {
    // IAM ------------------------------------------------------------------------
    const access = new AccessControl({
      model: buildIamModel(stacks),
      enforce: options.iam !== 'off',
      admin: LOCAL_CREDENTIALS,
      seedFile: join(dataDir, 'iam', 'seed'),
      log,
      ...(options.onAuthorization ? { onAuthorization: options.onAuthorization } : {}),
    });
    if (!access.enforce) log('iam: enforcement is off (--iam off): every signed call is allowed');
    /** The principal a function, state machine or rule target acts as; every one is in the IAM model. */
    const principalOf = (kind: PrincipalKind, name: string): Principal => {
      const principal = access.principal(kind, name);
      if (!principal) throw new Error(`iam: no ${kind} named ${name} in the IAM model of the templates`);
      return principal;
    };

    // DynamoDB ---------------------------------------------------------------
    // Every service but S3 verifies signatures and authorizes calls through this guard.
    const secretDeclarations = resourcesOfType(stacks, 'AWS::SecretsManager::Secret').map((secret) => ({
      arn: secret.physicalId,
      name: String(secret.properties.Name ?? secret.physicalId.split(':').pop()),
      properties: secret.properties,
    }));
    const guard: GuardOptions = {
      access,
      region,
      accountId,
      facts: runtimeFacts({
        stateMachineOfTaskToken: (token) => engine.stateMachineOfTaskToken(token),
        secrets: secretDeclarations,
      }),
      log,
    };
    const dynalite = createDynalite({
      path: join(dataDir, 'dynamodb'),
      createTableMs: 0,
      deleteTableMs: 0,
      updateTableMs: 0,
    });
    guardServer(dynalite, guard);
    const dynamodbEndpoint = await listen(dynalite, host, options.ports?.dynamodb ?? 0);
    closers.push(() => closeServer(dynalite));

    // Shared environment: every SDK client in this process talks to the local services.
    const environment: Record<string, string> = {
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      AWS_ENDPOINT_URL_DYNAMODB: dynamodbEndpoint,
    };
    delete process.env.AWS_SESSION_TOKEN;
    delete process.env.AWS_PROFILE;
    Object.assign(process.env, environment);
    await createTables(stacks, log);

    // CloudFront --------------------------------------------------------------
    // Listening before the functions are registered, so their environment can name its URL.
    let readFromS3: ObjectReader = async () => undefined;
    const cdns = await startLocalCdns({
      stacks,
      host,
      port: options.ports?.cdn ?? 0,
      readObject: (bucket, key) => readFromS3(bucket, key),
      log,
    });
    for (const cdn of cdns) closers.push(() => cdn.close());

    // Functions --------------------------------------------------------------
    const templateDir = options.templatesDir ?? join(options.root, 'templates');
    const packageRoot = packageRootOf(options.root);
    const functions = new FunctionHost({
      sharedEnvironment: environment,
      // Bundles depend only on the code, not on the data: every data directory shares them.
      cacheDir: join(packageRoot, '.local', 'lambda'),
      packageRoot,
      ...layerPackagesOf(stacks, templateDir),
      ...(options.concurrency ? { concurrency: options.concurrency } : {}),
      log,
      ...(options.log ? { output: options.log } : {}),
    });
    const closeFunctions = once(() => functions.close());
    closers.push(closeFunctions);
    /** Function name or ARN → its async retry count, where its template sets one. */
    const asyncRetries = new Map<string, number>();
    for (const fn of resourcesOfType(stacks, 'AWS::Serverless::Function')) {
      const variables = ((fn.properties.Environment as Properties | undefined)?.Variables ??
        {}) as Properties;
      const invokeConfig = fn.properties.EventInvokeConfig as Properties | undefined;
      if (invokeConfig?.MaximumRetryAttempts !== undefined) {
        const retries = Number(invokeConfig.MaximumRetryAttempts);
        asyncRetries.set(fn.physicalId, retries);
        asyncRetries.set(String(fn.stack.getAtt(fn.logicalId, 'Arn')), retries);
      }
      const where = { fileName: fn.stack.fileName, path: `Resources.${fn.logicalId}` };
      if (fn.metadata.BuildMethod !== 'esbuild')
        throw new TemplateError(
          where,
          'the local runtime runs functions built with Metadata.BuildMethod: esbuild',
        );
      const logGroup = (fn.properties.LoggingConfig as Properties | undefined)?.LogGroup;
      const reserved = fn.properties.ReservedConcurrentExecutions;
      try {
        functions.register({
          logicalId: fn.logicalId,
          functionName: fn.physicalId,
          arn: String(fn.stack.getAtt(fn.logicalId, 'Arn')),
          codeUri: resolve(templateDir, String(fn.properties.CodeUri ?? '.')),
          build: (fn.metadata.BuildProperties ?? {}) as Properties,
          handler: String(fn.properties.Handler ?? 'index.handler'),
          environment: Object.fromEntries(
            Object.entries({ ...variables, ...options.functionEnvironment })
              // The templates declare empty AWS_ENDPOINT_URL_* for `sam local invoke`; here the shared
              // environment points the SDK at the local services instead.
              .filter(([key]) => !key.startsWith('AWS_ENDPOINT_URL'))
              .map(([key, value]) => [key, localizeUrls(String(value), cdns)]),
          ),
          timeoutSeconds: Number(fn.properties.Timeout ?? 3),
          // Lambda gives the function its execution role's session: its SDK calls are signed as it.
          credentials: access.credentialsFor(principalOf('function', fn.physicalId)),
          memoryMb: Number(fn.properties.MemorySize ?? 128),
          ...(reserved === undefined ? {} : { reservedConcurrency: Number(reserved) }),
          ...(typeof fn.properties.Runtime === 'string' ? { runtime: fn.properties.Runtime } : {}),
          ...(typeof logGroup === 'string' ? { logGroup } : {}),
        });
      } catch (error) {
        throw new TemplateError(
          { ...where, path: `${where.path}.Metadata.BuildProperties` },
          (error as Error).message,
        );
      }
    }
    const invocationsInFlight = new Set<Promise<unknown>>();
    /**
     * An asynchronous invocation, as Lambda makes one for S3 notifications and EventBridge rules:
     * after a failure, the function's `EventInvokeConfig.MaximumRetryAttempts` more attempts
     * (Lambda's default: 2).
     */
    const invokeAsync = (target: string, payload: unknown, why: string) => {
      const retries = asyncRetries.get(target) ?? LAMBDA_ASYNC_RETRIES;
      const attempt = async (): Promise<void> => {
        for (let retry = 0; ; retry++) {
          try {
            await functions.invoke(target, payload, 'async');
            return;
          } catch (error) {
            const { name, message } = error as Error;
            const more = retry < retries && !(error instanceof FunctionNotFoundError);
            log(`function ${target} failed (${why}): ${name}: ${message}${more ? '; retrying' : ''}`);
            if (!more) return;
            await new Promise((resolve) => setTimeout(resolve, LAMBDA_ASYNC_RETRY_DELAY_MS * 2 ** retry));
          }
        }
      };
      const invocation = attempt().finally(() => invocationsInFlight.delete(invocation));
      invocationsInFlight.add(invocation);
      return invocation;
    };
    /** Whether S3 or EventBridge may invoke a function (name or ARN) for a source, by its Lambda permissions. */
    const serviceMayInvoke = (service: string, target: string, sourceArn: string) =>
      access.serviceMayInvoke(service, functions.find(target)?.arn ?? target, sourceArn, {
        region,
        accountId,
      });
    /** An S3 notification: S3 invokes the function asynchronously, if the function's policy lets it. */
    const notifyFunction = (functionName: string, record: { s3: { bucket: { name: string } } }) => {
      const bucketArn = `arn:aws:s3:::${record.s3.bucket.name}`;
      const decision = serviceMayInvoke('s3.amazonaws.com', functionName, bucketArn);
      if (!decision.allowed) {
        // S3 cannot invoke the function: the event is not delivered (AWS drops it the same way).
        log(`s3: notification to ${functionName} not delivered: ${decision.error.message}`);
        return Promise.resolve();
      }
      return invokeAsync(functionName, { Records: [record] }, 'S3 notification');
    };

    // Step Functions -----------------------------------------------------------
    let defaultBus: LocalEventBus | undefined;
    const stateMachinePrincipal = (stateMachineArn: string) =>
      principalOf('stateMachine', stateMachineArn.slice(stateMachineArn.lastIndexOf(':') + 1));
    const engine: StepFunctionsEngine = new StepFunctionsEngine({
      dataDir: join(dataDir, 'stepfunctions'),
      logger: (message) => log(`stepfunctions: ${message}`),
      onEvent: (notice) => {
        const { executionName, stateMachineName, event } = notice;
        const detail = event as { type: string; stateEnteredEventDetails?: { name?: string } };
        const state = detail.stateEnteredEventDetails?.name;
        if (state || /^Execution/.test(detail.type))
          log(`execution ${stateMachineName}/${executionName}: ${detail.type}${state ? ` ${state}` : ''}`);
        // As Step Functions does for Standard workflows: every status change goes to the default bus.
        const statusChange = executionStatusChangeEvent(notice, (arn) => engine.describeExecution(arn));
        if (statusChange && defaultBus) void defaultBus.putEvents([statusChange]);
      },
      integrations: {
        invokeFunction: async (target, payload, { onQueued, stateMachineArn }) => {
          // The state machine's role must allow lambda:InvokeFunction on the function. Step Functions
          // reports a refusal as Lambda.AWSLambdaException with Lambda's AccessDeniedException as
          // the cause (seen in executions on AWS, for lambda:invoke and function ARN resources alike).
          const decision = access.authorize(
            { kind: 'principal', principal: stateMachinePrincipal(stateMachineArn) },
            integrationRequest(
              'arn:aws:states:::lambda:invoke',
              { FunctionName: functions.find(target)?.arn ?? target },
              { region, accountId },
            ),
          );
          if (!decision.allowed)
            throw new LambdaServiceError(
              'AWSLambdaException',
              `${decision.error.message} (Service: AWSLambda; Status Code: 403; Error Code: AccessDeniedException; Request ID: ${randomUUID()}; Proxy: null)`,
            );
          try {
            return await functions.invoke(target, payload, 'workflow', onQueued ? { onQueued } : {});
          } catch (error) {
            if (error instanceof FunctionTimeoutError) throw new EngineTimeoutError(error.message);
            if (error instanceof FunctionNotFoundError)
              throw new LambdaServiceError('ResourceNotFoundException', error.message);
            if (error instanceof TooManyRequestsError)
              throw new LambdaServiceError('TooManyRequestsException', error.message);
            throw error;
          }
        },
        // Signed with the state machine role's credentials: the local services authorize the call as
        // that role. A refusal fails the task as `<Service>.AccessDeniedException` for aws-sdk
        // integrations (Step Functions' naming of SDK exceptions); the names optimized integrations
        // report for access denied (e.g. DynamoDB's) are not confirmed, the engine keeps the code.
        callService: (service, action, params, { signal, stateMachineArn }) =>
          callService(
            service,
            action,
            params,
            signal,
            access.credentialsFor(stateMachinePrincipal(stateMachineArn)),
          ),
        unsupportedReason: (service, action) => unsupportedServiceReason(service, action),
      },
    });
    engineForCleanup = engine;
    for (const machine of resourcesOfType(stacks, 'AWS::Serverless::StateMachine')) {
      registerStateMachine(engine, machine, options.templatesDir ?? join(options.root, 'templates'));
    }

    // EventBridge ----------------------------------------------------------------
    const buses = new Map<string, LocalEventBus>();
    const pendingStarts = join(dataDir, 'pending-executions.jsonl');
    let engineStopped = false;
    const templateRules = collectRules(stacks);
    const deliver = async (busName: string, targetArn: string, input: string, context: DeliveryContext) => {
      const isFunction = !targetArn.includes(':states:');
      if (isFunction && !functions.find(targetArn))
        throw new FunctionNotFoundError(`Function not found: ${targetArn}`);
      const refusal = deliveryRefusal(busName, targetArn, context);
      if (refusal) throw refusal;
      if (!isFunction) {
        // While the runtime stops, an event for a state machine is kept on disk and started at the next start.
        if (engineStopped)
          appendFileSync(pendingStarts, `${JSON.stringify({ stateMachineArn: targetArn, input })}\n`);
        else engine.startExecution({ stateMachineArn: targetArn, input });
        return;
      }
      // EventBridge invokes a function asynchronously: the delivery succeeds once Lambda has the
      // event; a handler error is retried by Lambda (twice), not by the rule's RetryPolicy.
      invokeAsync(targetArn, JSON.parse(input), 'EventBridge rule');
    };
    const busFor = (name: string) => {
      let bus = buses.get(name);
      if (!bus) {
        bus = new LocalEventBus({
          name,
          dataDir,
          account: accountId,
          region,
          deliver: (targetArn, input, context) => deliver(name, targetArn, input, context),
          onDeliveryFailure: (failure) =>
            log(
              `event ${failure.event['detail-type']} on ${failure.busName}: delivery to ${failure.targetArn} failed after ${failure.attempts} attempts: ${failure.error instanceof Error ? failure.error.message : String(failure.error)}${failure.deadLetterQueue ? ` (sent to dead-letter queue ${failure.deadLetterQueue})` : ''}`,
            ),
          log: (level, message, fields) => {
            if (level === 'info' && message === 'Accepted event') {
              const rules = fields.rules as string[];
              log(
                `event ${String(fields.source)} ${String(fields.detailType)} on ${String(fields.bus)} → ${rules.length > 0 ? rules.join(', ') : 'no rule matched'}`,
              );
            } else if (level === 'warn' && !message.startsWith('Giving up')) {
              log(`eventbridge: ${message} ${JSON.stringify(fields)}`);
            }
          },
        });
        buses.set(name, bus);
      }
      return bus;
    };
    /**
     * Why EventBridge may not deliver to a target, or undefined when it may: a state machine is
     * started as the rule target's role (states:StartExecution), a function is invoked by
     * events.amazonaws.com as the function's Lambda permissions allow for the rule.
     */
    const deliveryRefusal = (busName: string, targetArn: string, context: DeliveryContext) => {
      const rule = templateRules.find(
        (candidate) => candidate.busName === busName && candidate.rule.name === context.ruleName,
      );
      const ruleArn =
        rule?.ruleArn ??
        busFor(busName)
          .listRules()
          .find((r) => r.name === context.ruleName)?.arn;
      if (targetArn.includes(':states:')) {
        const principalName = rule?.targetPrincipals[context.targetId];
        const principal = principalName ? access.principal('eventRuleTarget', principalName) : undefined;
        if (!principal) {
          if (!access.enforce) return undefined;
          const message = `rule ${context.ruleName} target ${context.targetId} has no role to start ${targetArn} with: EventBridge needs the target's RoleArn, an AWS::IAM::Role of the same template`;
          log(`IAM: ${message}`);
          return new TargetPermissionError(message);
        }
        const decision = access.authorize(
          { kind: 'principal', principal },
          {
            service: 'states',
            operation: 'StartExecution',
            params: { stateMachineArn: targetArn },
            region,
            accountId,
          },
        );
        return decision.allowed ? undefined : new TargetPermissionError(decision.error.message);
      }
      const decision = serviceMayInvoke('events.amazonaws.com', targetArn, ruleArn ?? '');
      return decision.allowed ? undefined : new TargetPermissionError(decision.error.message);
    };
    defaultBus = busFor('default');
    for (const bus of resourcesOfType(stacks, 'AWS::Events::EventBus')) busFor(bus.physicalId);
    registerRules(templateRules, busFor);

    // S3 ---------------------------------------------------------------------------
    const bucketResources = resourcesOfType(stacks, 'AWS::S3::Bucket');
    const notifications = collectS3Notifications(stacks);
    const s3: LocalS3 = await startLocalS3({
      dataDir: join(dataDir, 's3'),
      host,
      port: options.ports?.s3 ?? 0,
      region,
      access,
      buckets: bucketResources.map((bucket) => ({
        name: bucket.physicalId,
        corsRules: ((bucket.properties.CorsConfiguration as Properties | undefined)?.CorsRules ??
          []) as never,
        versioned:
          (bucket.properties.VersioningConfiguration as Properties | undefined)?.Status === 'Enabled',
      })),
      // Resolves once Lambda is done with the event (handled, or retries exhausted): until then the
      // local S3 keeps the notification pending and delivers it again after a crash or a stop.
      onObjectCreated: async (record) => {
        const invocations: Promise<void>[] = [];
        const key = decodeS3EventKey(record.s3.object.key);
        for (const notification of notifications) {
          if (notification.bucket !== record.s3.bucket.name) continue;
          if (
            !s3EventMatches(notification.events, record.eventName) ||
            !matchesS3Filter(notification.filter, key)
          )
            continue;
          log(`s3 ${record.eventName} ${record.s3.bucket.name}/${key} → ${notification.functionName}`);
          invocations.push(notifyFunction(notification.functionName, record));
        }
        await Promise.all(invocations);
      },
      log: (line) => log(`s3: ${line}`),
    });
    const closeS3 = once(() => s3.close());
    closers.push(closeS3);
    environment.AWS_ENDPOINT_URL_S3 = s3.endpoint;
    process.env.AWS_ENDPOINT_URL_S3 = s3.endpoint;

    // Services (EventBridge, Step Functions, SES, SNS, Secrets Manager, SSM, Rekognition) --------
    const s3Client = new S3Client({});
    readFromS3 = async (bucket, key) => {
      try {
        const object = await s3Client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return {
          body: await objectBytes(object),
          ...(object.ContentType ? { contentType: object.ContentType } : {}),
          ...(object.CacheControl ? { cacheControl: object.CacheControl } : {}),
          ...(object.ETag ? { etag: object.ETag } : {}),
          ...(object.LastModified ? { lastModified: object.LastModified } : {}),
        };
      } catch (error) {
        if ((error as Error).name === 'NoSuchKey' || (error as Error).name === 'NotFound') return undefined;
        throw error;
      }
    };
    const servicesHandler = createServicesHandler({
      dataDir,
      region,
      accountId,
      topics: resourcesOfType(stacks, 'AWS::SNS::Topic').map((topic) => ({
        arn: topic.physicalId,
        name: topic.physicalId.split(':').pop() ?? topic.logicalId,
      })),
      secrets: secretDeclarations.map((secret) => ({
        arn: secret.arn,
        name: secret.name,
        ...(typeof secret.properties.SecretString === 'string'
          ? { secretString: secret.properties.SecretString }
          : {}),
        ...(secret.properties.GenerateSecretString
          ? { generate: fromGenerateSecretString(secret.properties.GenerateSecretString as never) }
          : {}),
      })),
      parameters: resourcesOfType(stacks, 'AWS::SSM::Parameter').map((parameter) => ({
        name: parameter.physicalId,
        value: String(parameter.properties.Value ?? ''),
        type: (parameter.properties.Type as 'String' | 'StringList' | undefined) ?? 'String',
      })),
      vision: options.vision ?? new DeclaredLabelsVisionEngine({ log }),
      log,
      readObject: async (bucket, key) => {
        const object = await s3Client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return objectBytes(object);
      },
    });
    const cloudFront = createCloudFrontHandler({
      distributionIds: resourcesOfType(stacks, 'AWS::CloudFront::Distribution').map((cdn) => cdn.physicalId),
      log,
    });
    // Each request is verified and authorized by the guard, which hands on the body it read.
    const answerService = (request: IncomingMessage, response: ServerResponse, bodyBytes: Buffer) => {
      const body = bodyBytes.toString('utf8');
      if (isCloudFrontRequest(request)) {
        cloudFront(request, response, body);
        return;
      }
      const target = String(request.headers['x-amz-target'] ?? '');
      if (target.startsWith('AWSEvents.') || target.startsWith('AWSStepFunctions.')) {
        Promise.resolve()
          .then(async () => {
            const answer = target.startsWith('AWSEvents.')
              ? await handleEventBridgeRequest((name) => buses.get(name), target, body)
              : await handleStepFunctionsRequest(engine, target, body);
            response.writeHead(
              answer.statusCode,
              (answer as { headers?: Record<string, string> }).headers ?? {
                'content-type': 'application/x-amz-json-1.0',
              },
            );
            response.end(typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body));
          })
          .catch((error: Error) => {
            log(`services: ${error.stack ?? error.message}`);
            response.writeHead(500, { 'content-type': 'application/json' });
            response.end(JSON.stringify({ __type: 'InternalFailure', message: error.message }));
          });
        return;
      }
      replayed(servicesHandler)(request, response, bodyBytes);
    };
    const services = createServer(guarded(guard, answerService));
    const servicesEndpoint = await listen(services, host, options.ports?.services ?? 0);
    closers.push(() => closeServer(services));
    for (const service of SERVICES_ON_ONE_PORT) {
      environment[`AWS_ENDPOINT_URL_${service}`] = servicesEndpoint;
    }
    Object.assign(process.env, environment);

    /** Deliveries start invocations and invocations put events: settles both until neither has work. */
    const settle = async () => {
      for (;;) {
        await Promise.all([...buses.values()].map((bus) => bus.drain()));
        if (invocationsInFlight.size === 0) return;
        await Promise.allSettled([...invocationsInFlight]);
      }
    };
    /** True once nothing runs (no invocation, queued or running, no delivery) twice in a row, false at the deadline. */
    const quiet = async (deadline: number): Promise<boolean> => {
      let calm = 0;
      while (Date.now() < deadline) {
        const delivered = await Promise.race([
          Promise.all([...buses.values()].map((bus) => bus.drain())).then(() => true),
          sleep(QUIET_POLL_MS).then(() => false),
        ]);
        calm = delivered && functions.pending === 0 && invocationsInFlight.size === 0 ? calm + 1 : 0;
        if (calm >= 2) return true;
        await sleep(QUIET_POLL_MS);
      }
      return false;
    };

    engine.resume();
    startPendingExecutions(engine, pendingStarts, log);
    // Only now: a function environment started earlier would lack the endpoints set above.
    void s3.deliverPending();
    const prebuilt = Date.now();
    void functions
      .prebuild()
      .then(() => log(`functions: every bundle is ready (${Date.now() - prebuilt} ms after start)`));
    return {
      stacks,
      endpoints: { s3: s3.endpoint, dynamodb: dynamodbEndpoint, services: servicesEndpoint },
      cdns,
      environment,
      functions,
      engine,
      buses,
      access,
      close: async () => {
        // 1. Drain: work in flight (function invocations, S3 notifications, event deliveries, the
        //    executions they drive) finishes, up to drainMs.
        const drainMs = options.drainMs ?? DRAIN_MS;
        if (!(await quiet(Date.now() + drainMs))) {
          log(
            `stopping: work still in flight after ${drainMs / 1000} s; running executions resume at the next start`,
          );
        }
        // 2. The engine stops: an execution still running stays RUNNING on disk and resumes at the next start.
        engineStopped = true;
        await engine.close();
        // 3. The S3 front closes; notifications of uploads that landed meanwhile are delivered
        //    (their executions are kept on disk for the next start).
        await closeS3();
        await settle();
        // 4. Then the functions, and the ports the functions used.
        await Promise.all([...buses.values()].map((bus) => bus.close()));
        await closeFunctions();
        for (const close of closers.reverse()) await close();
      },
    };
  } catch (error) {
    await engineForCleanup?.close().catch(() => undefined);
    for (const close of closers.reverse()) await close().catch(() => undefined);
    throw error;
  }
}

/**
 * The packages the templates' layers ship: the dependencies of the package.json in each
 * AWS::Serverless::LayerVersion's ContentUri (what its Makefile installs into /opt/nodejs), when
 * the layers declare them that way.
 */
function layerPackagesOf(
  stacks: readonly ResolvedStack[],
  templateDir: string,
): { layerPackages?: string[] } {
  const names = new Set<string>();
  for (const layer of resourcesOfType(stacks, 'AWS::Serverless::LayerVersion')) {
    const manifest = resolve(templateDir, String(layer.properties.ContentUri ?? '.'), 'package.json');
    if (!existsSync(manifest)) continue;
    const { dependencies } = JSON.parse(readFileSync(manifest, 'utf8')) as {
      dependencies?: Record<string, string>;
    };
    for (const name of Object.keys(dependencies ?? {})) names.add(name);
  }
  return names.size > 0 ? { layerPackages: [...names] } : {};
}

/** The nearest folder at or above `directory` with a package.json: its dependencies are what the layers ship. */
function packageRootOf(directory: string): string {
  for (let current = resolve(directory); ; current = dirname(current)) {
    if (existsSync(join(current, 'package.json'))) return current;
    if (dirname(current) === current) throw new Error(`no package.json at or above ${directory}`);
  }
}

async function createTables(stacks: readonly ResolvedStack[], log: (line: string) => void): Promise<void> {
  const client = new DynamoDBClient({});
  for (const table of resourcesOfType(stacks, 'AWS::DynamoDB::Table')) {
    const { properties } = table;
    const indexes = (properties.GlobalSecondaryIndexes ?? []) as Properties[];
    try {
      await client.send(
        new CreateTableCommand({
          TableName: table.physicalId,
          AttributeDefinitions: properties.AttributeDefinitions as never,
          KeySchema: properties.KeySchema as never,
          BillingMode: 'PAY_PER_REQUEST',
          ...(indexes.length > 0
            ? {
                GlobalSecondaryIndexes: indexes.map((index) => ({
                  IndexName: String(index.IndexName),
                  KeySchema: index.KeySchema as never,
                  Projection: index.Projection as never,
                })),
              }
            : {}),
        }),
      );
      log(`dynamodb table ${table.physicalId} created`);
    } catch (error) {
      if (!(error instanceof ResourceInUseException)) throw error;
    }
  }
  client.destroy();
}

function registerStateMachine(
  engine: StepFunctionsEngine,
  machine: ReturnType<typeof resourcesOfType>[number],
  templatesDir: string,
): void {
  const { properties } = machine;
  let definition: string;
  if (typeof properties.DefinitionUri === 'string') {
    definition = readFileSync(resolve(templatesDir, properties.DefinitionUri), 'utf8');
  } else if (properties.Definition !== undefined) {
    definition = JSON.stringify(properties.Definition);
  } else {
    throw new Error(`${machine.stack.fileName}: ${machine.logicalId} needs DefinitionUri or Definition`);
  }
  const substitutions = (properties.DefinitionSubstitutions ?? {}) as Record<string, unknown>;
  definition = definition.replace(/\$\{([A-Za-z0-9_]+)\}/g, (whole, name: string) =>
    name in substitutions ? String(substitutions[name]) : whole,
  );
  try {
    engine.registerStateMachine({
      arn: machine.physicalId,
      name: machine.physicalId.split(':').pop() ?? machine.logicalId,
      definition,
      type: (properties.Type as 'STANDARD' | 'EXPRESS' | undefined) ?? 'STANDARD',
    });
  } catch (error) {
    const property = typeof properties.DefinitionUri === 'string' ? 'DefinitionUri' : 'Definition';
    throw new TemplateError(
      { fileName: machine.stack.fileName, path: `Resources.${machine.logicalId}.Properties.${property}` },
      (error as Error).message,
    );
  }
}

/** Rules from AWS::Events::Rule resources and SAM EventBridgeRule events of functions and state machines. */
function registerRules(rules: readonly TemplateRule[], busFor: (name: string) => LocalEventBus): void {
  for (const { busName, rule, fileName, path } of rules) {
    try {
      busFor(busName).putRule(rule);
    } catch (error) {
      // An invalid pattern or target input, named by the template property it comes from.
      throw new TemplateError({ fileName, path }, (error as Error).message);
    }
  }
}

interface S3Notification {
  bucket: string;
  events: unknown;
  filter: unknown;
  functionName: string;
}

/** SAM `S3` events of functions: which bucket notifies which function of what. */
function collectS3Notifications(stacks: readonly ResolvedStack[]): S3Notification[] {
  const notifications: S3Notification[] = [];
  for (const fn of resourcesOfType(stacks, 'AWS::Serverless::Function')) {
    const events = (fn.properties.Events ?? {}) as Record<string, { Type?: string; Properties?: Properties }>;
    for (const event of Object.values(events)) {
      if (event.Type !== 'S3') continue;
      notifications.push({
        bucket: String(event.Properties?.Bucket),
        events: event.Properties?.Events,
        filter: event.Properties?.Filter,
        functionName: fn.physicalId,
      });
    }
  }
  return notifications;
}
