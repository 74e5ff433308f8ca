/**
 * Soak: does the offline runtime's memory stay flat over a long run? Starts the app in this process
 * (workflow v4, a fresh data directory, loopback only), warms it up, measures RSS and heap after a
 * full GC, sends API requests (GET /locations?placeId= and GET /uploads/{id}, bounded concurrency)
 * and uploads photos through the v4 workflow in batches, then measures again.
 *
 *   npx tsx local/load/soak.ts [--requests 20000] [--photos 500] [--concurrency 16]
 *                              [--batch 10] [--max-minutes 30]
 *
 * Bounded: the counts are fixed and each phase stops at the time limit (the report says so).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { HappyPathClient } from '../demo/client';
import { photo } from '../demo/photos';
import { type LocalApp, startLocalApp } from '../runtime/app';

export interface SoakOptions {
  requests: number;
  photos: number;
  concurrency: number;
  batch: number;
  maxMinutes: number;
  /** Share of the requests that get the place page (a DynamoDB Query); the rest get an upload (GetItem). Default 0.5. */
  placePageShare?: number;
  /** API requests before the first measurement (the photos' warm-up is one batch). */
  warmUpRequests?: number;
  log?: (line: string) => void;
}

export interface MemorySample {
  rssMb: number;
  heapUsedMb: number;
  externalMb: number;
}

export interface SoakReport {
  before: MemorySample;
  /** Between the requests and the photos. */
  afterRequests: MemorySample;
  after: MemorySample;
  requests: { sent: number; byStatus: Record<string, number>; seconds: number };
  photos: { sent: number; byStatus: Record<string, number>; seconds: number };
  /** True when a phase stopped at the time limit before its count. */
  cutShort: boolean;
}

const DEFAULTS: Omit<SoakOptions, 'log'> = {
  requests: 20_000,
  photos: 500,
  concurrency: 16,
  batch: 10,
  maxMinutes: 30,
};

const PARK = { id: 'soak-park', name: 'Soak Park', type: 'park', lat: 40.78, lng: -73.97 };

/** The V8 `gc()` function, exposed at run time (the same as starting node with --expose-gc). */
function exposedGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

const megabytes = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

/** Memory after full collections (let pending callbacks settle between them). */
export async function sampleMemory(): Promise<MemorySample> {
  const gc = exposedGc();
  for (let round = 0; round < 3; round++) {
    gc();
    await new Promise((settled) => setTimeout(settled, 50));
  }
  const usage = process.memoryUsage();
  return {
    rssMb: megabytes(usage.rss),
    heapUsedMb: megabytes(usage.heapUsed),
    externalMb: megabytes(usage.external),
  };
}

