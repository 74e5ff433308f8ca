/**
 * What `npm run load` and the runtime load tests share: the app in a process of its own
 * (local/load/runtime-process.ts, started the way `npm start` starts), the photos, clients that
 * upload photos and send API requests while counting every answer, CPU hogs that saturate the
 * machine, and the CPU time of a process tree.
 */
import { type ChildProcess, execFileSync, fork, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { smartphonePhoto } from '../../tests/bench/photo';
import { photo } from '../demo/photos';
import type { FreedMemoryReport } from '../runtime/freed-memory';
import type { MemorySample, RuntimeMessage } from './runtime-process';

export type { MemorySample } from './runtime-process';

export const LOAD_PLACE = { id: 'load-park', name: 'Load Park', type: 'park', lat: 48.2, lng: 16.37 };
const FINAL = new Set(['PROCESSED', 'REJECTED', 'FAILED']);
const POLL_INTERVAL_MS = 250;

/** The photos: `phone` is 4032×3024 q92 (4–8 MB, as a phone takes it), `small` 1600×1200. */
export async function loadPhoto(size: 'phone' | 'small'): Promise<Buffer> {
  return size === 'phone' ? smartphonePhoto() : photo(1600, 1200);
}

export interface RuntimeProcess {
  pid: number;
  apiUrl: string;
  /** A JWT the app's API accepts, for the load user. */
  token: string;
  dataDir: string;
  memory(): Promise<MemorySample>;
  report(): Promise<{
    taskFailures: Map<string, number>;
    functionErrors: Map<string, number>;
    problems: string[];
    /** The runtime's returns of freed memory to the OS. */
    freedMemory: FreedMemoryReport;
  }>;
  /** Stops the app (drained), waits for the process to exit and deletes its data directory. */
  close(): Promise<void>;
}

export interface RuntimeProcessOptions {
  concurrency?: number;
  verbose?: boolean;
  /** Variables over this process's environment (e.g. MALLOC_ARENA_MAX, to compare allocator settings). */
  environment?: Record<string, string>;
}

/**
 * Starts the app (workflow v4, declared-labels vision, a fresh data directory, loopback only) in a
 * child process with the node options of `npm start`, and waits until it serves.
 */
export async function startRuntimeProcess(options: RuntimeProcessOptions = {}): Promise<RuntimeProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'happy-path-load-'));
  const child = fork(
    join(__dirname, 'runtime-process.ts'),
    [JSON.stringify({ dataDir, concurrency: options.concurrency, verbose: options.verbose ?? false })],
    {
      execArgv: ['--expose-gc', '--import', 'tsx'],
      env: { ...process.env, ...options.environment },
      stdio: ['ignore', 'inherit', options.verbose ? 'inherit' : 'pipe', 'ipc'],
    },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<number | null>((resolveExit) => child.once('exit', resolveExit));
  const next = <T extends RuntimeMessage['type']>(type: T) =>
    new Promise<Extract<RuntimeMessage, { type: T }>>((resolveMessage, reject) => {
      const onMessage = (message: RuntimeMessage) => {
        if (message.type !== type) return;
        child.off('message', onMessage);
        resolveMessage(message as Extract<RuntimeMessage, { type: T }>);
      };
      child.on('message', onMessage);
      void exited.then((code) => {
        child.off('message', onMessage);
        reject(new Error(`the runtime process exited (code ${code}) before answering ${type}: ${stderr}`));
      });
    });
  const ready = await next('ready').catch((error: Error) => {
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  });
  let closing: Promise<void> | undefined;
  return {
    pid: child.pid ?? 0,
    apiUrl: ready.apiUrl,
    token: ready.token,
    dataDir,
    memory: async () => {
      const answer = next('memory');
      child.send({ type: 'memory' });
      return (await answer).sample;
    },
    report: async () => {
      const answer = next('report');
      child.send({ type: 'report' });
      const { taskFailures, functionErrors, problems, freedMemory } = await answer;
      return {
        taskFailures: new Map(taskFailures),
        functionErrors: new Map(functionErrors),
        problems,
        freedMemory,
      };
    },
    close: () => {
      closing ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) child.send({ type: 'close' });
        const code = await exited;
        rmSync(dataDir, { recursive: true, force: true });
        if (code !== 0) throw new Error(`the runtime process stopped with code ${code}: ${stderr}`);
      })();
      return closing;
    },
  };
}

