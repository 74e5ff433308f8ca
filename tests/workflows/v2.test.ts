import { reject } from '../../functions/workflow/workflow';
import {
  ALREADY_FINAL,
  CLAIMED,
  expectFailed,
  expectProcessed,
  expectRejected,
  imageProcessedEvent,
  imageRejectedEvent,
  MODERATION,
  namedError,
  neverAnswers,
  OTHER_EXECUTION_ID,
  PUBLISH,
  REJECT,
  RESIZE_REJECTIONS,
  recordingFailureFails,
  throwing,
  useWorkflowHarness,
} from './harness';

const workflow = useWorkflowHarness('v2');

const MODERATED = [...CLAIMED, ...MODERATION];
const PUBLISHED = [...MODERATED, ...PUBLISH];

const unsafe = {
  reason: 'FAILED_MODERATION',
  detail: 'The photo was flagged as unsuitable: Weapons (97.2%).',
  evidence: { labels: [{ name: 'Weapons', category: 'Violence', confidence: 97.2 }], modelVersion: '7.0' },
} as const;

const flagged = () =>
  reject(
    { labels: unsafe.evidence.labels, modelVersion: '7.0' },
    { ...unsafe, evidence: { ...unsafe.evidence } },
  );

describe('image workflow v2 (Claim upload -> Moderate -> Resize -> Publish)', () => {
  it('publishes a photo moderation accepts', async () => {
    const run = await workflow.run();

    expect(run.path).toEqual(PUBLISHED);
    expect(run.status).toBe('SUCCEEDED');
    expectProcessed(run);
    expect(run.events).toEqual([imageProcessedEvent('v2', run)]);
    expect(run.calls).toEqual({ Moderate: 1, Resize: 1, Publish: 1 });
  });

  it('rejects a photo moderation flags, with its labels as evidence, without resizing it', async () => {
    const run = await workflow.run({ tasks: { Moderate: flagged } });

    expect(run.path).toEqual([...MODERATED, 'Record rejection', 'Announce rejection']);
    expect(run.status).toBe('SUCCEEDED');
    expectRejected(run, unsafe);
    expect(run.events).toEqual([imageRejectedEvent('v2', run, unsafe)]);
    expect(run.calls).toEqual({ Moderate: 1 });
  });

  it.each([
    ['a damaged JPEG', 'CORRUPT_IMAGE', 'The JPEG file is damaged: its image data cannot be read.'],
    [
      'a decompression bomb',
      'IMAGE_TOO_LARGE',
      'The photo is 60000×60000 px (3600 megapixels); the limit is 65535 px per side and 50 megapixels.',
    ],
    [
      'a HEIC photo',
      'UNSUPPORTED_TYPE',
      'The file is a HEIF/HEIC or AVIF image; only JPEG photos are accepted.',
    ],
  ] as const)(
    'records the rejection Moderate reads from the header of %s Rekognition cannot read (%s), without resizing it',
    async (_name, reason, detail) => {
      const rejection = {
        reason,
        detail,
        evidence: { check: 'moderation', rekognitionError: 'InvalidImageFormatException' },
      };
      const run = await workflow.run({
        tasks: { Moderate: () => reject({ labels: [] }, structuredClone(rejection)) },
      });

      expect(run.path).toEqual([...MODERATED, ...REJECT]);
      expect(run.status).toBe('SUCCEEDED');
      expectRejected(run, rejection);
      expect(run.calls).toEqual({ Moderate: 1 });
    },
  );

  it.each(['ThrottlingException', 'ProvisionedThroughputExceededException'])(
    'retries Moderate after Rekognition answers %s',
    async (error) => {
      let attempts = 0;
      const run = await workflow.run({
        tasks: {
          Moderate: () => {
            attempts++;
            if (attempts === 1) throw namedError(error, 'Rate exceeded');
            return { accepted: true, labels: [] };
          },
        },
      });

      expect(run.path).toEqual(PUBLISHED);
      expect(run.status).toBe('SUCCEEDED');
      expectProcessed(run);
      expect(run.taskErrors).toEqual([error]);
      expect(run.calls).toEqual({ Moderate: 2, Resize: 1, Publish: 1 });
    },
  );

  it('records FAILED after Moderate stays throttled through both retries', async () => {
    const run = await workflow.run({
      tasks: {
        Moderate: throwing('ThrottlingException', 'Rate exceeded'),
      },
    });

    expect(run.path).toEqual([...CLAIMED, 'Moderate', 'Record failure', 'Processing failed']);
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('ThrottlingException');
    expectFailed(run, 'ThrottlingException', 'Rate exceeded');
    expect(run.calls).toEqual({ Moderate: 3 });
  });

  it('records FAILED with States.Timeout when Moderate never answers', async () => {
    const run = await workflow.run({ tasks: { Moderate: neverAnswers } });

    expect(run.path).toEqual([...CLAIMED, 'Moderate', 'Record failure', 'Processing failed']);
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('States.Timeout');
    expectFailed(run, 'States.Timeout', undefined);
  });

  it('claims an upload still PENDING and publishes it', async () => {
    const run = await workflow.run({ uploadStatus: 'PENDING' });

    expect(run.path).toEqual(PUBLISHED);
    expectProcessed(run);
  });

  it('stops at Claim upload, moderating nothing, for an upload that already ended REJECTED', async () => {
    const run = await workflow.run({ uploadStatus: 'REJECTED' });

    expect(run.path).toEqual(ALREADY_FINAL);
    expect(run.status).toBe('SUCCEEDED');
    expect(run.calls).toEqual({});
    expect(run.upload).toEqual(run.seeded);
  });

  it('records FAILED when Moderate fails with an error retrying cannot help', async () => {
    const run = await workflow.run({
      tasks: {
        Moderate: throwing('InvalidS3ObjectException', 'Unable to get object metadata from S3'),
      },
    });

    expect(run.path).toEqual([...CLAIMED, 'Moderate', 'Record failure', 'Processing failed']);
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('InvalidS3ObjectException');
    expectFailed(run, 'InvalidS3ObjectException', 'Unable to get object metadata from S3');
    expect(run.events).toEqual([]);
    expect(run.calls).toEqual({ Moderate: 1 });
  });

  it('leaves an upload another execution processed meanwhile unchanged when moderation rejects it late', async () => {
    const run = await workflow.run({
      meanwhile: { during: 'Moderate', upload: 'PROCESSED' },
      tasks: { Moderate: flagged },
    });

    expect(run.path).toEqual([...MODERATED, 'Record rejection', 'Upload already final']);
    expect(run.status).toBe('SUCCEEDED');
    expect(run.taskErrors).toEqual(['DynamoDB.ConditionalCheckFailedException']);
    expect(run.upload).toEqual({
      ...run.seeded,
      status: 'PROCESSED',
      claimedAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    expect(run.events).toEqual([]);
  });

  it.each(RESIZE_REJECTIONS)(
    'rejects a moderated upload as $reason when Resize throws $error',
    async ({ error, state, reason, detail }) => {
      const run = await workflow.run({
        tasks: {
          Resize: throwing(error, 'The image cannot be resized'),
        },
      });

      expect(run.path).toEqual([...MODERATED, 'Resize', state, 'Record rejection', 'Announce rejection']);
      expect(run.status).toBe('SUCCEEDED');
      expectRejected(run, { reason, detail, evidence: { error } });
      expect(run.events).toEqual([imageRejectedEvent('v2', run, { reason, detail })]);
      expect(run.calls).toEqual({ Moderate: 1, Resize: 1 });
    },
  );

  it('fails with the original error when recording the failure fails too', async () => {
    const run = await workflow.run({
      tasks: {
        Moderate: throwing(
          'AccessDeniedException',
          'not authorized to perform rekognition:DetectModerationLabels',
        ),
      },
      onDynamoDbCall: recordingFailureFails(
        'ValidationException',
        'One or more parameter values were invalid',
      ),
    });

    expect(run.path).toEqual([...CLAIMED, 'Moderate', 'Record failure', 'Processing failed']);
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('AccessDeniedException');
    expect(run.upload).toEqual({
      ...run.seeded,
      claimedAt: expect.any(String),
      updatedAt: expect.any(String),
    });
  });

  it('announces nothing when a concurrent duplicate execution published the upload first', async () => {
    const run = await workflow.run({ meanwhile: { during: 'Resize', upload: 'published' } });

    expect(run.path).toEqual([
      ...MODERATED,
      'Resize',
      'Publish',
      'Already published?',
      'Upload already final',
    ]);
    expect(run.status).toBe('SUCCEEDED');
    expect(run.upload).toMatchObject({ status: 'PROCESSED', executionId: OTHER_EXECUTION_ID });
    expect(run.events).toEqual([]);
  });

  it('has entered every state of the definition across these tests', () => {
    expect(workflow.statesNeverEntered()).toEqual([]);
  });
});
