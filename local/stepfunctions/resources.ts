import { randomUUID } from 'node:crypto';
import { StatesError, StatesErrors } from './errors';
import {
  FunctionTimeoutError,
  type Integrations,
  LambdaServiceError,
  UnsupportedIntegrationError,
} from './integrations';
import { isJsonObject } from './json-values';

/** A Task state's Resource ARN, parsed into what the engine must do. */
export type TaskResource =
  | { kind: 'lambda-function'; arn: string; functionName: string }
  | {
      kind: 'lambda-invoke' | 'optimized' | 'aws-sdk';
      arn: string;
      service: string;
      /** camelCase action as written in the ARN (`putItem`). */
      action: string;
      waitForTaskToken: boolean;
    };

export class UnsupportedResourceError extends Error {
  constructor(resource: string, reason: string) {
    super(`Unsupported Task Resource '${resource}': ${reason}`);
    this.name = 'UnsupportedResourceError';
  }
}

const LAMBDA_FUNCTION_ARN =
  /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:([A-Za-z0-9_-]+)(?::[A-Za-z0-9$_-]+)?$/;
const STATES_INTEGRATION_ARN = /^arn:aws[a-z-]*:states:::(.+)$/;

export function parseResource(arn: string): TaskResource {
  const lambda = LAMBDA_FUNCTION_ARN.exec(arn);
  if (lambda?.[1]) return { kind: 'lambda-function', arn, functionName: lambda[1] };
  if (/^arn:aws[a-z-]*:states:[^:]*:\d*:activity:/.test(arn)) {
    throw new UnsupportedResourceError(arn, 'activities are not supported by the local engine');
  }
  const integration = STATES_INTEGRATION_ARN.exec(arn)?.[1];
  if (!integration)
    throw new UnsupportedResourceError(arn, 'not a Lambda function or service integration ARN');
  const [target, pattern, ...extra] = integration.split('.');
  if (extra.length > 0 || (pattern !== undefined && pattern !== 'waitForTaskToken')) {
    throw new UnsupportedResourceError(
      arn,
      `the integration pattern '.${[pattern, ...extra].join('.')}' is not supported locally`,
    );
  }
  const waitForTaskToken = pattern === 'waitForTaskToken';
  const parts = (target ?? '').split(':');
  if (parts[0] === 'aws-sdk' && parts.length === 3 && parts[1] && parts[2]) {
    return { kind: 'aws-sdk', arn, service: parts[1], action: parts[2], waitForTaskToken };
  }
  if (parts.length === 2 && parts[0] && parts[1]) {
    const kind = parts[0] === 'lambda' && parts[1] === 'invoke' ? 'lambda-invoke' : 'optimized';
    return { kind, arn, service: parts[0], action: parts[1], waitForTaskToken };
  }
  throw new UnsupportedResourceError(arn, 'expected arn:aws:states:::service:action');
}

/** `resourceType` and `resource` as Task* history events report them. */
export function describeResource(resource: TaskResource): { resourceType: string; resource: string } {
  if (resource.kind === 'lambda-function') return { resourceType: 'lambda', resource: resource.arn };
  const suffix = resource.waitForTaskToken ? '.waitForTaskToken' : '';
  const resourceType = resource.kind === 'aws-sdk' ? `aws-sdk:${resource.service}` : resource.service;
  return { resourceType, resource: `${resource.action}${suffix}` };
}

export function pascalCase(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}

/** Service prefixes of error names, as Step Functions spells them. */
const OPTIMIZED_ERROR_PREFIX: Record<string, string> = {
  dynamodb: 'DynamoDB',
  sns: 'SNS',
  sqs: 'SQS',
  events: 'EventBridge',
  lambda: 'Lambda',
  states: 'StepFunctions',
};

/**
 * Exceptions the JavaScript SDK names differently from the names optimized integrations report
 * (Step Functions uses the Java SDK's exception classes).
 */
const OPTIMIZED_ERROR_NAMES: Record<string, string> = {
  'DynamoDB.InternalServerError': 'InternalServerErrorException',
};