/**
 * glibc's heap in a process: memory its arenas hold, how much of it is free (kept for reuse), and
 * the large blocks it maps one by one (outside the arenas).
 */
export interface MallocState {
  systemMb: number;
  freeMb: number;
  mmapMb: number;
}

/**
 * The totals after the last arena of malloc_info's XML: free chunks (fast bins, the rest), blocks
 * mapped one by one, arena size.
 */
export function parseMallocInfo(xml: string): MallocState | undefined {
  const totals =
    /<\/heap>\s*<total type="fast" count="\d+" size="(\d+)"\/>\s*<total type="rest" count="\d+" size="(\d+)"\/>\s*<total type="mmap" count="\d+" size="(\d+)"\/>\s*<system type="current" size="(\d+)"\/>/.exec(
      xml,
    );
  if (!totals) return undefined;
  const [, fast, rest, mmap, system] = totals.map(Number) as [number, number, number, number, number];
  const megabytes = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
  return { systemMb: megabytes(system), freeMb: megabytes(fast + rest), mmapMb: megabytes(mmap) };
}

/**
 * Reads glibc's heap state in process `pid` (malloc_info), then has glibc give the pages of freed
 * memory back to the OS (malloc_trim(0)), both called through gdb, to tell memory in use from memory
 * the allocator keeps for later. Returns the state before the trim; undefined when gdb is missing,
 * may not attach, or the process does not use glibc.
 */
export function trimMalloc(pid: number): MallocState | undefined {
  const directory = mkdtempSync(join(tmpdir(), 'happy-path-malloc-'));
  const report = join(directory, 'malloc-info.xml');
  const script = join(directory, 'trim.gdb');
  // A call that faults is unwound instead of killing the process; no report without a FILE.
  writeFileSync(
    script,
    [
      'set unwindonsignal on',
      `set $report = (void *) fopen("${report}", "w")`,
      'if $report != 0',
      '  call (int) malloc_info(0, $report)',
      '  call (int) fclose($report)',
      'end',
      'call (int) malloc_trim(0)',
      '',
    ].join('\n'),
  );
  try {
    const output = execFileSync('gdb', ['-p', String(pid), '-batch', '-x', script], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 60_000,
    });
    // The last value gdb printed is malloc_trim's: 1 when it gave memory back, 0 when there was none.
    const trimmed = [...output.matchAll(/^\$\d+ = (-?\d+)$/gm)].at(-1)?.[1];
    if (trimmed !== '0' && trimmed !== '1') return undefined;
    let xml = '';
    try {
      xml = readFileSync(report, 'utf8');
    } catch {
      // fopen failed in the process: trimmed, but no report.
    }
    return parseMallocInfo(xml) ?? { systemMb: Number.NaN, freeMb: Number.NaN, mmapMb: Number.NaN };
  } catch {
    return undefined;
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

/** CPU hogs: one process spinning per core (or `count`), at the same priority as the app. */
export function startCpuHogs(count = cpus().length): { count: number; stop(): Promise<void> } {
  const hogs: ChildProcess[] = Array.from({ length: count }, () =>
    spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }),
  );
  const killAll = () => {
    for (const hog of hogs) hog.kill('SIGKILL');
  };
  // A load run that ends in any way must not leave cores spinning.
  process.once('exit', killAll);
  return {
    count,
    stop: async () => {
      process.off('exit', killAll);
      await Promise.all(
        hogs.map(
          (hog) =>
            new Promise<void>((resolveStop) => {
              if (hog.exitCode !== null || hog.signalCode !== null) return resolveStop();
              hog.once('exit', () => resolveStop());
              hog.kill('SIGKILL');
            }),
        ),
      );
    },
  };
}

