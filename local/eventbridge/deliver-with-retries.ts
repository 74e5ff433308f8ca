/** Outcome of delivering one input to one target, after any retries. */
export type DeliveryOutcome =
  | { delivered: true; attempts: number }
  | {
      delivered: false;
      attempts: number;
      error: unknown;
      /** Which limit ended the retries, as EventBridge names it; `Abandoned` when the bus closed. */
      exhausted: 'MaximumRetryAttemptsExhausted' | 'MaximumEventAgeExhausted' | 'Abandoned';
    };

export interface RetrySchedule {
  /** Retries after the first attempt. */
  maximumRetryAttempts: number;
  /** Delay before the first retry; each further retry waits twice as long. */
  baseDelayMs: number;
  /** Stop retrying once this moment has passed (the event's maximum age). */
  giveUpAt?: number;
  now: () => number;
  /** Aborted when the bus closes: a delivery waiting to retry gives up instead. */
  signal?: AbortSignal;
}

/** Resolves after `ms`, or as soon as `signal` aborts. */
function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Calls `attempt` until it resolves, retrying failures with exponential back-off as the schedule
 * allows. An error with `retryable: false` (a missing permission, as EventBridge treats it) is not
 * retried: the delivery fails at once.
 */
export async function deliverWithRetries(
  attempt: () => Promise<unknown>,
  schedule: RetrySchedule,
): Promise<DeliveryOutcome> {
  let attempts = 0;
  for (;;) {
    attempts++;
    try {
      await attempt();
      return { delivered: true, attempts };
    } catch (error) {
      if ((error as { retryable?: unknown } | null)?.retryable === false)
        return { delivered: false, attempts, error, exhausted: 'MaximumRetryAttemptsExhausted' };
      const delayMs = schedule.baseDelayMs * 2 ** (attempts - 1);
      const tooOld = schedule.giveUpAt !== undefined && schedule.now() + delayMs > schedule.giveUpAt;
      if (attempts > schedule.maximumRetryAttempts)
        return { delivered: false, attempts, error, exhausted: 'MaximumRetryAttemptsExhausted' };
      if (tooOld) return { delivered: false, attempts, error, exhausted: 'MaximumEventAgeExhausted' };
      await pause(delayMs, schedule.signal);
      if (schedule.signal?.aborted) return { delivered: false, attempts, error, exhausted: 'Abandoned' };
    }
  }
}
