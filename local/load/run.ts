/**
 * `npm run load`: the offline app under load, in three phases run in order against one runtime
 * process (started as `npm start` starts it; the clients run in this process):
 *
 *   throughput  80 phone-sized photos (4032×3024, 4–8 MB) from 16 clients through workflow v4:
 *               photos/s, CPU-s per photo, final statuses, 5xx.
 *   saturated   one CPU hog process per core spins while 24 phone-sized photos and 1,000 API
 *               requests run: every answer must be below 500 and every photo PROCESSED.
 *   soak        20,000 API requests (the place page, a DynamoDB Query, and an upload's status, a
 *               GetItem) and 500 photos (1600×1200) at the same time, in four quarters after a
 *               warm-up of half that mix: the runtime process's RSS at rest and heap after a full
 *               GC when warm and after each quarter, and native memory in use (anonymous RSS after
 *               a malloc_trim through gdb, when gdb can attach, less V8's resident heap), must
 *               stay within SOAK_BOUNDS.
 *
 *   npm run load -- [--phase throughput|saturated|soak] [--photos N] [--requests N] [--clients N]
 *                   [--concurrency N] [--max-minutes M] [--verbose]
 *
 * --photos and --requests set the size of every phase run (instead of its default); --phase runs one
 * phase. Exits 1 when a phase fails its bound: any 5xx or network failure, any photo not PROCESSED,
 * or memory growth over the soak's bounds.
 */
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import {
  Answers,
  createLoadPlace,
  loadPhoto,
  type MallocState,
  type MemorySample,
  type PhotoRun,
  photoOutcome,
  type RuntimeProcess,
  sendRequests,
  startCpuHogs,
  startRuntimeProcess,
  treeCpuSeconds,
  trimMalloc,
  uploadPhotos,
} from './harness';

const PHASES = ['throughput', 'saturated', 'soak'] as const;
type Phase = (typeof PHASES)[number];

/**
 * The soak's bounds on growth from the warmed-up state to the end: the JavaScript heap after a full
 * GC; native memory in use (anonymous RSS once glibc has given freed pages back, through gdb's call
 * of malloc_trim, less V8's resident heap: buffers, sockets, LevelDB with its 1 MB block caches and
 * 1 MB write buffers); and RSS as the OS counts it at rest, after the runtime has given glibc's free
 * memory back itself (local/runtime/freed-memory.ts). Measured on a quiet 2-core machine: heap +1.1
 * MB over the default soak and +0.7 MB over twice its length (V8's optimized code; no data object
 * grows, by heap snapshots), native +1.0 and +3.2 MB, RSS +4.0 and +5.0 MB; over four times its
 * length, RSS +3.8 MB, all in the first quarter. Before the runtime gave free memory back, RSS grew
 * +14.4 to +21.7 MB over the default soak, all of it glibc's free lists.
 */
export const SOAK_BOUNDS = { heapMb: 4, nativeMb: 10, rssMb: 12 };

/** The soak's measured part is cut in this many equal parts, with a memory sample after each. */
const SOAK_PARTS = 4;

/**
 * Anonymous memory outside V8's resident heap; meaningful once the allocator has returned its free
 * pages.
 */
const nativeMb = (sample: MemorySample) => sample.rssAnonMb - sample.heapResidentMb;

interface Settings {
  photos?: number;
  requests?: number;
  clients: number;
  deadline: number;
}

interface PhaseResult {
  failures: string[];
}

function positive(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number <= 0)
    throw new Error(`--${name} must be a positive integer, not ${value}`);
  return number;
}

/** CPU seconds of the runtime process tree (runtime and function environments) and of these clients. */
function cpuNow(runtime: RuntimeProcess): { runtime: number; clients: number } {
  const clients = process.cpuUsage();
  return {
    runtime: treeCpuSeconds(runtime.pid) ?? Number.NaN,
    clients: (clients.user + clients.system) / 1e6,
  };
}

function line(label: string, value: string): void {
  console.log(`  ${label.padEnd(20)}${value}`);
}

