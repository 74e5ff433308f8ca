import type { StateMachineDefinition } from './definition';
import type { StoredHistoryEvent } from './history';

/** What the engine keeps (and persists) about one execution. */

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export type StateMachineType = 'STANDARD' | 'EXPRESS';

/** Something a state (top-level or in a branch or iteration) is waiting for, persisted so a restarted engine can pick it up. */
export type PendingWait =
  /** A Wait state sleeping until `wakeAt`. */
  | { kind: 'wait'; wakeAt: number }
  /** A retry back-off; the task runs again at `wakeAt`. */
  | { kind: 'backoff'; wakeAt: number }
  /** A task in flight; with a token it waits for SendTaskSuccess/Failure, without one it is run again. */
  | { kind: 'task'; token?: string; timeoutAt?: number; heartbeatAt?: number };

/** Where a state stands: enough to re-enter it after a restart. */
export interface StatePosition {
  stateName: string;
  /** The raw state input. */
  input: unknown;
  enteredTime: number;
  /** Retries made so far, per retrier of the state. */
  retriesByRetrier: number[];
  /** All retries of this state entry ($$.State.RetryCount). */
  retryCount: number;
  pending?: PendingWait;
}

/**
 * Progress of one Parallel branch or Map iteration, persisted so a restart resumes it: where it
 * stands (including a task token wait), or its output once it has finished.
 */
export type NestedProgress =
  | { position: StatePosition }
  /** `failed`: a Map iteration whose failure its ToleratedFailure* fields let pass (output is the error). */
  | { done: true; output: unknown; failed?: true };

export interface ExecutionRecord {
  executionArn: string;
  stateMachineArn: string;
  stateMachineName: string;
  stateMachineType: StateMachineType;
  roleArn: string;
  name: string;
  status: ExecutionStatus;
  /** Input as JSON text. */
  input: string;
  output?: string;
  error?: string;
  cause?: string;
  startDate: number;
  stopDate?: number;
  /** Absolute time (ms) at which the execution times out (definition TimeoutSeconds). */
  deadline?: number;
  definition: StateMachineDefinition;
  history: StoredHistoryEvent[];
  /** The current top-level state while RUNNING. */
  position?: StatePosition;
  /**
   * Branches and iterations of the Parallel and Map states in progress, by path: state name and
   * index, nested ones after their parent's (`Each[2]/`, `Checks[0]/Each[1]/`).
   */
  nested?: Record<string, NestedProgress>;
  /** Task tokens that have been answered or expired. */
  closedTokens: string[];
}
