/**
 * Time as the engine sees it. The system clock uses real timers; the manual clock lets
 * tests jump over Wait states, retry back-off and week-long timeouts instantly.
 */

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms`; rejects with `signal.reason` as soon as the signal aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** setTimeout cannot wait longer than this in one go. */
const MAX_TIMER_MS = 2_147_483_647;

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new Error('The operation was aborted');
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep(ms, signal) {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(abortReason(signal));
        return;
      }
      const wakeAt = Date.now() + Math.max(0, ms);
      let timer: NodeJS.Timeout | undefined;
      const onAbort = () => {
        clearTimeout(timer);
        reject(abortReason(signal as AbortSignal));
      };
      const arm = () => {
        const remaining = wakeAt - Date.now();
        if (remaining <= 0) {
          signal?.removeEventListener('abort', onAbort);
          resolve();
          return;
        }
        timer = setTimeout(arm, Math.min(remaining, MAX_TIMER_MS));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      arm();
    });
  },
};

interface Sleeper {
  wakeAt: number;
  order: number;
  resolve: () => void;
}

/** Lets pending promise callbacks and immediates run, so woken work can schedule its next sleep. */
async function letPendingWorkRun(): Promise<void> {
  for (let turn = 0; turn < 20; turn++) {
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/** A clock that only moves when a test calls `advance`. */
export class ManualClock implements Clock {
  private current: number;
  private sleepers: Sleeper[] = [];
  private order = 0;

  constructor(start: number | Date = Date.parse('2024-01-01T00:00:00.000Z')) {
    this.current = typeof start === 'number' ? start : start.getTime();
  }

  now(): number {
    return this.current;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(abortReason(signal));
        return;
      }
      if (ms <= 0) {
        queueMicrotask(resolve);
        return;
      }
      const sleeper: Sleeper = { wakeAt: this.current + ms, order: this.order++, resolve };
      const onAbort = () => {
        this.sleepers = this.sleepers.filter((s) => s !== sleeper);
        reject(abortReason(signal as AbortSignal));
      };
      sleeper.resolve = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.sleepers.push(sleeper);
    });
  }

  /** Number of sleeps currently waiting for the clock to move. */
  pendingSleeps(): number {
    return this.sleepers.length;
  }

  /** Wake-up times (ms since epoch) of the pending sleeps, earliest first. */
  pendingWakeTimes(): number[] {
    return this.sleepers.map((s) => s.wakeAt).sort((a, b) => a - b);
  }

  /**
   * Moves time forward by `ms`, waking sleepers in time order; work they trigger runs
   * (and may schedule further sleeps inside the window) before the next one wakes.
   */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    await letPendingWorkRun();
    for (;;) {
      const due = this.sleepers
        .filter((s) => s.wakeAt <= target)
        .sort((a, b) => a.wakeAt - b.wakeAt || a.order - b.order)[0];
      if (!due) break;
      this.sleepers = this.sleepers.filter((s) => s !== due);
      this.current = Math.max(this.current, due.wakeAt);
      due.resolve();
      await letPendingWorkRun();
    }
    this.current = target;
    await letPendingWorkRun();
  }
}
