/**
 * The local vision engine's speed on this machine: model load time (backend + both models, once per
 * process) and the median latency of DetectLabels and DetectModerationLabels over the calibration
 * photos (real photos, 18 of them), each image already in memory, after one warm-up call each.
 * Needs the engine installed (`npm run local:vision:install`; see isVisionEngineInstalled).
 * `npx tsx tests/bench/vision.ts` runs it alone.
 */
import { ModelVisionEngine } from '../../local/vision/model-engine';
import { CALIBRATION_PHOTOS, readCalibrationPhoto } from '../../local/vision/photos';

export interface VisionBench {
  loadMs: number;
  medianDetectLabelsMs: number;
  medianModerationMs: number;
  images: number;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
};

async function timed(task: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await task();
  return performance.now() - started;
}

export async function benchVisionEngine(): Promise<VisionBench> {
  const images = await Promise.all(CALIBRATION_PHOTOS.map((photo) => readCalibrationPhoto(photo)));
  const engine = await ModelVisionEngine.load();
  const [first] = images;
  if (first) {
    await engine.detectLabels(first);
    await engine.detectModerationLabels(first);
  }
  const labelsMs: number[] = [];
  const moderationMs: number[] = [];
  for (const image of images) {
    labelsMs.push(await timed(() => engine.detectLabels(image)));
    moderationMs.push(await timed(() => engine.detectModerationLabels(image)));
  }
  return {
    loadMs: engine.loadMs ?? Number.NaN,
    medianDetectLabelsMs: Math.round(median(labelsMs)),
    medianModerationMs: Math.round(median(moderationMs)),
    images: images.length,
  };
}

if (require.main === module) {
  benchVisionEngine().then(
    (result) => console.log(result),
    (error: Error) => {
      console.error(error.stack ?? error.message);
      process.exit(1);
    },
  );
}
