/**
 * The runtime gives glibc's free memory back to the OS: once a second, when the event loop has
 * worked in that second, it calls malloc_trim(0) through the addon local/glibc-memory.
 *
 * Why: photo bytes pass through this process in pieces smaller than glibc's mmap threshold
 * (uploads, the S3 front, Rekognition's and the CDN's reads), between small objects that live on.
 * Once freed, those pieces stay in glibc's free lists, and free() returns only the top of the main
 * heap to the OS. Measured over `npm run load -- --phase soak` without this: memory in use flat
 * (the JavaScript heap +1.1 MB, glibc's in use +2.3 MB), but RSS as the OS counts it +14 to +22 MB,
 * all of it glibc's free memory, which goes up and down by ±10 MB between samples. malloc_trim(0)
 * releases the free pages inside every arena: about 3 ms per call under the soak, with 35–60 MB of
 * free memory to walk, once a second at most.
 *
 * The addon is an optional dependency built from source by `npm ci` (node-gyp: a C compiler, make,
 * python3 and Node.js's headers). Where it was not built (no compiler, or not glibc), `available` is
 * false and the process keeps its free memory, as any Node.js process does.
 */
import { performance } from 'node:perf_hooks';

/** How often the runtime checks whether it has worked and, if so, returns its free memory. */
export const RETURN_INTERVAL_MS = 1000;

/** Event-loop time in one interval below which the runtime counts as idle (the timer's own work). */
const BUSY_MS = 2;

interface GlibcMemory {
  returnFreedMemory(): boolean;
}

/** The built addon, or undefined (not built, not installed, or not loadable here). */
function loadGlibcMemory(): GlibcMemory | undefined {
  try {
    return require('@happy-path/glibc-memory') as GlibcMemory;
  } catch {
    return undefined;
  }
}

/** Whether freed memory can be returned, the times malloc_trim ran, and the milliseconds they took in all. */
export interface FreedMemoryReport {
  available: boolean;
  count: number;
  ms: number;
}

export interface FreedMemoryReturn {
  /** False when the addon is missing: nothing is returned. */
  available: boolean;
  report(): FreedMemoryReport;
  stop(): void;
}

/**
 * Starts returning freed memory every `intervalMs` in which the event loop worked. The timer does
 * not keep the process alive. One call per process is enough; more only trim more often.
 */
export function startReturningFreedMemory(intervalMs = RETURN_INTERVAL_MS): FreedMemoryReturn {
  const glibc = loadGlibcMemory();
  let count = 0;
  let ms = 0;
  const available = glibc !== undefined;
  const report = () => ({ available, count, ms });
  if (!glibc) return { available, report, stop: () => undefined };
  let since = performance.eventLoopUtilization();
  const timer = setInterval(() => {
    const worked = performance.eventLoopUtilization(since).active;
    if (worked >= BUSY_MS) {
      const started = performance.now();
      glibc.returnFreedMemory();
      ms += performance.now() - started;
      count += 1;
    }
    // After the trim, so that its own time does not count as work in the next interval.
    since = performance.eventLoopUtilization();
  }, intervalMs);
  timer.unref();
  return { available, report, stop: () => clearInterval(timer) };
}
