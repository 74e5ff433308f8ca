import {
  DetectLabelsCommand,
  DetectModerationLabelsCommand,
  RekognitionClient,
} from '@aws-sdk/client-rekognition';
import sharp from 'sharp';
import { chooseVisionEngine } from '../../../local/vision/choose';
import { ModelVisionEngine } from '../../../local/vision/model-engine';
import { isVisionEngineInstalled } from '../../../local/vision/packages';
import {
  CALIBRATION_PHOTOS,
  type CalibrationPhoto,
  calibrationPhoto,
  readCalibrationPhoto,
} from '../../../local/vision/photos';
import { clientConfig, type RunningServices, rejectionOf, startServices } from '../services/harness';

/**
 * Calibration of the model engine on real photos shipped by the engine's packages. The one allowed
 * skip: without local/vision-engine/node_modules (`npm run local:vision:install`) these tests skip
 * themselves; CI installs the engine.
 */
const installed = isVisionEngineInstalled();
const maybe = installed ? describe : describe.skip;
if (!installed) {
  console.warn(
    'SKIPPED: model vision engine calibration — local/vision-engine is not installed (npm run local:vision:install)',
  );
}

/** The workflows' thresholds: PERSON_MIN_CONFIDENCE and MIN_MODERATION_CONFIDENCE. */
const PERSON_MIN_CONFIDENCE = 80;
const MODERATION_MIN_CONFIDENCE = 60;
const SLOW = 60_000;

const withPeople = CALIBRATION_PHOTOS.filter((photo) => photo.people);
const withoutPeople = CALIBRATION_PHOTOS.filter((photo) => !photo.people);

