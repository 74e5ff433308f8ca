import {
  DetectModerationLabelsCommand,
  InvalidImageFormatException,
  RekognitionClient,
  ThrottlingException,
} from '@aws-sdk/client-rekognition';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../../../functions/workflow/moderate';
import { moderateImage } from '../../../../functions/workflow/moderation';
import type { UploadRef } from '../../../../functions/workflow/workflow';
import { fixture } from '../../../helpers/fixtures';
import { serveObject, UNREADABLE_IMAGES } from './unreadable-images';

const rekognition = mockClient(RekognitionClient);
const s3 = mockClient(S3Client);

const explicitLabels = [
  { Name: 'Explicit', ParentName: '', TaxonomyLevel: 1, Confidence: 97.26 },
  { Name: 'Explicit Nudity', ParentName: 'Explicit', TaxonomyLevel: 2, Confidence: 97.26 },
  { Name: 'Exposed Male Genitalia', ParentName: 'Explicit Nudity', TaxonomyLevel: 3, Confidence: 91.04 },
];

beforeEach(() => {
  rekognition.reset();
  s3.reset();
});

describe('Moderate task', () => {
  it('accepts a photo without moderation labels and asks for the notified object version', async () => {
    rekognition
      .on(DetectModerationLabelsCommand)
      .resolves({ ModerationLabels: [], ModerationModelVersion: '7.0' });

    const verdict = await handler(fixture('workflow/moderate.json'));

    expect(verdict).toEqual({ accepted: true, labels: [], modelVersion: '7.0' });
    expect(rekognition).toHaveReceivedCommandWith(DetectModerationLabelsCommand, {
      Image: {
        S3Object: {
          Bucket: 'happy-path-backend-uploadbucket-example',
          Name: 'ChIJ-central-park/0192f3a0-7b1c-7d2e-8f3a-4b5c6d7e8f90.jpg',
          Version: '3sL4kqtJlcpXroDTDmJ-rmSpXd3dIbrHY',
        },
      },
      MinConfidence: 60,
    });
  });

  it('rejects a photo with unsafe labels, naming the labels and their top-level category', async () => {
    rekognition.on(DetectModerationLabelsCommand).resolves({ ModerationLabels: explicitLabels });

    const verdict = await handler(fixture('workflow/moderate.json'));

    expect(verdict.accepted).toBe(false);
    expect(verdict.rejection).toEqual({
      reason: 'FAILED_MODERATION',
      detail: expect.stringContaining('Explicit Nudity (97.3%)'),
      evidence: {
        labels: [
          { name: 'Explicit', category: 'Explicit', confidence: 97.3 },
          { name: 'Explicit Nudity', category: 'Explicit', confidence: 97.3 },
          { name: 'Exposed Male Genitalia', category: 'Explicit', confidence: 91 },
        ],
        modelVersion: null,
      },
    });
  });

  it('resolves a label whose parent Rekognition did not list to that parent as category', async () => {
    rekognition.on(DetectModerationLabelsCommand).resolves({
      ModerationLabels: [
        { Name: 'Smoking', ParentName: 'Drugs & Tobacco', TaxonomyLevel: 2, Confidence: 88 },
      ],
    });

    const verdict = await handler(fixture('workflow/moderate.json'));

    expect(verdict.labels).toEqual([{ name: 'Smoking', category: 'Drugs & Tobacco', confidence: 88 }]);
    expect(verdict.accepted).toBe(false);
  });

  it.each(UNREADABLE_IMAGES)(
    'turns InvalidImageFormatException for %s into a %s rejection decided from its header, not a failure',
    async (_name, make, reason) => {
      serveObject(s3, await make());
      rekognition
        .on(DetectModerationLabelsCommand)
        .rejects(
          new InvalidImageFormatException({ message: 'Request has invalid image format', $metadata: {} }),
        );

      const verdict = await handler(fixture('workflow/moderate.json'));

      expect(verdict).toMatchObject({
        accepted: false,
        rejection: {
          reason,
          evidence: { check: 'moderation', rekognitionError: 'InvalidImageFormatException' },
        },
      });
      expect(s3).toHaveReceivedCommandWith(GetObjectCommand, {
        Range: 'bytes=0-65535',
        VersionId: '3sL4kqtJlcpXroDTDmJ-rmSpXd3dIbrHY',
      });
    },
  );

  it('lets throttling propagate under its own name so the workflow retries it', async () => {
    rekognition
      .on(DetectModerationLabelsCommand)
      .rejects(new ThrottlingException({ message: 'Rate exceeded', $metadata: {} }));

    await expect(handler(fixture('workflow/moderate.json'))).rejects.toMatchObject({
      name: 'ThrottlingException',
    });
  });

  it('fails with a named error on input that does not match the task contract', async () => {
    await expect(handler({ upload: { bucket: 'b' } })).rejects.toMatchObject({
      name: 'InvalidTaskInputError',
      message: expect.stringContaining('upload.key'),
    });
    expect(rekognition).not.toHaveReceivedAnyCommand();
  });
});

describe('moderation settings', () => {
  it('does not reject for labels in ignored categories', async () => {
    rekognition.on(DetectModerationLabelsCommand).resolves({
      ModerationLabels: [
        { Name: 'Swimwear or Underwear', ParentName: '', TaxonomyLevel: 1, Confidence: 90 },
        { Name: 'Alcohol', ParentName: '', TaxonomyLevel: 1, Confidence: 80 },
      ],
    });
    const { upload } = fixture<{ upload: UploadRef }>('workflow/moderate.json');

    const verdict = await moderateImage(upload, {
      minConfidence: 75.5,
      maxInputPixels: 50_000_000,
      ignoredCategories: ['Swimwear or Underwear', 'Alcohol'],
    });

    expect(verdict.accepted).toBe(true);
    expect(verdict.labels).toHaveLength(2);
    expect(rekognition).toHaveReceivedCommandWith(DetectModerationLabelsCommand, { MinConfidence: 75.5 });
  });
});
