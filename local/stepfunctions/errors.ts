/**
 * Error names of the Amazon States Language (spec section "Errors") and the error
 * classes the engine uses: one for failures inside an execution, one for API callers.
 */

export const StatesErrors = {
  All: 'States.ALL',
  DataLimitExceeded: 'States.DataLimitExceeded',
  Runtime: 'States.Runtime',
  Timeout: 'States.Timeout',
  TaskFailed: 'States.TaskFailed',
  Permissions: 'States.Permissions',
  ResultPathMatchFailure: 'States.ResultPathMatchFailure',
  ParameterPathFailure: 'States.ParameterPathFailure',
  BranchFailed: 'States.BranchFailed',
  NoChoiceMatched: 'States.NoChoiceMatched',
  IntrinsicFailure: 'States.IntrinsicFailure',
  HeartbeatTimeout: 'States.HeartbeatTimeout',
  ItemReaderFailed: 'States.ItemReaderFailed',
  ExceedToleratedFailureThreshold: 'States.ExceedToleratedFailureThreshold',
} as const;

/** Errors that end the execution and that no Retry or Catch can handle (States.ALL included). */
const UNCATCHABLE_ERRORS: ReadonlySet<string> = new Set([
  StatesErrors.Runtime,
  StatesErrors.DataLimitExceeded,
]);

export function isCatchableError(errorName: string): boolean {
  return !UNCATCHABLE_ERRORS.has(errorName);
}

/** A failure inside an execution: an ASL error name (`Error`) and an optional `Cause`. */
export class StatesError extends Error {
  readonly error: string;
  override readonly cause: string | undefined;

  constructor(error: string, cause?: string) {
    super(cause ? `${error}: ${cause}` : error);
    this.name = 'StatesError';
    this.error = error;
    this.cause = cause;
  }
}

/** Codes the Step Functions API answers with (`__type` of an error body). */
export type StepFunctionsErrorCode =
  | 'ExecutionAlreadyExists'
  | 'ExecutionDoesNotExist'
  | 'ExecutionLimitExceeded'
  | 'InvalidArn'
  | 'InvalidDefinition'
  | 'InvalidExecutionInput'
  | 'InvalidName'
  | 'InvalidOutput'
  | 'InvalidToken'
  | 'StateMachineAlreadyExists'
  | 'StateMachineDoesNotExist'
  | 'TaskDoesNotExist'
  | 'TaskTimedOut'
  | 'ValidationException';

/** An error the Step Functions API reports to its caller (HTTP 400, `__type` = code). */
export class StepFunctionsApiError extends Error {
  readonly code: StepFunctionsErrorCode;

  constructor(code: StepFunctionsErrorCode, message: string) {
    super(message);
    this.name = 'StepFunctionsApiError';
    this.code = code;
  }
}
