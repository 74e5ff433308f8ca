/** The local Step Functions engine: an Amazon States Language (JSONPath) interpreter. */
export { handleStepFunctionsRequest } from './api';
export { type Clock, ManualClock, systemClock } from './clock';
export {
  type ExecutionDescription,
  type ExecutionEventNotice,
  type ExecutionListItem,
  type RegisterStateMachineInput,
  type StartExecutionInput,
  type StateMachineDescription,
  StepFunctionsEngine,
  type StepFunctionsEngineOptions,
} from './engine';
export { StatesError, StatesErrors, StepFunctionsApiError, type StepFunctionsErrorCode } from './errors';
export type { ExecutionStatus, StateMachineType } from './execution-record';
export type { HistoryEvent } from './history';
export {
  FunctionTimeoutError,
  type Integrations,
  LambdaServiceError,
  noIntegrations,
  UnsupportedIntegrationError,
} from './integrations';
export { parseDefinition } from './validate';
