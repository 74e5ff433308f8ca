/**
 * What the engine needs from the outside world to run Task states. The runtime
 * implements it: Lambda functions run in-process, services are the local stand-ins.
 */

export interface InvokeFunctionOptions {
  /** Aborted when the task times out, the execution stops or the engine closes. */
  signal: AbortSignal;
  /** The state machine whose Task invokes the function: its role must allow lambda:InvokeFunction. */
  stateMachineArn: string;
  /**
   * An integration that must queue the invocation before the function runs (a local stand-in for
   * capacity AWS would simply have) calls this, synchronously, with a promise that settles when
   * the function starts: the task's TimeoutSeconds then counts from that moment, as it would in
   * AWS, where the invocation would not have waited at all.
   */
  onQueued?: (started: Promise<void>) => void;
}

export interface CallServiceOptions {
  signal: AbortSignal;
  /** The state machine whose Task calls the service: the call is signed as its role. */
  stateMachineArn: string;
  /** `optimized` for `arn:aws:states:::dynamodb:putItem`, `aws-sdk` for `arn:aws:states:::aws-sdk:s3:getObject`. */
  integration: 'optimized' | 'aws-sdk';
}

export interface Integrations {
  /**
   * Runs a Lambda function and resolves with what its handler returned. When the handler
   * throws, reject with that error: its `name` becomes the task's Error (e.g.
   * `CorruptImageError`). An error with Lambda's report of the handler's error as fields
   * (`errorType`, `errorMessage`, `trace: string[]`) gives the Cause exactly that report, so a
   * wrapper error can carry the handler's trace. Reject with `FunctionTimeoutError` when the function runs past
   * its timeout, and with `LambdaServiceError` when Lambda itself fails (unknown function…).
   */
  invokeFunction(
    functionNameOrArn: string,
    payload: unknown,
    options: InvokeFunctionOptions,
  ): Promise<unknown>;
  /**
   * Calls a service action, e.g. `('dynamodb', 'PutItem', { TableName, Item })`. Reject
   * with an error whose `name` is the AWS exception name (e.g.
   * `ConditionalCheckFailedException`); SDK v3 service exceptions qualify as they are.
   */
  callService(
    service: string,
    action: string,
    params: Record<string, unknown>,
    options: CallServiceOptions,
  ): Promise<unknown>;
  /**
   * Optional: why `callService` cannot carry out `service:action` (undefined when it can). The
   * engine asks when a state machine is registered and refuses a definition with a Task it could
   * never run. `callService` should reject such calls with `UnsupportedIntegrationError`.
   */
  unsupportedReason?(
    service: string,
    action: string,
    integration: CallServiceOptions['integration'],
  ): string | undefined;
}

/**
 * The integrations cannot call this service or action at all (not a failure of the service).
 * The task fails with States.Runtime, which no Retry or Catch handles, as for any Task whose
 * Resource Step Functions cannot run.
 */
export class UnsupportedIntegrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedIntegrationError';
  }
}

/** A Lambda function ran past its configured timeout (reported as `Sandbox.Timedout`). */
export class FunctionTimeoutError extends Error {
  constructor(message = 'Task timed out') {
    super(message);
    this.name = 'FunctionTimeoutError';
  }
}

/** The Lambda service refused the invocation (reported as `Lambda.<code>`, e.g. `Lambda.ResourceNotFoundException`). */
export class LambdaServiceError extends Error {
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.name = 'LambdaServiceError';
    this.code = code;
  }
}

/** Integrations that refuse everything: for state machines that only use Pass/Choice/Wait… */
export const noIntegrations: Integrations = {
  invokeFunction: async (name) => {
    throw new LambdaServiceError('ResourceNotFoundException', `Function not found: ${name}`);
  },
  callService: async (service, action) => {
    const error = new Error(`No local integration for ${service}:${action}`);
    error.name = 'UnsupportedOperationException';
    throw error;
  },
};
