import { type Rejection, reject } from '../../functions/workflow/workflow';
import {
  ALREADY_FINAL,
  CHECKED,
  CLAIMED,
  expectFailed,
  expectProcessed,
  expectRejected,
  imageProcessedEvent,
  imageRejectedEvent,
  MODERATION,
  neverAnswers,
  OTHER_EXECUTION_ID,
  PUBLISH,
  RESIZE_REJECTIONS,
  recordingFailureFails,
  throwing,
  useWorkflowHarness,
} from './harness';

const workflow = useWorkflowHarness('v3');

const MODERATED = [...CLAIMED, ...CHECKED, ...MODERATION];
const PUBLISHED = [...MODERATED, ...PUBLISH];

const dimensionRejections: Rejection[] = [
  {
    reason: 'IMAGE_TOO_SMALL',
    detail: 'The photo is 640×480 px; both sides must be at least 800 px.',
    evidence: { width: 640, height: 480, minSide: 800 },
  },
  {
    reason: 'UNSUPPORTED_TYPE',
    detail: 'The file is a PNG image; only JPEG photos are accepted.',
    evidence: { format: 'png', signature: '89504e47' },
  },
  {
    reason: 'IMAGE_TOO_LARGE',
    detail: 'The photo is 12000×9000 px (108 megapixels); the limit is 10000 px per side and 50 megapixels.',
    evidence: { width: 12000, height: 9000, megapixels: 108, maxSide: 10000, maxMegapixels: 50 },
  },
  {
    reason: 'CORRUPT_IMAGE',
    detail: 'The JPEG file is damaged: the file ends inside a segment.',
    evidence: { problem: 'TRUNCATED', offset: 20 },
  },
];