maybe(`model vision engine${installed ? '' : ' (SKIPPED: run npm run local:vision:install)'}`, () => {
  let engine: ModelVisionEngine;
  const photo = (entry: CalibrationPhoto) => readCalibrationPhoto(entry);

  beforeAll(async () => {
    engine = await ModelVisionEngine.load();
  }, SLOW);

  afterAll(async () => {
    await engine?.close();
  });

  describe('calibration photos', () => {
    it.each(withPeople.map((entry) => [entry.id, entry] as const))(
      'finds at least one person, at the workflow threshold, in %s',
      async (_id, entry) => {
        const result = await engine.detectLabels(await photo(entry), {
          minConfidence: PERSON_MIN_CONFIDENCE,
        });

        const person = result.Labels.find((label) => label.Name === 'Person');
        expect(person?.Instances.length ?? 0).toBeGreaterThanOrEqual(1);
      },
      SLOW,
    );

    it.each(withoutPeople.map((entry) => [entry.id, entry] as const))(
      'finds no person, even at Rekognition’s default confidence, in %s',
      async (_id, entry) => {
        const result = await engine.detectLabels(await photo(entry));

        expect(result.Labels.map((label) => label.Name)).not.toContain('Person');
      },
      SLOW,
    );

    it.each(CALIBRATION_PHOTOS.map((entry) => [entry.id, entry] as const))(
      'does not flag %s as explicit at the workflow threshold',
      async (_id, entry) => {
        const result = await engine.detectModerationLabels(await photo(entry), MODERATION_MIN_CONFIDENCE);

        const explicit = result.ModerationLabels.filter(
          (label) => label.Name === 'Explicit' || label.ParentName === 'Explicit',
        );
        expect(explicit).toEqual([]);
      },
      SLOW,
    );
  });

  describe('Rekognition behaviour', () => {
    it(
      'boxes people in the oriented image when the photo is stored rotated with an EXIF orientation',
      async () => {
        const upright = await photo(calibrationPhoto('face-api-sample1'));
        // Stored turned 90° anticlockwise; orientation 6 tells viewers to turn it back clockwise.
        const stored = await sharp(upright).rotate(270).withMetadata({ orientation: 6 }).jpeg().toBuffer();

        const expected = await engine.detectLabels(upright, { minConfidence: PERSON_MIN_CONFIDENCE });
        const actual = await engine.detectLabels(stored, { minConfidence: PERSON_MIN_CONFIDENCE });

        const boxes = (result: typeof expected) =>
          (result.Labels.find((label) => label.Name === 'Person')?.Instances ?? [])
            .map((instance) => instance.BoundingBox)
            .sort((a, b) => a.Left - b.Left);
        const [expectedBoxes, actualBoxes] = [boxes(expected), boxes(actual)];
        expect(actualBoxes).toHaveLength(expectedBoxes.length);
        actualBoxes.forEach((box, index) => {
          expect(box.Left).toBeCloseTo(expectedBoxes[index]?.Left ?? -1, 1);
          expect(box.Top).toBeCloseTo(expectedBoxes[index]?.Top ?? -1, 1);
          expect(box.Width).toBeCloseTo(expectedBoxes[index]?.Width ?? -1, 1);
        });
      },
      SLOW,
    );

    it(
      'honours MaxLabels and MinConfidence in DetectLabels',
      async () => {
        const image = await photo(calibrationPhoto('jimp-fillbytes'));

        const all = await engine.detectLabels(image, { minConfidence: 0 });
        const top = await engine.detectLabels(image, { minConfidence: 0, maxLabels: 2 });
        const confident = await engine.detectLabels(image, { minConfidence: 60 });

        expect(all.Labels.length).toBeGreaterThan(2);
        expect(top.Labels).toEqual(all.Labels.slice(0, 2));
        for (const label of confident.Labels) {
          expect(label.Confidence).toBeGreaterThanOrEqual(60);
          for (const instance of label.Instances) expect(instance.Confidence).toBeGreaterThanOrEqual(60);
        }
        expect(all.Labels.map((label) => label.Name)).toEqual(expect.arrayContaining(['Car', 'Vehicle']));
      },
      SLOW,
    );

    it(
      'answers moderation in taxonomy v7 with confidences 0–100, above MinConfidence only',
      async () => {
        const image = await photo(calibrationPhoto('face-api-sample2'));

        const everything = await engine.detectModerationLabels(image, 0);
        const strict = await engine.detectModerationLabels(image, 99.9);

        expect(everything.ModerationModelVersion).toBe('7.0');
        expect(everything.ModerationLabels.length).toBeGreaterThan(0);
        for (const label of everything.ModerationLabels) {
          expect(label.Confidence).toBeGreaterThanOrEqual(0);
          expect(label.Confidence).toBeLessThanOrEqual(100);
          expect(label.TaxonomyLevel).toBe(label.ParentName === '' ? 1 : 2);
        }
        expect(strict.ModerationLabels).toEqual([]);
      },
      SLOW,
    );

    it('answers InvalidImageFormatException for bytes it cannot decode', async () => {
      const error = await rejectionOf(engine.detectLabels(Buffer.from('not an image at all')));

      expect(error.code).toBe('InvalidImageFormatException');
    });

    it(
      'loads the models once however many engines are asked for',
      async () => {
        const again = await ModelVisionEngine.load();

        expect(again.loadMs).toBe(engine.loadMs);
      },
      SLOW,
    );

    it(
      'is the default engine once installed',
      async () => {
        const lines: string[] = [];

        const chosen = await chooseVisionEngine(undefined, (line) => lines.push(line));

        expect(chosen.mode).toBe('model');
        expect(lines.join('\n')).toContain('model engine');
      },
      SLOW,
    );
  });

  describe('behind the Rekognition stand-in, through the AWS SDK', () => {
    let services: RunningServices;
    let rekognition: RekognitionClient;

    beforeAll(async () => {
      services = await startServices({ vision: engine });
      rekognition = new RekognitionClient(clientConfig(services.endpoint));
    });

    afterAll(async () => {
      rekognition.destroy();
      await services.close();
    });

    it(
      'counts the people of a real photo the way the Detect people task asks',
      async () => {
        const image = await photo(calibrationPhoto('face-api-sample1'));

        const result = await rekognition.send(
          new DetectLabelsCommand({
            Image: { Bytes: image },
            MinConfidence: PERSON_MIN_CONFIDENCE,
            Settings: { GeneralLabels: { LabelInclusionFilters: ['Person'] } },
          }),
        );

        const person = result.Labels?.find((label) => label.Name === 'Person');
        expect(person?.Instances?.length).toBe(3);
        for (const instance of person?.Instances ?? []) {
          const { Left = -1, Top = -1, Width = -1, Height = -1 } = instance.BoundingBox ?? {};
          expect([Left, Top, Width, Height].every((ratio) => ratio >= 0 && ratio <= 1)).toBe(true);
          expect(Left + Width).toBeLessThanOrEqual(1.000001);
        }
      },
      SLOW,
    );

    it(
      'passes a real photo without people through moderation with no label',
      async () => {
        const image = await photo(calibrationPhoto('jimp-flower'));

        const result = await rekognition.send(
          new DetectModerationLabelsCommand({
            Image: { Bytes: image },
            MinConfidence: MODERATION_MIN_CONFIDENCE,
          }),
        );

        expect(result.ModerationLabels).toEqual([]);
        expect(result.ModerationModelVersion).toBe('7.0');
      },
      SLOW,
    );
  });
});
