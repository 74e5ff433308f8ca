/**
 * `npm run load`: phone-sized photos through workflow v4 offline, from concurrent clients, to show
 * that load loses nothing. Starts the whole app in this process on a temporary data directory
 * (loopback only), creates a park, and has each client upload its share through an upload ticket
 * and a presigned POST, then poll its uploads until they are final. Prints photos/s, CPU seconds
 * per photo (this process and every function environment), the final statuses and the 5xx answers.
 * Exits 1 unless every photo ends PROCESSED with no 5xx.
 *
 *   npm run load -- [--photos 80] [--clients 16] [--timeout 600] [--concurrency N]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { smartphonePhoto } from '../../tests/bench/photo';
import { ApiError, HappyPathClient, type UploadStatus } from '../demo/client';
import { startLocalApp } from '../runtime/app';
import { DeclaredLabelsVisionEngine } from '../services/declared-labels';
import type { StepFunctionsEngine } from '../stepfunctions';

const FINAL = new Set(['PROCESSED', 'REJECTED', 'FAILED']);
const POLL_INTERVAL_MS = 500;

/** CPU seconds of this process plus its ended children (Linux /proc; children count once reaped). */
function cpuSeconds(): number {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]?.split(' ') ?? [];
    // utime, stime, cutime, cstime are fields 14-17 of stat(5); here indexes 11-14 after the name.
    const ticks = [11, 12, 13, 14].reduce((sum, index) => sum + Number(fields[index] ?? 0), 0);
    return ticks / 100;
  } catch {
    const usage = process.cpuUsage();
    return (usage.user + usage.system) / 1e6;
  }
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

function positive(name: string, value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number <= 0)
    throw new Error(`--${name} must be a positive integer, not ${value}`);
  return number;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      photos: { type: 'string', default: '80' },
      clients: { type: 'string', default: '16' },
      timeout: { type: 'string', default: '600' },
      concurrency: { type: 'string' },
      verbose: { type: 'boolean', default: false },
    },
  });
  const photoCount = Math.min(positive('photos', values.photos), 1000);
  const clientCount = Math.min(positive('clients', values.clients), 64);
  const timeoutMs = Math.min(positive('timeout', values.timeout), 3600) * 1000;
  const concurrency =
    values.concurrency === undefined ? undefined : positive('concurrency', values.concurrency);

  const photo = await smartphonePhoto();
  console.log(
    `${photoCount} photos of ${(photo.length / 1e6).toFixed(1)} MB (4032×3024 JPEG) from ${clientCount} clients through workflow v4; ${cpus().length} CPUs, Node ${process.version}`,
  );
  const dataDir = mkdtempSync(join(tmpdir(), 'happy-path-load-'));
  const logCounts = new Map<string, number>();
  const watched = [
    'Sandbox.Timedout',
    'TooManyRequestsException',
    'Runtime.OutOfMemory',
    'Runtime.ExitError',
  ];
  const log = (line: string) => {
    for (const word of watched) if (line.includes(word)) logCounts.set(word, (logCounts.get(word) ?? 0) + 1);
    if (values.verbose) console.log(line);
  };
  const started = Date.now();
  const app = await startLocalApp({
    root: resolve(__dirname, '..', '..'),
    workflow: 'v4',
    dataDir,
    host: '127.0.0.1',
    vision: new DeclaredLabelsVisionEngine(),
    functionEnvironment: { POWERTOOLS_LOG_LEVEL: 'WARN' },
    ...(concurrency ? { concurrency } : {}),
    log,
  });
  console.log(`runtime ready in ${Date.now() - started} ms (data in ${dataDir})`);
  const cpuBefore = cpuSeconds();
  const began = Date.now();
  const deadline = began + timeoutMs;
  const serverErrors: string[] = [];
  const statuses = new Map<string, UploadStatus['status']>();
  const reasons = new Map<string, number>();
  let lastFinal = began;
  let taskFailures = new Map<string, number>();
  try {
    const token = app.token('load-user');
    const setup = new HappyPathClient(app.api.url, token);
    await setup.createPlace({ id: 'load-park', name: 'Load Park', type: 'park', lat: 48.2, lng: 16.37 });

    let next = 0;
    const client = async (index: number) => {
      const api = new HappyPathClient(app.api.url, token);
      const mine: string[] = [];
      while (next < photoCount && Date.now() < deadline) {
        const number = next++;
        try {
          const uploadId = await api.upload('load-park', photo, `load-${index}-${number}.jpg`);
          mine.push(uploadId);
          statuses.set(uploadId, 'PENDING');
        } catch (error) {
          if (error instanceof ApiError && error.status >= 500) serverErrors.push(error.message);
          else throw error;
        }
      }
      while (Date.now() < deadline) {
        const waiting = mine.filter((id) => !FINAL.has(statuses.get(id) ?? 'PENDING'));
        if (waiting.length === 0) return;
        for (const uploadId of waiting) {
          try {
            const upload = await api.getUpload(uploadId);
            statuses.set(uploadId, upload.status);
            if (FINAL.has(upload.status)) lastFinal = Date.now();
            if (upload.status === 'FAILED' || upload.status === 'REJECTED') {
              const why = `${upload.status} ${upload.reason ?? ''} ${upload.detail ?? ''}`.trim();
              reasons.set(why, (reasons.get(why) ?? 0) + 1);
            }
          } catch (error) {
            if (error instanceof ApiError && error.status >= 500) serverErrors.push(error.message);
            else throw error;
          }
        }
        await new Promise((resolvePromise) => setTimeout(resolvePromise, POLL_INTERVAL_MS));
      }
    };
    await Promise.all(Array.from({ length: clientCount }, (_, index) => client(index)));
    taskFailures = countTaskFailures(app.runtime.engine);
  } finally {
    await app.close();
  }
  const cpu = cpuSeconds() - cpuBefore;
  rmSync(dataDir, { recursive: true, force: true });

  const count = (status: string) => [...statuses.values()].filter((value) => value === status).length;
  const processed = count('PROCESSED');
  const finals = processed + count('REJECTED') + count('FAILED');
  const seconds = (lastFinal - began) / 1000;
  console.log(`
uploads accepted   ${statuses.size} of ${photoCount}
PROCESSED          ${processed}
REJECTED           ${count('REJECTED')}
FAILED             ${count('FAILED')}
${[...reasons].map(([why, n]) => `  ${n} × ${why}\n`).join('')}not final          ${statuses.size - finals}${Date.now() > deadline ? ` (gave up after ${timeoutMs / 1000} s)` : ''}
5xx answers        ${serverErrors.length}${serverErrors.length > 0 ? `\n  ${[...new Set(serverErrors)].slice(0, 5).join('\n  ')}` : ''}
throughput         ${(finals / seconds).toFixed(2)} photos/s (${finals} final in ${seconds.toFixed(1)} s)
CPU per photo      ${(cpu / Math.max(1, finals)).toFixed(2)} CPU-s (runtime, function environments and clients: ${cpu.toFixed(1)} CPU-s)
task failures      ${taskFailures.size === 0 ? 'none' : ''}${[...taskFailures]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 8)
    .map(([what, n]) => `\n  ${n} × ${what}`)
    .join('')}
function errors    ${watched.map((word) => `${word} ${logCounts.get(word) ?? 0}`).join(', ')}`);
  return processed === photoCount && serverErrors.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(`npm run load failed: ${error.stack ?? error.message}`);
    process.exit(1);
  },
);
