import { DetectLabelsCommand, RekognitionClient } from '@aws-sdk/client-rekognition';
import {
  type DetectLabelsOptions,
  type Label,
  selectLabels,
  type VisionEngine,
} from '../../../local/services';
import { ModelVisionEngine } from '../../../local/vision/model-engine';
import { isVisionEngineInstalled } from '../../../local/vision/packages';
import { calibrationPhoto, readCalibrationPhoto } from '../../../local/vision/photos';
import { clientConfig, startServices } from './harness';

const label = (name: string, confidence: number, categories: string[] = []): Label => ({
  Name: name,
  Confidence: confidence,
  Instances: [],
  Parents: [],
  Aliases: [],
  Categories: categories.map((category) => ({ Name: category })),
});

const detected = [label('Car', 99, ['Vehicles and Automotive']), label('Person', 90), label('Dog', 80)];

/** A 1×1 JPEG: the handler checks the format before asking the engine. */
const tinyJpeg = Buffer.from(
  '/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAMCAgICAgMCAgIDAwMDBAYEBAQEBAgGBgUGCQgKCgkICQkKDA8MCgsOCwkJDRENDg8QEBEQCgwSExIQEw8QEBD/yQALCAABAAEBAREA/8wABgAQEAX/2gAIAQEAAD8A0s8g/9k=',
  'base64',
);

describe('DetectLabels filters (GeneralLabels settings)', () => {
  it('are applied by selectLabels, which every engine uses, before MaxLabels', () => {
    const options: DetectLabelsOptions = { maxLabels: 1, filters: { labelInclusion: ['person', 'Dog'] } };

    expect(selectLabels(detected, options).map((found) => found.Name)).toEqual(['Person']);
    expect(
      selectLabels(detected, {
        filters: { labelExclusion: ['Person'], categoryExclusion: ['Vehicles and Automotive'] },
      }).map((found) => found.Name),
    ).toEqual(['Dog']);
  });

  it('reach the engine, and hold even for an engine that ignores them', async () => {
    const asked: DetectLabelsOptions[] = [];
    const careless: VisionEngine = {
      detectModerationLabels: async () => ({ ModerationLabels: [], ModerationModelVersion: '7.0' }),
      detectLabels: async (_image, options = {}) => {
        asked.push(options);
        return { Labels: detected, LabelModelVersion: '3.0' };
      },
    };
    const services = await startServices({ vision: careless });
    const rekognition = new RekognitionClient(clientConfig(services.endpoint));
    try {
      const result = await rekognition.send(
        new DetectLabelsCommand({
          Image: { Bytes: tinyJpeg },
          Settings: { GeneralLabels: { LabelInclusionFilters: ['Person'] } },
        }),
      );

      expect(asked[0]?.filters).toEqual({ labelInclusion: ['Person'] });
      expect(result.Labels?.map((found) => found.Name)).toEqual(['Person']);
    } finally {
      rekognition.destroy();
      await services.close();
    }
  });

  const installed = isVisionEngineInstalled();
  (installed ? it : it.skip)(
    `are honoured by the model engine on a real photo${installed ? '' : ' (SKIPPED: run npm run local:vision:install)'}`,
    async () => {
      const engine = await ModelVisionEngine.load();
      const photo = await readCalibrationPhoto(calibrationPhoto('face-api-sample1'));
      const all = await engine.detectLabels(photo, { minConfidence: 30 });
      const onlyPeople = await engine.detectLabels(photo, {
        minConfidence: 30,
        filters: { labelInclusion: ['Person'] },
      });
      const withoutPeople = await engine.detectLabels(photo, {
        minConfidence: 30,
        filters: { labelExclusion: ['Person'] },
      });
      await engine.close();

      expect(all.Labels.map((found) => found.Name)).toContain('Person');
      expect(onlyPeople.Labels.map((found) => found.Name)).toEqual(['Person']);
      expect(withoutPeople.Labels.map((found) => found.Name)).not.toContain('Person');
    },
    60_000,
  );
});
