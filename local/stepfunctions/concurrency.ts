/** Running a set of jobs with a concurrency limit, stopping the rest at the first failure. */

export interface LinkedController {
  controller: AbortController;
  dispose: () => void;
}

/** An AbortController that aborts with its parent signal; `dispose` unhooks it. */
export function linkedController(parent: AbortSignal): LinkedController {
  const controller = new AbortController();
  if (parent.aborted) {
    controller.abort(parent.reason);
    return { controller, dispose: () => undefined };
  }
  const onAbort = () => controller.abort(parent.reason);
  parent.addEventListener('abort', onAbort, { once: true });
  return { controller, dispose: () => parent.removeEventListener('abort', onAbort) };
}

/** Rejects with the signal's reason when it aborts. */
export function whenAborted(signal: AbortSignal): Promise<never> {
  return new Promise<never>((_resolve, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

/**
 * Runs `jobs` with at most `limit` at a time (0 = no limit), results in job order. At the
 * first failure the others are aborted; once every started job has settled, that first
 * error is thrown.
 */
export async function runAllFailFast<T>(
  jobs: ReadonlyArray<(signal: AbortSignal) => Promise<T>>,
  limit: number,
  parent: AbortSignal,
): Promise<T[]> {
  const { controller, dispose } = linkedController(parent);
  const results: T[] = new Array(jobs.length);
  let failure: { error: unknown } | undefined;
  let next = 0;
  const worker = async () => {
    while (next < jobs.length && !failure && !controller.signal.aborted) {
      const index = next++;
      const job = jobs[index] as (signal: AbortSignal) => Promise<T>;
      try {
        results[index] = await job(controller.signal);
      } catch (error) {
        if (!failure) {
          failure = { error };
          controller.abort(error);
        }
      }
    }
  };
  const workerCount = limit > 0 ? Math.min(limit, jobs.length) : jobs.length;
  try {
    await Promise.all(Array.from({ length: workerCount }, worker));
  } finally {
    dispose();
  }
  if (failure) throw failure.error;
  if (parent.aborted) throw parent.reason;
  return results;
}
