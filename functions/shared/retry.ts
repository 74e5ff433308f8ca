/** How retries wait; tests pass one that records the delays instead of sleeping. */
export interface RetryOptions {
  wait?: (ms: number) => Promise<void>;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Exponential back-off with full jitter: a random delay from 0 up to (not including)
 * min(cap, base × 2^(attempt-1)) before retry `attempt` (1-based).
 */
export function fullJitterBackoffMs(
  attempt: number,
  baseMs: number,
  capMs: number,
  random: () => number = Math.random,
): number {
  return Math.floor(random() * Math.min(capMs, baseMs * 2 ** (attempt - 1)));
}
