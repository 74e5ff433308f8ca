/**
 * `npx tsx local/vision/calibrate.ts`: runs the model engine over the calibration photos and prints
 * the measurements behind the thresholds (the table in local/vision/README.md).
 */
import { detectionConfidence } from './labels';
import { ModelVisionEngine } from './model-engine';
import { AMBIGUOUS_PHOTOS, CALIBRATION_PHOTOS, readCalibrationPhoto } from './photos';

async function main(): Promise<void> {
  const engine = await ModelVisionEngine.load();
  console.log(`models loaded in ${engine.loadMs} ms\n`);
  console.log(
    '| photo | people | best person score (confidence) | people ≥ 80 | explicit % | non-explicit % | ms |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (const photo of [...CALIBRATION_PHOTOS, ...AMBIGUOUS_PHOTOS]) {
    const image = await readCalibrationPhoto(photo);
    const started = performance.now();
    const detections = await engine.detect(image);
    const scores = await engine.classify(image);
    const ms = Math.round(performance.now() - started);
    const people = detections.filter((detection) => detection.cocoClass === 'person');
    const best = Math.max(0, ...people.map((person) => person.score));
    const counted = people.filter((person) => detectionConfidence('person', person.score) >= 80).length;
    const pct = (value: number) => (value * 100).toFixed(1);
    console.log(
      `| ${photo.id} | ${AMBIGUOUS_PHOTOS.includes(photo) ? '(figurines)' : photo.people ? 'yes' : 'no'} | ` +
        `${best.toFixed(3)} (${detectionConfidence('person', best).toFixed(1)}) | ${counted} | ` +
        `${pct(scores.Porn + scores.Hentai)} | ${pct(scores.Sexy)} | ${ms} |`,
    );
  }
}

main().catch((error: Error) => {
  console.error(error.stack ?? error.message);
  process.exit(1);
});
