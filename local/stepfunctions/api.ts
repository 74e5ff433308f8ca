import type { StepFunctionsEngine } from './engine';
import { StepFunctionsApiError } from './errors';
import type { ExecutionStatus } from './execution-record';
import { isJsonObject } from './json-values';

/**
 * The Step Functions JSON API (awsJson1_0: `POST /`, `X-Amz-Target:
 * AWSStepFunctions.<Action>`) on top of the engine. Timestamps travel as epoch seconds.
 */

export interface StepFunctionsApiResponse {
  statusCode: number;
  body: string;
  headers: Record<string, string>;
}

export const STEP_FUNCTIONS_CONTENT_TYPE = 'application/x-amz-json-1.0';
const TARGET_PREFIX = 'AWSStepFunctions.';

type Body = Record<string, unknown>;

class RequestError extends Error {
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.name = 'RequestError';
    this.code = code;
  }
}

function requireString(body: Body, field: string): string {
  const value = body[field];
  if (typeof value !== 'string' || value.length === 0) {
    throw new RequestError(
      'ValidationException',
      `1 validation error detected: Value at '${field}' failed to satisfy constraint: Member must not be null`,
    );
  }
  return value;
}

function optionalString(body: Body, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new RequestError('ValidationException', `'${field}' must be a string`);
  return value;
}

function optionalNumber(body: Body, field: string): number | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number') throw new RequestError('ValidationException', `'${field}' must be a number`);
  return value;
}

function optionalBoolean(body: Body, field: string): boolean | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean')
    throw new RequestError('ValidationException', `'${field}' must be a boolean`);
  return value;
}

/** Dates become epoch seconds, the awsJson timestamp format. */
function toWire(value: unknown): unknown {
  if (value instanceof Date) return value.getTime() / 1000;
  if (Array.isArray(value)) return value.map(toWire);
  if (isJsonObject(value)) {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, field]) => field !== undefined)
        .map(([key, field]) => [key, toWire(field)]),
    );
  }
  return value;
}

const EXECUTION_STATUSES: readonly ExecutionStatus[] = [
  'RUNNING',
  'SUCCEEDED',
  'FAILED',
  'TIMED_OUT',
  'ABORTED',
];

type Operation = (engine: StepFunctionsEngine, body: Body) => unknown;

const OPERATIONS: Record<string, Operation> = {
  StartExecution: (engine, body) =>
    engine.startExecution({
      stateMachineArn: requireString(body, 'stateMachineArn'),
      name: optionalString(body, 'name'),
      input: optionalString(body, 'input'),
    }),
  DescribeExecution: (engine, body) => engine.describeExecution(requireString(body, 'executionArn')),
  ListExecutions: (engine, body) => {
    const statusFilter = optionalString(body, 'statusFilter');
    if (statusFilter !== undefined && !EXECUTION_STATUSES.includes(statusFilter as ExecutionStatus)) {
      throw new RequestError('ValidationException', `Invalid statusFilter '${statusFilter}'`);
    }
    return engine.listExecutions({
      stateMachineArn: requireString(body, 'stateMachineArn'),
      statusFilter: statusFilter as ExecutionStatus | undefined,
      maxResults: optionalNumber(body, 'maxResults'),
      nextToken: optionalString(body, 'nextToken'),
    });
  },
  GetExecutionHistory: (engine, body) =>
    engine.getExecutionHistory({
      executionArn: requireString(body, 'executionArn'),
      maxResults: optionalNumber(body, 'maxResults'),
      nextToken: optionalString(body, 'nextToken'),
      reverseOrder: optionalBoolean(body, 'reverseOrder'),
      includeExecutionData: optionalBoolean(body, 'includeExecutionData'),
    }),
  StopExecution: (engine, body) =>
    engine.stopExecution({
      executionArn: requireString(body, 'executionArn'),
      error: optionalString(body, 'error'),
      cause: optionalString(body, 'cause'),
    }),
  SendTaskSuccess: (engine, body) => {
    engine.sendTaskSuccess(requireString(body, 'taskToken'), requireString(body, 'output'));
    return {};
  },
  SendTaskFailure: (engine, body) => {
    engine.sendTaskFailure(
      requireString(body, 'taskToken'),
      optionalString(body, 'error'),
      optionalString(body, 'cause'),
    );
    return {};
  },
  SendTaskHeartbeat: (engine, body) => {
    engine.sendTaskHeartbeat(requireString(body, 'taskToken'));
    return {};
  },
  DescribeStateMachine: (engine, body) => engine.describeStateMachine(requireString(body, 'stateMachineArn')),
  ListStateMachines: (engine) => ({
    stateMachines: engine.listStateMachines().map(({ stateMachineArn, name, type, creationDate }) => ({
      stateMachineArn,
      name,
      type,
      creationDate,
    })),
  }),
};

function respond(statusCode: number, payload: unknown): StepFunctionsApiResponse {
  return {
    statusCode,
    body: JSON.stringify(payload),
    headers: { 'Content-Type': STEP_FUNCTIONS_CONTENT_TYPE },
  };
}

function errorResponse(code: string, message: string, statusCode = 400): StepFunctionsApiResponse {
  return respond(statusCode, { __type: code, message });
}

/** Answers one Step Functions API call; `target` is the X-Amz-Target header, `bodyJson` the request body. */
export function handleStepFunctionsRequest(
  engine: StepFunctionsEngine,
  target: string,
  bodyJson: string,
): StepFunctionsApiResponse {
  const action = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : undefined;
  const operation = action === undefined ? undefined : OPERATIONS[action];
  if (!operation) return errorResponse('UnknownOperationException', `Unknown operation ${target}`);
  let body: unknown;
  try {
    body = bodyJson.trim() === '' ? {} : JSON.parse(bodyJson);
  } catch {
    return errorResponse('SerializationException', 'The request body is not valid JSON');
  }
  if (!isJsonObject(body))
    return errorResponse('SerializationException', 'The request body must be a JSON object');
  try {
    return respond(200, toWire(operation(engine, body)));
  } catch (error) {
    if (error instanceof StepFunctionsApiError || error instanceof RequestError) {
      return errorResponse(error.code, error.message);
    }
    return errorResponse('InternalFailure', (error as Error)?.message ?? String(error), 500);
  }
}