/** The 5xx answers and network failures of a phase, as report lines and failure reasons. */
function reportAnswers(answers: Answers, failures: string[]): void {
  const total = answers.count(() => true);
  const serverErrors = answers.serverErrors.length;
  const byStatus = [...answers.byStatus]
    .sort()
    .map(([status, n]) => `${status}: ${n}`)
    .join(', ');
  line('answers', `${total} (${byStatus})`);
  line(
    '5xx answers',
    `${serverErrors}${[...new Set(answers.serverErrors)]
      .slice(0, 5)
      .map((what) => `\n      ${what}`)
      .join('')}`,
  );
  if (serverErrors > 0) failures.push(`${serverErrors} 5xx answers or network failures`);
}

function reportPhotos(run: PhotoRun, count: number, failures: string[]): void {
  const outcome = photoOutcome(run);
  line(
    'photos',
    `${run.statuses.size} of ${count} accepted; ${outcome.processed} PROCESSED, ${outcome.final - outcome.processed} REJECTED or FAILED, ${outcome.notFinal} not final`,
  );
  for (const [why, n] of run.reasons) line('', `${n} × ${why}`);
  if (outcome.processed < count)
    failures.push(`${count - outcome.processed} of ${count} photos not PROCESSED`);
}

async function throughput(runtime: RuntimeProcess, settings: Settings): Promise<PhaseResult> {
  const count = settings.photos ?? 80;
  const bytes = await loadPhoto('phone');
  console.log(
    `\nthroughput: ${count} photos of ${(bytes.length / 1e6).toFixed(1)} MB (4032×3024 JPEG) from ${settings.clients} clients`,
  );
  const answers = new Answers();
  const cpuBefore = cpuNow(runtime);
  const run = await uploadPhotos(runtime, bytes, {
    count,
    clients: settings.clients,
    deadline: settings.deadline,
    answers,
    name: 'throughput',
  });
  const cpuAfter = cpuNow(runtime);
  const failures: string[] = [];
  reportPhotos(run, count, failures);
  reportAnswers(answers, failures);
  const { final } = photoOutcome(run);
  const seconds = run.lastFinalMs / 1000;
  const runtimeCpu = cpuAfter.runtime - cpuBefore.runtime;
  const clientCpu = cpuAfter.clients - cpuBefore.clients;
  line(
    'throughput',
    `${(final / Math.max(seconds, 0.001)).toFixed(2)} photos/s (${final} final in ${seconds.toFixed(1)} s)`,
  );
  line(
    'CPU per photo',
    `${((runtimeCpu + clientCpu) / Math.max(1, final)).toFixed(2)} CPU-s (runtime and function environments ${runtimeCpu.toFixed(1)} CPU-s, clients ${clientCpu.toFixed(1)} CPU-s)`,
  );
  return { failures };
}

async function saturated(runtime: RuntimeProcess, settings: Settings): Promise<PhaseResult> {
  const count = settings.photos ?? 24;
  const requests = settings.requests ?? 1000;
  const bytes = await loadPhoto('phone');
  const hogs = startCpuHogs();
  console.log(
    `\nsaturated: ${hogs.count} CPU hog processes spin (one per core) while ${count} phone-sized photos and ${requests} API requests run`,
  );
  const answers = new Answers();
  const uploadIds: string[] = [];
  const began = Date.now();
  let run: PhotoRun;
  try {
    [run] = await Promise.all([
      uploadPhotos(runtime, bytes, {
        count,
        clients: settings.clients,
        deadline: settings.deadline,
        answers,
        name: 'saturated',
        accepted: uploadIds,
      }),
      sendRequests(runtime, {
        count: requests,
        concurrency: settings.clients,
        deadline: settings.deadline,
        answers,
        uploadIds: () => uploadIds,
      }),
    ]);
  } finally {
    await hogs.stop();
  }
  const failures: string[] = [];
  reportPhotos(run, count, failures);
  reportAnswers(answers, failures);
  line(
    'took',
    `${((Date.now() - began) / 1000).toFixed(1)} s (${(photoOutcome(run).final / Math.max(run.lastFinalMs / 1000, 0.001)).toFixed(2)} photos/s with the hogs)`,
  );
  return { failures };
}

