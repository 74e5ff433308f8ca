/**
 * `npm run bench`: the image workflow's speed and memory targets, measured side by side in one
 * run on a generated 4032×3024 quality-92 smartphone photo with EXIF orientation.
 *   - Resize: one shrink-on-load decode for both copies vs the posts' two full pipelines.
 *   - Check dimensions: bytes read with ranged GETs vs downloading the whole object.
 * Prints the numbers and the targets; exits 1 when a target is missed.
 */
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { isVisionEngineInstalled } from '../../local/vision/packages';
import { benchDimensionCheck, withLargeMetadata } from './dimension-check';
import { smartphonePhoto } from './photo';
import { benchResize } from './resize';
import { benchVisionEngine } from './vision';

const fmt = (value: number, digits = 1) => value.toFixed(digits);
const check = (ok: boolean) => (ok ? 'met' : 'MISSED');

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '20' } } });
  const photo = await smartphonePhoto();
  console.log(
    `Photo: 4032×3024 (stored 3024×4032, EXIF orientation 6), JPEG q92, ${fmt(photo.length / 1e6, 2)} MB; ` +
      `${cpus().length} CPUs, Node ${process.version}\n`,
  );

  const resize = await benchResize(photo, { runs: Number(values.runs) });
  const { candidate, baseline, ratios } = resize;
  const rows = [
    ['', 'single decode', 'posts (2 decodes)', 'ratio', 'target', ''],
    [
      'CPU time, median',
      `${fmt(candidate.cpuMsMedian)} ms`,
      `${fmt(baseline.cpuMsMedian)} ms`,
      fmt(ratios.cpu, 3),
      '≤ 0.65',
      check(ratios.cpu <= 0.65),
    ],
    [
      'wall time, p50',
      `${fmt(candidate.wallMsP50)} ms`,
      `${fmt(baseline.wallMsP50)} ms`,
      fmt(ratios.wall, 3),
      '≤ 0.60',
      check(ratios.wall <= 0.6),
    ],
    [
      'peak RSS',
      `${fmt(candidate.peakRssMb)} MB`,
      `${fmt(baseline.peakRssMb)} MB`,
      `${ratios.peakRssDeltaMb >= 0 ? '+' : ''}${fmt(ratios.peakRssDeltaMb)} MB`,
      '≤ +20 MB',
      check(ratios.peakRssDeltaMb <= 20),
    ],
  ];
  console.log(`Resize (${resize.runs} interleaved runs each after ${resize.warmupRuns} warm-up runs):`);
  printTable(rows);

  const dimensions = await benchDimensionCheck(photo);
  const fewer = dimensions.objectBytes / dimensions.bytesRead;
  const worst = await benchDimensionCheck(withLargeMetadata(photo));
  console.log('\nCheck dimensions (bytes read from S3):');
  printTable([
    ['', 'ranged header reads', 'whole object', 'fewer bytes', 'target', ''],
    [
      'bytes read',
      `${dimensions.bytesRead} B in ${dimensions.requests} request(s)`,
      `${dimensions.objectBytes} B`,
      `${fmt(fewer)}×`,
      '≤ 65536 B, ≥ 50×',
      check(dimensions.bytesRead <= 65536 && fewer >= 50),
    ],
    [
      'behind 1.25 MiB of APP2',
      `${worst.bytesRead} B in ${worst.requests} request(s)`,
      `${worst.objectBytes} B`,
      `${fmt(worst.objectBytes / worst.bytesRead)}×`,
      '≤ 1048576 B',
      check(worst.bytesRead <= 1024 * 1024),
    ],
  ]);

  if (isVisionEngineInstalled()) {
    const vision = await benchVisionEngine();
    console.log('\nLocal vision engine (npm start --vision model; no target, measured for the record):');
    printTable([
      ['', 'value'],
      ['model load (both models)', `${fmt(vision.loadMs, 0)} ms`],
      [`DetectLabels, median of ${vision.images} photos`, `${fmt(vision.medianDetectLabelsMs, 0)} ms`],
      [
        `DetectModerationLabels, median of ${vision.images} photos`,
        `${fmt(vision.medianModerationMs, 0)} ms`,
      ],
    ]);
  } else {
    console.log('\nLocal vision engine: not installed (npm run local:vision:install), not measured.');
  }

  const met =
    resize.meetsTargets &&
    ratios.peakRssDeltaMb <= 20 &&
    dimensions.bytesRead <= 65536 &&
    fewer >= 50 &&
    worst.bytesRead <= 1024 * 1024;
  console.log(`\n${met ? 'All targets met.' : 'Some targets MISSED.'}`);
  return met ? 0 : 1;
}

function printTable(rows: string[][]): void {
  const widths = (rows[0] ?? []).map((_, column) =>
    Math.max(...rows.map((row) => (row[column] ?? '').length)),
  );
  for (const row of rows)
    console.log(`  ${row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ')}`);
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(error.stack ?? error.message);
    process.exit(1);
  },
);