const AWS_SDK_ERROR_PREFIX: Record<string, string> = {
  acmpca: 'AcmPca',
  apigateway: 'ApiGateway',
  cloudwatch: 'CloudWatch',
  cloudwatchlogs: 'CloudWatchLogs',
  dynamodb: 'DynamoDb',
  ec2: 'Ec2',
  eventbridge: 'EventBridge',
  lambda: 'Lambda',
  rekognition: 'Rekognition',
  s3: 'S3',
  secretsmanager: 'SecretsManager',
  ses: 'Ses',
  sesv2: 'SesV2',
  sfn: 'Sfn',
  sns: 'Sns',
  sqs: 'Sqs',
  ssm: 'Ssm',
};

interface ErrorLike {
  name?: unknown;
  message?: unknown;
  stack?: unknown;
  $metadata?: { httpStatusCode?: number; requestId?: string };
}

function errorName(error: unknown): string {
  const name = (error as ErrorLike | null)?.name;
  return typeof name === 'string' && name ? name : 'Error';
}

function errorMessage(error: unknown): string {
  const message = (error as ErrorLike | null)?.message;
  return typeof message === 'string' ? message : String(error);
}

/** A Lambda function's failure: Error = its errorType, Cause = the JSON Lambda reports. */
export function functionFailure(error: unknown): StatesError {
  if (error instanceof StatesError) return error;
  if (error instanceof LambdaServiceError) {
    return new StatesError(`Lambda.${error.code}`, error.message);
  }
  if (error instanceof FunctionTimeoutError) {
    const cause = {
      errorType: 'Sandbox.Timedout',
      errorMessage: `RequestId: ${randomUUID()} Error: ${error.message}`,
    };
    return new StatesError('Sandbox.Timedout', JSON.stringify(cause));
  }
  const report = lambdaErrorReport(error);
  return new StatesError(report.errorType, JSON.stringify(report));
}

/**
 * `{ errorType, errorMessage, trace }` as Lambda reports a handler's error. An error that already
 * carries that report (the runtime's FunctionError wraps the handler's error in one) is taken as
 * it is, so the trace is the handler's, not the stack of the wrapper; any other error is reported
 * from its own name, message and stack.
 */
function lambdaErrorReport(error: unknown): { errorType: string; errorMessage: string; trace: string[] } {
  const carried = (error ?? {}) as { errorType?: unknown; errorMessage?: unknown; trace?: unknown };
  const stack = (error as ErrorLike | null)?.stack;
  const carriedTrace =
    Array.isArray(carried.trace) && carried.trace.every((line) => typeof line === 'string')
      ? (carried.trace as string[])
      : undefined;
  return {
    errorType:
      typeof carried.errorType === 'string' && carried.errorType ? carried.errorType : errorName(error),
    errorMessage: typeof carried.errorMessage === 'string' ? carried.errorMessage : errorMessage(error),
    trace: carriedTrace ?? (typeof stack === 'string' ? stack.split('\n') : []),
  };
}

/** Why the engine cannot run `resource` with these integrations, or undefined when it can. */
export function unsupportedReason(resource: TaskResource, integrations: Integrations): string | undefined {
  if (resource.kind === 'lambda-function' || resource.kind === 'lambda-invoke') return undefined;
  return integrations.unsupportedReason?.(resource.service, pascalCase(resource.action), resource.kind);
}

/** The uncatchable failure of a Task whose Resource the local integrations cannot run. */
export function unsupportedResourceFailure(resource: TaskResource, reason: string): StatesError {
  return new StatesError(
    StatesErrors.Runtime,
    `The local runtime cannot run the Task Resource '${resource.arn}': ${reason}`,
  );
}

/** A service integration's failure, named `<Service>.<Exception>` as Step Functions does. */
export function serviceFailure(resource: TaskResource, error: unknown): StatesError {
  if (error instanceof StatesError) return error;
  if (error instanceof UnsupportedIntegrationError)
    return unsupportedResourceFailure(resource, error.message);
  if (resource.kind === 'lambda-function' || resource.kind === 'lambda-invoke') return functionFailure(error);
  const service = resource.service.toLowerCase();
  const prefix =
    resource.kind === 'aws-sdk'
      ? (AWS_SDK_ERROR_PREFIX[service] ?? pascalCase(service))
      : (OPTIMIZED_ERROR_PREFIX[service] ?? pascalCase(service));
  let name = errorName(error);
  if (name.startsWith(`${prefix}.`)) name = name.slice(prefix.length + 1);
  if (resource.kind === 'optimized') name = OPTIMIZED_ERROR_NAMES[`${prefix}.${name}`] ?? name;
  if (resource.kind === 'aws-sdk' && !name.endsWith('Exception')) name = `${name}Exception`;
  const metadata = (error as ErrorLike | null)?.$metadata;
  const status = metadata?.httpStatusCode ?? 400;
  const requestId = metadata?.requestId ?? randomUUID();
  const cause = `${errorMessage(error)} (Service: ${prefix}, Status Code: ${status}, Error Code: ${errorName(error)}, Request ID: ${requestId})`;
  return new StatesError(`${prefix}.${name}`, cause);
}