/**
 * CPU seconds used by process `pid` and its descendants, living and ended (Linux /proc: utime, stime,
 * cutime, cstime); `undefined` where /proc is not available.
 */
export function treeCpuSeconds(pid: number): number | undefined {
  const parents = new Map<number, number[]>();
  const seconds = new Map<number, number>();
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return undefined;
  }
  for (const entry of entries) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the command name, which ends at the last ')': state is field 3, ppid 4, utime 14.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ppid = Number(fields[1]);
      const ticks = [11, 12, 13, 14].reduce((sum, index) => sum + Number(fields[index] ?? 0), 0);
      seconds.set(Number(entry), ticks / 100);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
    } catch {
      // The process ended while being read.
    }
  }
  if (!seconds.has(pid)) return undefined;
  let total = 0;
  const stack = [pid];
  while (stack.length > 0) {
    const current = stack.pop() as number;
    total += seconds.get(current) ?? 0;
    stack.push(...(parents.get(current) ?? []));
  }
  return total;
}

/** Every answer of a run by status, and the first words of each 5xx and network failure. */
export class Answers {
  readonly byStatus = new Map<string, number>();
  readonly serverErrors: string[] = [];

  record(status: number | string, what: string, body = ''): void {
    this.byStatus.set(String(status), (this.byStatus.get(String(status)) ?? 0) + 1);
    if (typeof status === 'string' || status >= 500)
      this.serverErrors.push(`${what}: ${status} ${body.slice(0, 200)}`);
  }

  count(predicate: (status: string) => boolean): number {
    return [...this.byStatus].filter(([status]) => predicate(status)).reduce((sum, [, n]) => sum + n, 0);
  }
}

/** One HTTP call that records its answer; network failures count as server errors. */
async function call(
  answers: Answers,
  what: string,
  url: string,
  init: RequestInit,
): Promise<{ status: number; text: string } | undefined> {
  try {
    const response = await fetch(url, init);
    const text = await response.text();
    answers.record(response.status, what, text);
    return { status: response.status, text };
  } catch (error) {
    answers.record((error as Error).name, what, (error as Error).message);
    return undefined;
  }
}

export interface PhotoRun {
  /** Upload id → its last seen status (PENDING until the first poll). */
  statuses: Map<string, string>;
  /** "FAILED reason detail" → count, for the uploads that did not end PROCESSED. */
  reasons: Map<string, number>;
  /** Photos that got no upload (a ticket or the POST failed). */
  notAccepted: number;
  /** Milliseconds from the start to the last upload seen final. */
  lastFinalMs: number;
}

/**
 * `count` photos from `clients` concurrent clients; each client uploads one photo (ticket, then a
 * presigned POST to S3), polls it until it is final, then takes the next, until `deadline`.
 */