/**
 * A point of the soak: memory as the OS counts it at rest (the runtime has given glibc's free memory
 * back in the meantime), glibc's totals, then memory once gdb's malloc_trim has given back whatever
 * the runtime's own left: RSS trimmed equals RSS as counted unless the runtime keeps free memory
 * (local/glibc-memory not built).
 */
interface SoakSample {
  label: string;
  counted: MemorySample;
  /** glibc's arenas as counted (before the trim): their size and the free memory they keep. */
  malloc?: MallocState;
  trimmed?: MemorySample;
}

async function sampleSoak(runtime: RuntimeProcess, label: string): Promise<SoakSample> {
  const counted = await runtime.memory();
  const malloc = trimMalloc(runtime.pid);
  return malloc ? { label, counted, malloc, trimmed: await runtime.memory() } : { label, counted };
}

/** One row per sample, then the change from the second (the warmed-up state) to the last. */
function memoryTable(samples: SoakSample[]): void {
  const columns: Array<[string, (sample: SoakSample) => number | undefined]> = [
    ['RSS', (sample) => sample.counted.rssMb],
    ['anonymous', (sample) => sample.counted.rssAnonMb],
    ['file', (sample) => sample.counted.rssFileMb],
    ['V8 held', (sample) => sample.counted.heapTotalMb],
    ['V8 resident', (sample) => sample.counted.heapResidentMb],
    ['heap (GC)', (sample) => sample.counted.heapUsedMb],
    ['external', (sample) => sample.counted.externalMb],
    ['malloc held', (sample) => sample.malloc?.systemMb],
    ['malloc free', (sample) => sample.malloc?.freeMb],
    ['malloc used', (sample) => (sample.malloc ? sample.malloc.systemMb - sample.malloc.freeMb : undefined)],
    ['RSS trimmed', (sample) => sample.trimmed?.rssMb],
    ['native used', (sample) => (sample.trimmed ? nativeMb(sample.trimmed) : undefined)],
  ];
  const row = (label: string, values: string[]) =>
    console.log(`  ${label.padEnd(24)}${values.map((value) => value.padStart(12)).join('')}`);
  row(
    'memory (MB)',
    columns.map(([title]) => title),
  );
  for (const sample of samples)
    row(
      sample.label,
      columns.map(([, pick]) => pick(sample)?.toFixed(1) ?? '-'),
    );
  const [first, last] = [samples[1], samples.at(-1)];
  if (!first || !last) return;
  row(
    'change warm → end',
    columns.map(([, pick]) => {
      const [from, to] = [pick(first), pick(last)];
      if (from === undefined || to === undefined) return '-';
      return `${to >= from ? '+' : ''}${(to - from).toFixed(1)}`;
    }),
  );
}

/** Photos and API requests at the same time; the requests also read the uploads' statuses. */
async function mixedLoad(
  runtime: RuntimeProcess,
  bytes: Buffer,
  work: { photos: number; requests: number; clients: number; concurrency: number; name: string },
  deadline: number,
  answers: Answers,
  uploadIds: string[],
): Promise<{ run: PhotoRun; sent: number }> {
  const [run, sent] = await Promise.all([
    uploadPhotos(runtime, bytes, {
      count: work.photos,
      clients: work.clients,
      deadline,
      answers,
      name: work.name,
      accepted: uploadIds,
    }),
    sendRequests(runtime, {
      count: work.requests,
      concurrency: work.concurrency,
      deadline,
      answers,
      uploadIds: () => uploadIds,
    }),
  ]);
  return { run, sent };
}

