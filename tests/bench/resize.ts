import { fork } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { resizeImage } from '../../functions/workflow/resize-image';

/**
 * Resize benchmark: the Resize task's single-decode pipeline (`resizeImage`) against the
 * baseline of the source blog posts — two independent sharp pipelines over the whole original,
 * run one after the other as their resizer does.
 *
 * CPU and wall time are measured side by side in this process, interleaved (the order
 * alternates every round) after a warm-up, so machine noise hits both alike. CPU time is
 * `process.cpuUsage()` user + system, which includes libvips' worker threads. Peak RSS is
 * measured in a fresh child process per approach (tests/bench/resize-rss-child.ts), so one
 * approach's heap and native buffers cannot inflate the other's.
 *
 * Both approaches run with libvips' operation cache off (resize-image.ts sets it on import):
 * on Lambda every invocation sees a new image, and a cache hit across rounds of the same
 * buffer would be an artefact of benchmarking.
 */

export type ApproachName = 'candidate' | 'baseline';

export const approaches: Record<ApproachName, (photo: Buffer) => Promise<number>> = {
  /** Returns the bytes produced, so neither approach can be optimised away. */
  candidate: async (photo) => {
    const result = await resizeImage(photo, { maxInputPixels: 50_000_000 });
    return result.tile.data.length + result.scaled.data.length;
  },
  baseline: async (photo) => {
    const tile = await sharp(photo).rotate().resize(400, 400, { fit: 'cover' }).jpeg().toBuffer();
    const scaled = await sharp(photo).rotate().resize({ width: 600 }).jpeg().toBuffer();
    return tile.length + scaled.length;
  },
};

export interface ApproachStats {
  /** Median CPU time (user + system, all threads) per run, ms. */
  cpuMsMedian: number;
  /** Median wall time per run, ms. */
  wallMsP50: number;
  /** Peak resident set size of a fresh process that ran only this approach, MB. */
  peakRssMb: number;
  /** Bytes of JPEG produced per run (both copies). */
  outputBytes: number;
}

export interface ResizeBenchResult {
  runs: number;
  warmupRuns: number;
  photoBytes: number;
  cpuCount: number;
  sharpConcurrency: number;
  candidate: ApproachStats;
  baseline: ApproachStats;
  /** candidate / baseline (RSS also as a difference in MB). */
  ratios: { cpu: number; wall: number; peakRss: number; peakRssDeltaMb: number };
  targets: { cpu: 0.65; wall: 0.6; peakRssDeltaMb: 20 };
  meetsTargets: boolean;
}

const WARMUP_RUNS = 3;
/** Runs per child when measuring peak RSS: enough for the allocator to reach its steady state. */
const RSS_RUNS = 3;

export async function benchResize(photo: Buffer, options: { runs: number }): Promise<ResizeBenchResult> {
  const runs = Math.max(1, Math.floor(options.runs));
  const samples: Record<ApproachName, { cpu: number[]; wall: number[]; bytes: number }> = {
    candidate: { cpu: [], wall: [], bytes: 0 },
    baseline: { cpu: [], wall: [], bytes: 0 },
  };

  for (let round = 0; round < WARMUP_RUNS; round++) {
    for (const name of order(round)) await approaches[name](photo);
  }
  for (let round = 0; round < runs; round++) {
    for (const name of order(round)) {
      const cpuBefore = process.cpuUsage();
      const wallBefore = performance.now();
      const bytes = await approaches[name](photo);
      const wall = performance.now() - wallBefore;
      const cpu = process.cpuUsage(cpuBefore);
      samples[name].cpu.push((cpu.user + cpu.system) / 1000);
      samples[name].wall.push(wall);
      samples[name].bytes = bytes;
    }
  }

  const rss = await peakRssOfEach(photo);
  const stats = (name: ApproachName): ApproachStats => ({
    cpuMsMedian: round1(median(samples[name].cpu)),
    wallMsP50: round1(median(samples[name].wall)),
    peakRssMb: round1(rss[name]),
    outputBytes: samples[name].bytes,
  });
  const candidate = stats('candidate');
  const baseline = stats('baseline');
  const ratios = {
    cpu: round3(candidate.cpuMsMedian / baseline.cpuMsMedian),
    wall: round3(candidate.wallMsP50 / baseline.wallMsP50),
    peakRss: round3(candidate.peakRssMb / baseline.peakRssMb),
    peakRssDeltaMb: round1(candidate.peakRssMb - baseline.peakRssMb),
  };
  const targets = { cpu: 0.65, wall: 0.6, peakRssDeltaMb: 20 } as const;
  return {
    runs,
    warmupRuns: WARMUP_RUNS,
    photoBytes: photo.length,
    cpuCount: availableParallelism(),
    sharpConcurrency: sharp.concurrency(),
    candidate,
    baseline,
    ratios,
    targets,
    meetsTargets:
      ratios.cpu <= targets.cpu &&
      ratios.wall <= targets.wall &&
      ratios.peakRssDeltaMb <= targets.peakRssDeltaMb,
  };
}

/** Candidate first on even rounds, baseline first on odd ones. */
function order(round: number): ApproachName[] {
  return round % 2 === 0 ? ['candidate', 'baseline'] : ['baseline', 'candidate'];
}

/** Peak RSS (MB) of one fresh child process per approach, run one after the other. */
async function peakRssOfEach(photo: Buffer): Promise<Record<ApproachName, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'resize-bench-'));
  const photoPath = join(dir, 'photo.jpg');
  writeFileSync(photoPath, photo);
  try {
    const candidate = await peakRssInChild('candidate', photoPath);
    const baseline = await peakRssInChild('baseline', photoPath);
    return { candidate, baseline };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function peakRssInChild(name: ApproachName, photoPath: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = fork(join(__dirname, 'resize-rss-child.ts'), [name, photoPath, String(RSS_RUNS)], {
      execArgv: ['--import', 'tsx'],
      cwd: join(__dirname, '..', '..'),
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let reported: number | undefined;
    child.on('message', (message: { maxRssKb?: number }) => {
      reported = message.maxRssKb;
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0 && reported !== undefined) resolve(reported / 1024);
      else reject(new Error(`RSS child for ${name} exited with code ${code} without a measurement`));
    });
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const upper = sorted[middle] ?? Number.NaN;
  return sorted.length % 2 === 1 ? upper : ((sorted[middle - 1] ?? upper) + upper) / 2;
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
