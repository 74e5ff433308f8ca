import type { Catcher, Retrier } from './definition';
import { isCatchableError, StatesErrors } from './errors';

/** Matching errors against Retry and Catch fields, and the back-off before each retry. */

export const RETRY_DEFAULTS = { IntervalSeconds: 1, MaxAttempts: 3, BackoffRate: 2.0 } as const;

/** A missed heartbeat is a kind of timeout: States.Timeout matches States.HeartbeatTimeout too. */
function isTimeout(errorName: string): boolean {
  return errorName === StatesErrors.Timeout || errorName === StatesErrors.HeartbeatTimeout;
}

/** True when `errorName` is listed in `errorEquals`, or covered by States.ALL (any error),
 * States.Timeout (States.HeartbeatTimeout too) or States.TaskFailed (any error but a timeout).
 * States.Runtime and States.DataLimitExceeded are never matched. */
export function errorMatches(errorEquals: readonly string[], errorName: string): boolean {
  if (!isCatchableError(errorName)) return false;
  return errorEquals.some((candidate) => {
    if (candidate === errorName || candidate === StatesErrors.All) return true;
    if (candidate === StatesErrors.Timeout) return isTimeout(errorName);
    return candidate === StatesErrors.TaskFailed && !isTimeout(errorName);
  });
}

/** Index of the first retrier whose ErrorEquals matches, if any. */
export function findRetrierIndex(
  retriers: readonly Retrier[] | undefined,
  errorName: string,
): number | undefined {
  const index = (retriers ?? []).findIndex((retrier) => errorMatches(retrier.ErrorEquals, errorName));
  return index === -1 ? undefined : index;
}

export function findCatcher(
  catchers: readonly Catcher[] | undefined,
  errorName: string,
): Catcher | undefined {
  return (catchers ?? []).find((catcher) => errorMatches(catcher.ErrorEquals, errorName));
}

export function maxAttempts(retrier: Retrier): number {
  return retrier.MaxAttempts ?? RETRY_DEFAULTS.MaxAttempts;
}

/**
 * Delay before retry number `retriesSoFar + 1` of this retrier: IntervalSeconds ×
 * BackoffRate^retriesSoFar, capped by MaxDelaySeconds; FULL jitter picks uniformly in [0, delay].
 */
export function retryDelayMs(
  retrier: Retrier,
  retriesSoFar: number,
  random: () => number = Math.random,
): number {
  const interval = retrier.IntervalSeconds ?? RETRY_DEFAULTS.IntervalSeconds;
  const backoff = retrier.BackoffRate ?? RETRY_DEFAULTS.BackoffRate;
  let seconds = interval * backoff ** retriesSoFar;
  if (retrier.MaxDelaySeconds !== undefined) seconds = Math.min(seconds, retrier.MaxDelaySeconds);
  if (retrier.JitterStrategy === 'FULL') seconds *= random();
  return Math.round(seconds * 1000);
}
