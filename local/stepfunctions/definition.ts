/** The shape of an ASL definition (JSONPath query language) as the interpreter reads it. */

export interface Retrier {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  MaxAttempts?: number;
  BackoffRate?: number;
  MaxDelaySeconds?: number;
  JitterStrategy?: 'FULL' | 'NONE';
  Comment?: string;
}

export interface Catcher {
  ErrorEquals: string[];
  Next: string;
  ResultPath?: string | null;
  Comment?: string;
}

/** One Choice rule; top-level rules carry `Next`, nested ones do not. */
export interface ChoiceRule {
  Next?: string;
  Variable?: string;
  And?: ChoiceRule[];
  Or?: ChoiceRule[];
  Not?: ChoiceRule;
  Comment?: string;
  [comparator: string]: unknown;
}

interface BaseState {
  Type: string;
  Comment?: string;
  QueryLanguage?: string;
  InputPath?: string | null;
  OutputPath?: string | null;
  Next?: string;
  End?: boolean;
}

export interface TaskState extends BaseState {
  Type: 'Task';
  Resource: string;
  Parameters?: unknown;
  ResultSelector?: unknown;
  ResultPath?: string | null;
  Retry?: Retrier[];
  Catch?: Catcher[];
  TimeoutSeconds?: number;
  TimeoutSecondsPath?: string;
  HeartbeatSeconds?: number;
  HeartbeatSecondsPath?: string;
  Credentials?: unknown;
}

export interface PassState extends BaseState {
  Type: 'Pass';
  Result?: unknown;
  ResultPath?: string | null;
  Parameters?: unknown;
}

export interface ChoiceState extends BaseState {
  Type: 'Choice';
  Choices: ChoiceRule[];
  Default?: string;
}

export interface WaitState extends BaseState {
  Type: 'Wait';
  Seconds?: number;
  Timestamp?: string;
  SecondsPath?: string;
  TimestampPath?: string;
}

export interface SucceedState extends BaseState {
  Type: 'Succeed';
}

export interface FailState extends BaseState {
  Type: 'Fail';
  Error?: string;
  ErrorPath?: string;
  Cause?: string;
  CausePath?: string;
}

export interface StateMachineBody {
  StartAt: string;
  States: Record<string, State>;
  Comment?: string;
  ProcessorConfig?: { Mode?: 'INLINE' | 'DISTRIBUTED'; ExecutionType?: string };
}

export interface ParallelState extends BaseState {
  Type: 'Parallel';
  Branches: StateMachineBody[];
  Parameters?: unknown;
  ResultSelector?: unknown;
  ResultPath?: string | null;
  Retry?: Retrier[];
  Catch?: Catcher[];
}

export interface MapState extends BaseState {
  Type: 'Map';
  ItemProcessor?: StateMachineBody;
  Iterator?: StateMachineBody;
  ItemsPath?: string;
  ItemSelector?: unknown;
  Parameters?: unknown;
  MaxConcurrency?: number;
  MaxConcurrencyPath?: string;
  ToleratedFailureCount?: number;
  ToleratedFailureCountPath?: string;
  ToleratedFailurePercentage?: number;
  ToleratedFailurePercentagePath?: string;
  ResultSelector?: unknown;
  ResultPath?: string | null;
  Retry?: Retrier[];
  Catch?: Catcher[];
}

export type State =
  | TaskState
  | PassState
  | ChoiceState
  | WaitState
  | SucceedState
  | FailState
  | ParallelState
  | MapState;

export interface StateMachineDefinition extends StateMachineBody {
  Version?: string;
  TimeoutSeconds?: number;
  QueryLanguage?: string;
}

export type StateType = State['Type'];

export const STATE_TYPES: readonly StateType[] = [
  'Task',
  'Pass',
  'Choice',
  'Wait',
  'Succeed',
  'Fail',
  'Parallel',
  'Map',
];

/** The states a Map state runs for each item (ItemProcessor, or the legacy Iterator). */
export function mapProcessor(state: MapState): StateMachineBody {
  const processor = state.ItemProcessor ?? state.Iterator;
  if (!processor) throw new Error('A Map state needs an ItemProcessor');
  return processor;
}