async function soak(runtime: RuntimeProcess, settings: Settings): Promise<PhaseResult> {
  const requests = settings.requests ?? 20_000;
  const count = settings.photos ?? 500;
  const clients = 10;
  const bytes = await loadPhoto('small');
  console.log(
    `\nsoak: ${requests} API requests (${settings.clients} at a time) and ${count} photos of 1600×1200 (${clients} clients) at the same time, in ${SOAK_PARTS} parts after a warm-up; memory of the runtime process (pid ${runtime.pid})`,
  );
  // A warm-up of the same mix, half the size of the run: every function loaded, V8's young
  // generation and JIT code, the allocator's arenas and LevelDB's caches grown to what this load
  // needs. Sampled every 2,500 requests and 62 photos, memory grew for the first 10,000 requests
  // and 250 photos, then stayed put (a warm-up of a tenth of the run left that growth in the
  // measured part).
  const samples: SoakSample[] = [await sampleSoak(runtime, 'start (before warm-up)')];
  const uploadIds: string[] = [];
  const warmUp = new Answers();
  await mixedLoad(
    runtime,
    bytes,
    {
      photos: Math.max(clients, Math.ceil(count / 2)),
      requests: Math.max(500, Math.ceil(requests / 2)),
      clients,
      concurrency: settings.clients,
      name: 'warm-up',
    },
    settings.deadline,
    warmUp,
    uploadIds,
  );
  if (warmUp.serverErrors.length > 0)
    console.log(`  warm-up: ${warmUp.serverErrors.length} 5xx (${warmUp.serverErrors[0]})`);
  samples.push(await sampleSoak(runtime, 'warm'));

  // Equal parts of the same mix: memory that settled stays put from one sample to the next; a leak
  // grows by about the same amount in each part.
  const answers = new Answers();
  const started = Date.now();
  let sent = 0;
  const run: PhotoRun = { statuses: new Map(), reasons: new Map(), notAccepted: 0, lastFinalMs: 0 };
  const share = (total: number, part: number) =>
    Math.floor((total * (part + 1)) / SOAK_PARTS) - Math.floor((total * part) / SOAK_PARTS);
  for (let part = 0; part < SOAK_PARTS; part++) {
    const label = part === SOAK_PARTS - 1 ? 'end' : `${part + 1}/${SOAK_PARTS}`;
    const done = await mixedLoad(
      runtime,
      bytes,
      {
        photos: share(count, part),
        requests: share(requests, part),
        clients,
        concurrency: settings.clients,
        name: `soak-${part + 1}`,
      },
      settings.deadline,
      answers,
      uploadIds,
    );
    sent += done.sent;
    for (const [uploadId, status] of done.run.statuses) run.statuses.set(uploadId, status);
    for (const [why, n] of done.run.reasons) run.reasons.set(why, (run.reasons.get(why) ?? 0) + n);
    samples.push(await sampleSoak(runtime, label));
  }
  const seconds = (Date.now() - started) / 1000;
  const [warm, end] = [samples[1] as SoakSample, samples.at(-1) as SoakSample];

  const failures: string[] = [];
  line(
    'requests',
    `${sent} of ${requests} (${(sent / Math.max(seconds, 0.001)).toFixed(0)}/s beside the photos)`,
  );
  if (sent < requests) failures.push(`the time limit cut the requests short at ${sent}`);
  reportPhotos(run, count, failures);
  line(
    '',
    `in ${seconds.toFixed(1)} s (${(photoOutcome(run).final / Math.max(seconds, 0.001)).toFixed(2)} photos/s beside the requests)`,
  );
  reportAnswers(answers, failures);
  const non2xx = answers.count((status) => !/^2\d\d$/.test(status));
  if (non2xx > answers.serverErrors.length)
    failures.push(`${non2xx - answers.serverErrors.length} answers neither 2xx nor 5xx`);
  if (!warm.trimmed) console.log('  (gdb could not call malloc_trim in the runtime process: no trimmed RSS)');
  memoryTable(samples);
  const checks: Array<[string, number | undefined, number]> = [
    ['heap after GC', end.counted.heapUsedMb - warm.counted.heapUsedMb, SOAK_BOUNDS.heapMb],
    [
      'native memory in use',
      warm.trimmed && end.trimmed ? nativeMb(end.trimmed) - nativeMb(warm.trimmed) : undefined,
      SOAK_BOUNDS.nativeMb,
    ],
    ['RSS', end.counted.rssMb - warm.counted.rssMb, SOAK_BOUNDS.rssMb],
  ];
  line('bounds', checks.map(([what, , bound]) => `${what} +${bound} MB`).join(', '));
  for (const [what, value, bound] of checks)
    if (value !== undefined && value > bound)
      failures.push(`${what} grew ${value.toFixed(1)} MB (bound ${bound} MB)`);
  return { failures };
}