export async function uploadPhotos(
  runtime: Pick<RuntimeProcess, 'apiUrl' | 'token'>,
  bytes: Buffer,
  options: {
    count: number;
    clients: number;
    deadline: number;
    answers: Answers;
    name: string;
    /** Gets each upload id as soon as S3 has the photo. */
    accepted?: string[];
  },
): Promise<PhotoRun> {
  const { answers } = options;
  const headers = { authorization: `Bearer ${runtime.token}` };
  const run: PhotoRun = { statuses: new Map(), reasons: new Map(), notAccepted: 0, lastFinalMs: 0 };
  const began = Date.now();
  let next = 0;
  const client = async () => {
    while (next < options.count && Date.now() < options.deadline) {
      const number = next++;
      const ticket = await call(
        answers,
        'GET /uploads/url',
        `${runtime.apiUrl}/uploads/url?placeId=${LOAD_PLACE.id}`,
        {
          headers,
        },
      );
      if (!ticket || ticket.status >= 300) {
        run.notAccepted++;
        continue;
      }
      const { uploadId, url, fields } = JSON.parse(ticket.text) as {
        uploadId: string;
        url: string;
        fields: Record<string, string>;
      };
      const form = new FormData();
      for (const [name, value] of Object.entries(fields)) form.append(name, value);
      form.append('file', new Blob([bytes], { type: 'image/jpeg' }), `${options.name}-${number}.jpg`);
      const posted = await call(answers, 'POST to S3', url, { method: 'POST', body: form });
      if (!posted || posted.status >= 300) {
        run.notAccepted++;
        continue;
      }
      run.statuses.set(uploadId, 'PENDING');
      options.accepted?.push(uploadId);
      while (Date.now() < options.deadline) {
        const polled = await call(answers, 'GET /uploads/{id}', `${runtime.apiUrl}/uploads/${uploadId}`, {
          headers,
        });
        if (polled?.status === 200) {
          const upload = JSON.parse(polled.text) as { status: string; reason?: string; detail?: string };
          run.statuses.set(uploadId, upload.status);
          if (FINAL.has(upload.status)) {
            run.lastFinalMs = Date.now() - began;
            if (upload.status !== 'PROCESSED') {
              const why = `${upload.status} ${upload.reason ?? ''} ${upload.detail ?? ''}`.trim();
              run.reasons.set(why, (run.reasons.get(why) ?? 0) + 1);
            }
            break;
          }
        }
        await new Promise((settled) => setTimeout(settled, POLL_INTERVAL_MS));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.clients, options.count) }, client));
  return run;
}

/** Counts of a photo run's final statuses. */
export function photoOutcome(run: PhotoRun): { processed: number; final: number; notFinal: number } {
  const statuses = [...run.statuses.values()];
  const processed = statuses.filter((status) => status === 'PROCESSED').length;
  const final = statuses.filter((status) => FINAL.has(status)).length;
  return { processed, final, notFinal: statuses.length - final };
}

/**
 * `count` API requests, `concurrency` at a time, until `deadline`: alternately the place page
 * (GET /locations?placeId=, a DynamoDB Query) and an upload's status (GET /uploads/{id}, a GetItem)
 * of one of `uploadIds` (the place page only while there is none). Returns how many were sent.
 */
export async function sendRequests(
  runtime: Pick<RuntimeProcess, 'apiUrl' | 'token'>,
  options: {
    count: number;
    concurrency: number;
    deadline: number;
    answers: Answers;
    uploadIds: () => string[];
  },
): Promise<number> {
  const headers = { authorization: `Bearer ${runtime.token}` };
  let next = 0;
  const worker = async () => {
    while (next < options.count && Date.now() < options.deadline) {
      const index = next++;
      const uploadIds = options.uploadIds();
      const uploadId = uploadIds[index % Math.max(1, uploadIds.length)];
      if (index % 2 === 0 || uploadId === undefined) {
        await call(
          options.answers,
          'GET /locations',
          `${runtime.apiUrl}/locations?placeId=${LOAD_PLACE.id}`,
          {
            headers,
          },
        );
      } else {
        await call(options.answers, 'GET /uploads/{id}', `${runtime.apiUrl}/uploads/${uploadId}`, {
          headers,
        });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, options.count) }, worker));
  return next;
}

/** Creates the park every load photo is uploaded to. */
export async function createLoadPlace(runtime: Pick<RuntimeProcess, 'apiUrl' | 'token'>): Promise<void> {
  const response = await fetch(`${runtime.apiUrl}/locations`, {
    method: 'POST',
    headers: { authorization: `Bearer ${runtime.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(LOAD_PLACE),
  });
  if (!response.ok)
    throw new Error(`creating the load park answered ${response.status}: ${await response.text()}`);
}