describe('image workflow v3 (Claim upload -> Check dimensions -> Moderate -> Resize -> Publish)', () => {
  it('publishes a photo with acceptable dimensions that moderation accepts', async () => {
    const run = await workflow.run();

    expect(run.path).toEqual(PUBLISHED);
    expect(run.status).toBe('SUCCEEDED');
    expectProcessed(run);
    expect(run.events).toEqual([imageProcessedEvent('v3', run)]);
    expect(run.calls).toEqual({ CheckDimensions: 1, Moderate: 1, Resize: 1, Publish: 1 });
  });

  it.each(dimensionRejections)(
    'rejects an upload as $reason from its header alone, never calling Moderate',
    async (rejection) => {
      const run = await workflow.run({
        tasks: {
          CheckDimensions: ({ upload }) =>
            reject(
              { format: 'jpeg', objectBytes: upload.size, bytesRead: 65536 },
              structuredClone(rejection),
            ),
        },
      });

      expect(run.path).toEqual([...CLAIMED, ...CHECKED, 'Record rejection', 'Announce rejection']);
      expect(run.status).toBe('SUCCEEDED');
      expectRejected(run, rejection);
      expect(run.events).toEqual([imageRejectedEvent('v3', run, rejection)]);
      expect(run.calls).toEqual({ CheckDimensions: 1 });
    },
  );

  it('rejects a photo moderation flags, without resizing it', async () => {
    const flagged: Rejection = {
      reason: 'FAILED_MODERATION',
      detail: 'The photo was flagged as unsuitable: Graphic Violence (91.5%).',
      evidence: {
        labels: [{ name: 'Graphic Violence', category: 'Violence', confidence: 91.5 }],
        modelVersion: '7.0',
      },
    };
    const run = await workflow.run({
      tasks: { Moderate: () => reject({ labels: flagged.evidence.labels }, structuredClone(flagged)) },
    });

    expect(run.path).toEqual([...MODERATED, 'Record rejection', 'Announce rejection']);
    expect(run.status).toBe('SUCCEEDED');
    expectRejected(run, flagged);
    expect(run.events).toEqual([imageRejectedEvent('v3', run, flagged)]);
    expect(run.calls).toEqual({ CheckDimensions: 1, Moderate: 1 });
  });

  it.each(RESIZE_REJECTIONS)(
    'rejects the upload as $reason when Resize throws $error for an image the header check let through',
    async ({ error, state, reason, detail }) => {
      const run = await workflow.run({
        tasks: {
          Resize: throwing(error, 'The image cannot be resized'),
        },
      });

      expect(run.path).toEqual([...MODERATED, 'Resize', state, 'Record rejection', 'Announce rejection']);
      expect(run.status).toBe('SUCCEEDED');
      expectRejected(run, { reason, detail, evidence: { error } });
      expect(run.events).toEqual([imageRejectedEvent('v3', run, { reason, detail })]);
    },
  );

  it('records FAILED when Resize fails with any other error', async () => {
    const run = await workflow.run({
      tasks: {
        Resize: throwing('AccessDenied', 'Resize could not finish'),
      },
    });

    expect(run.path).toEqual([...MODERATED, 'Resize', 'Record failure', 'Processing failed']);
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('AccessDenied');
    expectFailed(run, 'AccessDenied', 'Resize could not finish');
    expect(run.events).toEqual([]);
  });

  it('records FAILED with States.Timeout when Check dimensions never answers', async () => {
    const run = await workflow.run({ tasks: { CheckDimensions: neverAnswers } });

    expect(run.path).toEqual([...CLAIMED, 'Check dimensions', 'Record failure', 'Processing failed']);
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('States.Timeout');
    expectFailed(run, 'States.Timeout', undefined);
  });

  it('claims an upload still PENDING and publishes it', async () => {
    const run = await workflow.run({ uploadStatus: 'PENDING' });

    expect(run.path).toEqual(PUBLISHED);
    expectProcessed(run);
  });

  it('stops at Claim upload, reading nothing, for an upload that already ended FAILED', async () => {
    const run = await workflow.run({ uploadStatus: 'FAILED' });

    expect(run.path).toEqual(ALREADY_FINAL);
    expect(run.status).toBe('SUCCEEDED');
    expect(run.calls).toEqual({});
    expect(run.upload).toEqual(run.seeded);
  });

  it('records FAILED when Check dimensions cannot read the object', async () => {
    const run = await workflow.run({
      tasks: {
        CheckDimensions: throwing('NoSuchKey', 'The specified key does not exist.'),
      },
    });

    expect(run.path).toEqual([...CLAIMED, 'Check dimensions', 'Record failure', 'Processing failed']);
    expect(run.status).toBe('FAILED');
    expectFailed(run, 'NoSuchKey', 'The specified key does not exist.');
    expect(run.calls).toEqual({ CheckDimensions: 1 });
  });

  it('leaves an upload another execution processed meanwhile unchanged when this one rejects it late', async () => {
    const rejection = dimensionRejections[0] as Rejection;
    const run = await workflow.run({
      meanwhile: { during: 'CheckDimensions', upload: 'PROCESSED' },
      tasks: {
        CheckDimensions: ({ upload }) =>
          reject({ format: 'jpeg', objectBytes: upload.size, bytesRead: 65536 }, structuredClone(rejection)),
      },
    });

    expect(run.path).toEqual([...CLAIMED, ...CHECKED, 'Record rejection', 'Upload already final']);
    expect(run.status).toBe('SUCCEEDED');
    expect(run.upload).toEqual({
      ...run.seeded,
      status: 'PROCESSED',
      claimedAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    expect(run.events).toEqual([]);
  });

  it('fails with the original error when recording the failure fails too', async () => {
    const run = await workflow.run({
      tasks: {
        CheckDimensions: throwing('AccessDenied', 'Access Denied'),
      },
      onDynamoDbCall: recordingFailureFails(
        'ValidationException',
        'One or more parameter values were invalid',
      ),
    });

    expect(run.path).toEqual([...CLAIMED, 'Check dimensions', 'Record failure', 'Processing failed']);
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('AccessDenied');
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