/** Runs `count` calls of `task`, at most `concurrency` at a time, until `deadline`; returns how many ran. */
async function runBounded(
  count: number,
  concurrency: number,
  deadline: number,
  task: (index: number) => Promise<void>,
): Promise<number> {
  let next = 0;
  const worker = async () => {
    while (next < count && Date.now() < deadline) {
      const index = next++;
      await task(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return next;
}

function tally(byStatus: Record<string, number>, key: string | number): void {
  byStatus[key] = (byStatus[key] ?? 0) + 1;
}

/** API requests: the place page (a DynamoDB Query) and an upload's status (a GetItem). */
async function sendRequests(
  app: LocalApp,
  uploadIds: string[],
  options: SoakOptions,
  deadline: number,
  byStatus: Record<string, number>,
): Promise<number> {
  const authorization = `Bearer ${app.token('user-soak')}`;
  const share = options.placePageShare ?? 0.5;
  return runBounded(options.requests, options.concurrency, deadline, async (index) => {
    const placePages = Math.floor((index + 1) * share) - Math.floor(index * share);
    const path =
      placePages > 0
        ? `/locations?placeId=${PARK.id}`
        : `/uploads/${uploadIds[index % uploadIds.length] ?? 'missing'}`;
    try {
      const response = await fetch(`${app.api.url}${path}`, { headers: { authorization } });
      await response.arrayBuffer();
      tally(byStatus, response.status);
    } catch (error) {
      tally(byStatus, (error as Error).name);
    }
  });
}

/** Photos through v4 in batches: each batch uploaded at once, then every upload awaited to its end. */
async function sendPhotos(
  client: HappyPathClient,
  bytes: Buffer,
  count: number,
  batch: number,
  deadline: number,
  byStatus: Record<string, number>,
  uploadIds: string[],
): Promise<number> {
  let sent = 0;
  while (sent < count && Date.now() < deadline) {
    const size = Math.min(batch, count - sent);
    await Promise.all(
      Array.from({ length: size }, async (_, index) => {
        try {
          const uploadId = await client.upload(PARK.id, bytes, `soak-${sent + index}.jpg`);
          uploadIds.push(uploadId);
          const upload = await client.waitForUpload(uploadId, Math.max(1000, deadline - Date.now()));
          tally(byStatus, upload.status);
        } catch (error) {
          tally(byStatus, (error as Error).name);
        }
      }),
    );
    sent += size;
  }
  return sent;
}

export async function soak(root: string, options: SoakOptions): Promise<SoakReport> {
  const log = options.log ?? (() => undefined);
  const deadline = Date.now() + options.maxMinutes * 60_000;
  const dataDir = mkdtempSync(join(tmpdir(), 'happy-path-soak-'));
  const app = await startLocalApp({
    root,
    workflow: 'v4',
    dataDir,
    functionEnvironment: { POWERTOOLS_LOG_LEVEL: 'SILENT' },
  });
  try {
    const client = new HappyPathClient(app.api.url, app.token('user-soak'));
    await client.createPlace(PARK);
    const bytes = await photo(1600, 1200);
    const uploadIds: string[] = [];
    const warmUp: Record<string, number> = {};
    // Warm-up: first calls load every function and fill caches; memory is measured after it.
    await sendPhotos(client, bytes, Math.min(options.batch, 10), options.batch, deadline, warmUp, uploadIds);
    await sendRequests(
      app,
      uploadIds,
      { ...options, requests: options.warmUpRequests ?? 500 },
      deadline,
      warmUp,
    );
    log(`warm-up: ${JSON.stringify(warmUp)}`);

    const before = await sampleMemory();
    log(`before: ${JSON.stringify(before)}`);
    const requestStatus: Record<string, number> = {};
    let started = Date.now();
    const requests = await sendRequests(app, uploadIds, options, deadline, requestStatus);
    const requestSeconds = (Date.now() - started) / 1000;
    log(`requests: ${requests} in ${requestSeconds.toFixed(1)} s ${JSON.stringify(requestStatus)}`);
    const afterRequests = await sampleMemory();
    log(`after the requests: ${JSON.stringify(afterRequests)}`);
    const photoStatus: Record<string, number> = {};
    started = Date.now();
    const photos = await sendPhotos(
      client,
      bytes,
      options.photos,
      options.batch,
      deadline,
      photoStatus,
      uploadIds,
    );
    const photoSeconds = (Date.now() - started) / 1000;
    log(`photos: ${photos} in ${photoSeconds.toFixed(1)} s ${JSON.stringify(photoStatus)}`);
    const after = await sampleMemory();
    log(`after: ${JSON.stringify(after)}`);
    return {
      before,
      afterRequests,
      after,
      requests: { sent: requests, byStatus: requestStatus, seconds: requestSeconds },
      photos: { sent: photos, byStatus: photoStatus, seconds: photoSeconds },
      cutShort: requests < options.requests || photos < options.photos,
    };
  } finally {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function parseOptions(argv: string[]): SoakOptions {
  const options: SoakOptions = { ...DEFAULTS };
  const names: Record<string, keyof typeof DEFAULTS> = {
    '--requests': 'requests',
    '--photos': 'photos',
    '--concurrency': 'concurrency',
    '--batch': 'batch',
    '--max-minutes': 'maxMinutes',
  };
  for (let index = 0; index < argv.length; index += 2) {
    const name = names[argv[index] ?? ''];
    const value = Number(argv[index + 1]);
    if (
      !name ||
      !Number.isFinite(value) ||
      value < 0 ||
      (name !== 'maxMinutes' && !Number.isInteger(value))
    ) {
      throw new Error(
        `Usage: npx tsx local/load/soak.ts [--requests N] [--photos N] [--concurrency N] [--batch N] [--max-minutes M] (got ${argv.slice(index, index + 2).join(' ')})`,
      );
    }
    options[name] = value;
  }
  if (options.concurrency < 1 || options.batch < 1)
    throw new Error('--concurrency and --batch must be at least 1');
  return options;
}

/** One line of the memory table: before, after the requests, after the photos, and the change. */
function row(pick: (sample: MemorySample) => number, report: SoakReport): string {
  const [before, middle, after] = [report.before, report.afterRequests, report.after].map(pick) as [
    number,
    number,
    number,
  ];
  const change = `${after >= before ? '+' : ''}${(after - before).toFixed(1)}`;
  return [before, middle, after].map((value) => value.toFixed(1).padStart(14)).join('') + change.padStart(10);
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  console.log(
    `soak: ${options.requests} API requests (concurrency ${options.concurrency}), ${options.photos} photos through v4 (batches of ${options.batch}), at most ${options.maxMinutes} min`,
  );
  const report = await soak(join(__dirname, '..', '..'), {
    ...options,
    log: (line) => console.log(`  ${line}`),
  });
  const columns = ['before', 'requests done', 'photos done'].map((title) => title.padStart(14)).join('');
  console.log(`\n${'memory (MB)'.padEnd(20)}${columns}${'change'.padStart(10)}`);
  console.log(`${'RSS'.padEnd(20)}${row((sample) => sample.rssMb, report)}`);
  console.log(`${'heap after GC'.padEnd(20)}${row((sample) => sample.heapUsedMb, report)}`);
  console.log(`${'external after GC'.padEnd(20)}${row((sample) => sample.externalMb, report)}`);
  const errors = Object.entries(report.requests.byStatus).filter(([status]) => !/^[23]\d\d$/.test(status));
  console.log(
    `\nrequests: ${report.requests.sent} in ${report.requests.seconds.toFixed(1)} s; photos: ${report.photos.sent} in ${report.photos.seconds.toFixed(1)} s (${(report.photos.sent / Math.max(report.photos.seconds, 0.001)).toFixed(2)}/s)`,
  );
  if (errors.length > 0) console.log(`request errors: ${JSON.stringify(Object.fromEntries(errors))}`);
  if (report.cutShort) console.log('the time limit cut the run short: the counts above are what was sent');
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error((error as Error).message);
    process.exitCode = 1;
  });
}
