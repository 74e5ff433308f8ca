import {
  DetectLabelsCommand,
  InvalidImageFormatException,
  RekognitionClient,
  ThrottlingException,
} from '@aws-sdk/client-rekognition';
import { S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../../../functions/workflow/detect-people';
import { fixture } from '../../../helpers/fixtures';
import { serveObject, UNREADABLE_IMAGES } from './unreadable-images';

const rekognition = mockClient(RekognitionClient);
const s3 = mockClient(S3Client);

const box = (left: number) => ({ Width: 0.2, Height: 0.5, Left: left, Top: 0.1 });

beforeEach(() => {
  rekognition.reset();
  s3.reset();
});

describe('Detect people task', () => {
  it('accepts a photo without people, asking Rekognition only about Person at the configured confidence', async () => {
    rekognition.on(DetectLabelsCommand).resolves({ Labels: [{ Name: 'Food', Confidence: 99 }] });

    const verdict = await handler(fixture('workflow/detect-people.json'));

    expect(verdict).toEqual({ accepted: true, peopleCount: 0 });
    expect(rekognition).toHaveReceivedCommandWith(DetectLabelsCommand, {
      MinConfidence: 80,
      Settings: { GeneralLabels: { LabelInclusionFilters: ['Person'] } },
      Image: { S3Object: expect.objectContaining({ Version: '3sL4kqtJlcpXroDTDmJ-rmSpXd3dIbrHY' }) },
    });
  });

  it('rejects a photo with people, counting only confident instances', async () => {
    rekognition.on(DetectLabelsCommand).resolves({
      Labels: [
        {
          Name: 'Person',
          Confidence: 99.1,
          Instances: [
            { Confidence: 99.1, BoundingBox: box(0.1) },
            { Confidence: 93.4, BoundingBox: box(0.5) },
            { Confidence: 41.2, BoundingBox: box(0.8) },
          ],
        },
      ],
    });

    const verdict = await handler(fixture('workflow/detect-people.json'));

    expect(verdict).toEqual({
      accepted: false,
      peopleCount: 2,
      personConfidence: 99.1,
      rejection: {
        reason: 'PEOPLE_NOT_ALLOWED',
        detail: expect.stringContaining('2 people'),
        evidence: { count: 2, boxes: [box(0.1), box(0.5)] },
      },
    });
  });

  it('counts a Person label without instances as one person (fails closed)', async () => {
    rekognition
      .on(DetectLabelsCommand)
      .resolves({ Labels: [{ Name: 'Person', Confidence: 88, Instances: [] }] });

    const verdict = await handler(fixture('workflow/detect-people.json'));

    expect(verdict).toMatchObject({
      accepted: false,
      peopleCount: 1,
      rejection: { detail: expect.stringContaining('a person') },
    });
  });

  it('ignores a Person label below the configured confidence', async () => {
    rekognition.on(DetectLabelsCommand).resolves({ Labels: [{ Name: 'Person', Confidence: 62 }] });

    const verdict = await handler(fixture('workflow/detect-people.json'));

    expect(verdict.accepted).toBe(true);
  });

  it.each(UNREADABLE_IMAGES)(
    'turns InvalidImageFormatException for %s into a %s rejection decided from its header',
    async (_name, make, reason) => {
      serveObject(s3, await make());
      rekognition
        .on(DetectLabelsCommand)
        .rejects(
          new InvalidImageFormatException({ message: 'Request has invalid image format', $metadata: {} }),
        );

      const verdict = await handler(fixture('workflow/detect-people.json'));

      expect(verdict).toMatchObject({
        accepted: false,
        peopleCount: 0,
        rejection: { reason, evidence: { check: 'people', rekognitionError: 'InvalidImageFormatException' } },
      });
    },
  );

  it('lets throttling propagate so the workflow retries it', async () => {
    rekognition
      .on(DetectLabelsCommand)
      .rejects(new ThrottlingException({ message: 'Rate exceeded', $metadata: {} }));

    await expect(handler(fixture('workflow/detect-people.json'))).rejects.toMatchObject({
      name: 'ThrottlingException',
    });
  });
});