const RUN: Record<Phase, (runtime: RuntimeProcess, settings: Settings) => Promise<PhaseResult>> = {
  throughput,
  saturated,
  soak,
};

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      phase: { type: 'string' },
      photos: { type: 'string' },
      requests: { type: 'string' },
      clients: { type: 'string', default: '16' },
      concurrency: { type: 'string' },
      'max-minutes': { type: 'string', default: '60' },
      verbose: { type: 'boolean', default: false },
    },
  });
  if (values.phase !== undefined && !PHASES.includes(values.phase as Phase))
    throw new Error(`--phase must be one of ${PHASES.join(', ')}, not ${values.phase}`);
  const phases = values.phase === undefined ? PHASES : [values.phase as Phase];
  const photos = positive('photos', values.photos);
  const requests = positive('requests', values.requests);
  const clients = Math.min(positive('clients', values.clients) ?? 16, 64);
  const concurrency = positive('concurrency', values.concurrency);
  const maxMinutes = positive('max-minutes', values['max-minutes']) ?? 60;
  const settings: Settings = {
    ...(photos ? { photos } : {}),
    ...(requests ? { requests } : {}),
    clients,
    deadline: Date.now() + maxMinutes * 60_000,
  };

  const started = Date.now();
  const runtime = await startRuntimeProcess({
    ...(concurrency ? { concurrency } : {}),
    verbose: values.verbose,
  });
  console.log(
    `npm run load: ${phases.join(', ')}; workflow v4 in a runtime process (pid ${runtime.pid}, ready in ${Date.now() - started} ms); ${cpus().length} CPUs, Node ${process.version}`,
  );
  const results = new Map<Phase, PhaseResult>();
  try {
    await createLoadPlace(runtime);
    for (const phase of phases) {
      const result = await RUN[phase](runtime, settings);
      results.set(phase, result);
      console.log(`  ${result.failures.length === 0 ? 'PASS' : `FAIL: ${result.failures.join('; ')}`}`);
    }
    const { taskFailures, functionErrors, problems, freedMemory } = await runtime.report();
    console.log(
      `\ntask failures      ${taskFailures.size === 0 ? 'none' : ''}${[...taskFailures]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 8)
        .map(([what, n]) => `\n  ${n} × ${what}`)
        .join('')}`,
    );
    console.log(
      `function errors    ${functionErrors.size === 0 ? 'none' : [...functionErrors].map(([word, n]) => `${word} ${n}`).join(', ')}`,
    );
    console.log(
      `freed memory       ${
        freedMemory.available
          ? `given back to the OS ${freedMemory.count} times, ${(freedMemory.ms / Math.max(freedMemory.count, 1)).toFixed(2)} ms each`
          : 'kept by glibc (local/glibc-memory is not built)'
      }`,
    );
    if (problems.length > 0) console.log(`runtime log: failures\n  ${problems.join('\n  ')}`);
  } finally {
    await runtime.close();
  }
  const failed = [...results].filter(([, result]) => result.failures.length > 0).map(([phase]) => phase);
  console.log(failed.length === 0 ? '\nevery phase passed' : `\nfailed: ${failed.join(', ')}`);
  return failed.length === 0 ? 0 : 1;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (error: Error) => {
      console.error(`npm run load failed: ${error.stack ?? error.message}`);
      process.exit(1);
    },
  );
}