function lambdaInvokeResult(payload: unknown, statusCode: number): Record<string, unknown> {
  const requestId = randomUUID();
  const headers = {
    'Content-Type': 'application/json',
    Date: new Date().toUTCString(),
    'X-Amz-Executed-Version': '$LATEST',
    'x-amzn-Remapped-Content-Length': '0',
    'x-amzn-RequestId': requestId,
  };
  return {
    ExecutedVersion: '$LATEST',
    Payload: payload,
    SdkHttpMetadata: {
      AllHttpHeaders: Object.fromEntries(Object.entries(headers).map(([key, value]) => [key, [value]])),
      HttpHeaders: headers,
      HttpStatusCode: statusCode,
    },
    SdkResponseMetadata: { RequestId: requestId },
    StatusCode: statusCode,
  };
}

/** Calls the integration behind `resource` with the task's effective parameters. */
export async function invokeResource(
  resource: TaskResource,
  parameters: unknown,
  integrations: Integrations,
  call: { signal: AbortSignal; stateMachineArn: string },
  onQueued?: (started: Promise<void>) => void,
): Promise<unknown> {
  const { signal, stateMachineArn } = call;
  const options = { signal, stateMachineArn, ...(onQueued && { onQueued }) };
  if (resource.kind === 'lambda-function') {
    try {
      return await integrations.invokeFunction(resource.arn, parameters, options);
    } catch (error) {
      throw functionFailure(error);
    }
  }
  const params = isJsonObject(parameters) ? parameters : {};
  if (resource.kind === 'lambda-invoke') {
    const functionName = params.FunctionName;
    if (typeof functionName !== 'string') {
      throw new StatesError(
        StatesErrors.Runtime,
        'The Parameters of lambda:invoke must include FunctionName',
      );
    }
    const payload = params.Payload ?? {};
    if (params.InvocationType === 'Event') {
      integrations.invokeFunction(functionName, payload, { signal, stateMachineArn }).catch(() => undefined);
      return lambdaInvokeResult('', 202);
    }
    try {
      return lambdaInvokeResult(await integrations.invokeFunction(functionName, payload, options), 200);
    } catch (error) {
      throw functionFailure(error);
    }
  }
  let result: unknown;
  try {
    result = await integrations.callService(
      resource.service,
      pascalCase(resource.action),
      apiParameters(resource, params),
      { signal, stateMachineArn, integration: resource.kind },
    );
  } catch (error) {
    throw serviceFailure(resource, error);
  }
  if (isOptimizedPutEvents(resource) && isJsonObject(result) && Number(result.FailedEntryCount ?? 0) > 0) {
    // The optimized EventBridge integration fails the task when any entry was not accepted.
    throw new StatesError('EventBridge.FailedEntry', JSON.stringify(result));
  }
  return result;
}

/**
 * What the optimized integrations send to the service API: EventBridge `Detail` and SNS `Message`
 * may be given as JSON objects in the state machine and are sent as JSON text.
 */
function apiParameters(resource: TaskResource, params: Record<string, unknown>): Record<string, unknown> {
  if (resource.kind !== 'optimized') return params;
  const asText = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));
  if (isOptimizedPutEvents(resource) && Array.isArray(params.Entries)) {
    return {
      ...params,
      Entries: params.Entries.map((entry) =>
        isJsonObject(entry) && entry.Detail !== undefined
          ? { ...entry, Detail: asText(entry.Detail) }
          : entry,
      ),
    };
  }
  if (resource.service === 'sns' && resource.action === 'publish' && params.Message !== undefined) {
    return { ...params, Message: asText(params.Message) };
  }
  return params;
}

function isOptimizedPutEvents(resource: TaskResource): boolean {
  return resource.kind === 'optimized' && resource.service === 'events' && resource.action === 'putEvents';
}
