/**
 * The app under load, in a process of its own, as `npm start` runs it: the load clients run in the
 * parent (local/load/harness.ts), so the memory and CPU measured here are the runtime's alone.
 * Started by `startRuntimeProcess` with `--expose-gc`; speaks over the IPC channel:
 *   → { type: 'ready', apiUrl, token }            once the app serves (token: a JWT for the load user)
 *   ← { type: 'memory' }   → { type: 'memory', sample }   memory at rest, after full collections
 *   ← { type: 'report' }   → { type: 'report', taskFailures, functionErrors, problems, freedMemory }
 *   ← { type: 'close' }    → the app closes (a drained stop) and the process exits 0
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { getHeapStatistics } from 'node:v8';
import { startLocalApp } from '../runtime/app';
import { type FreedMemoryReport, RETURN_INTERVAL_MS } from '../runtime/freed-memory';
import { DeclaredLabelsVisionEngine } from '../services/declared-labels';
import type { StepFunctionsEngine } from '../stepfunctions';

export interface RuntimeProcessConfig {
  dataDir: string;
  /** Function invocations at once (the runtime's default when absent). */
  concurrency?: number;
  /** Print the runtime's log lines. */
  verbose: boolean;
}

export interface MemorySample {
  rssMb: number;
  /** Resident anonymous memory (heap, malloc arenas, buffers), from /proc/self/status; 0 elsewhere. */
  rssAnonMb: number;
  /** Resident file pages mapped by the process (code, LevelDB's memory-mapped tables); 0 elsewhere. */
  rssFileMb: number;
  heapUsedMb: number;
  /** The V8 heap the process holds (used or not, e.g. the young generation grown under load). */
  heapTotalMb: number;
  /** The part of the held V8 heap that is resident (pages V8 has touched and not given back). */
  heapResidentMb: number;
  externalMb: number;
  arrayBuffersMb: number;
}

export type RuntimeMessage =
  | { type: 'ready'; apiUrl: string; token: string }
  | { type: 'memory'; sample: MemorySample }
  | {
      type: 'report';
      taskFailures: Array<[string, number]>;
      functionErrors: Array<[string, number]>;
      /** The runtime's log lines that say an API request or a function invocation failed (the first 20). */
      problems: string[];
      /** The runtime's returns of freed memory to the OS (malloc_trim). */
      freedMemory: FreedMemoryReport;
    };

/** Log words that mean a function invocation went wrong, counted for the report. */
export const WATCHED_LOG_WORDS = [
  'Sandbox.Timedout',
  'TooManyRequestsException',
  'Runtime.OutOfMemory',
  'Runtime.ExitError',
];

export const LOAD_USER = 'load-user';

const megabytes = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

function statusKilobytes(status: string, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  return match ? Number(match[1]) : 0;
}

/**
 * Memory at rest: after full collections (pending callbacks settle between them), then one interval
 * of the runtime's return of freed memory (local/runtime/freed-memory.ts), which gives back what
 * the collections freed, as it would after any burst of work.
 */
async function sampleMemory(): Promise<MemorySample> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('the runtime process needs --expose-gc');
  for (let round = 0; round < 3; round++) {
    gc();
    await new Promise((settled) => setTimeout(settled, 50));
  }
  await new Promise((settled) => setTimeout(settled, RETURN_INTERVAL_MS + 250));
  const usage = process.memoryUsage();
  let status = '';
  try {
    status = readFileSync('/proc/self/status', 'utf8');
  } catch {
    // Not Linux: the split of RSS is unknown.
  }
  return {
    rssMb: megabytes(usage.rss),
    rssAnonMb: megabytes(statusKilobytes(status, 'RssAnon') * 1024),
    rssFileMb: megabytes(statusKilobytes(status, 'RssFile') * 1024),
    heapUsedMb: megabytes(usage.heapUsed),
    heapTotalMb: megabytes(usage.heapTotal),
    heapResidentMb: megabytes(getHeapStatistics().total_physical_size),
    externalMb: megabytes(usage.external),
    arrayBuffersMb: megabytes(usage.arrayBuffers),
  };
}

/** Every failed task attempt of every execution (retried or not), by state, error and cause. */
function countTaskFailures(engine: StepFunctionsEngine): Map<string, number> {
  const counts = new Map<string, number>();
  for (const machine of engine.listStateMachines()) {
    for (const execution of engine.listExecutions({
      stateMachineArn: machine.stateMachineArn,
      maxResults: 1000,
    }).executions) {
      let state = '';
      for (const event of engine.getExecutionHistory({
        executionArn: execution.executionArn,
        maxResults: 1000,
      }).events as unknown as Array<
        Record<string, { name?: string; error?: string; cause?: string } | string>
      >) {
        const entered = event.stateEnteredEventDetails;
        if (typeof entered === 'object' && entered.name) state = entered.name;
        for (const [key, details] of Object.entries(event)) {
          if (!key.endsWith('FailedEventDetails') && !key.endsWith('TimedOutEventDetails')) continue;
          if (typeof details !== 'object' || !details.error) continue;
          const what = `${state}: ${details.error}: ${String(details.cause ?? '').slice(0, 160)}`;
          counts.set(what, (counts.get(what) ?? 0) + 1);
        }
      }
    }
  }
  return counts;
}

async function main(): Promise<void> {
  const send = process.send?.bind(process);
  if (!send) throw new Error('local/load/runtime-process.ts runs as a child with an IPC channel');
  const config = JSON.parse(process.argv[2] ?? '') as RuntimeProcessConfig;
  const functionErrors = new Map<string, number>();
  const problems: string[] = [];
  const app = await startLocalApp({
    root: resolve(__dirname, '..', '..'),
    workflow: 'v4',
    dataDir: config.dataDir,
    host: '127.0.0.1',
    vision: new DeclaredLabelsVisionEngine(),
    functionEnvironment: { POWERTOOLS_LOG_LEVEL: 'WARN' },
    ...(config.concurrency ? { concurrency: config.concurrency } : {}),
    log: (line) => {
      for (const word of WATCHED_LOG_WORDS)
        if (line.includes(word)) functionErrors.set(word, (functionErrors.get(word) ?? 0) + 1);
      if (
        problems.length < 20 &&
        (/failed|error/i.test(line) || WATCHED_LOG_WORDS.some((word) => line.includes(word)))
      )
        problems.push(line.slice(0, 600));
      if (config.verbose) console.log(line);
    },
  });
  const reply = (message: RuntimeMessage) => send(message);
  process.on('message', (message: { type?: string }) => {
    if (message.type === 'memory') {
      void sampleMemory().then((sample) => reply({ type: 'memory', sample }));
    } else if (message.type === 'report') {
      reply({
        type: 'report',
        taskFailures: [...countTaskFailures(app.runtime.engine)],
        functionErrors: [...functionErrors],
        problems,
        freedMemory: app.freedMemory.report(),
      });
    } else if (message.type === 'close') {
      void app.close().then(
        () => process.exit(0),
        (error: Error) => {
          console.error(`the runtime did not stop cleanly: ${error.stack ?? error.message}`);
          process.exit(1);
        },
      );
    }
  });
  // The parent gone (killed or crashed) leaves nobody to close the app: stop it here.
  process.on('disconnect', () => void app.close().finally(() => process.exit(0)));
  reply({ type: 'ready', apiUrl: app.api.url, token: app.token(LOAD_USER) });
}

main().catch((error: Error) => {
  console.error(`the runtime under load failed to start: ${error.stack ?? error.message}`);
  process.exit(1);
});
