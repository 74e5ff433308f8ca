/** Outcome of delivering one input to one target, after any retries. */
export type DeliveryOutcome =
  | { delivered: true; attempts: number }
  | { delivered: false; attempts: number; error: unknown };

export interface RetrySchedule {
  /** Retries after the first attempt. */
  maximumRetryAttempts: number;
  /** Delay before the first retry; each further retry waits twice as long. */
  baseDelayMs: number;
  /** Stop retrying once this moment has passed (the event's maximum age). */
  giveUpAt?: number;
  now: () => number;
}

/** Calls `attempt` until it resolves, retrying failures with exponential back-off as the schedule allows. */
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
      const delayMs = schedule.baseDelayMs * 2 ** (attempts - 1);
      const tooOld = schedule.giveUpAt !== undefined && schedule.now() + delayMs > schedule.giveUpAt;
      if (attempts > schedule.maximumRetryAttempts || tooOld) return { delivered: false, attempts, error };
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}
