import { type Rejection, reject } from '#shared/workflow';
import {
  CHECKED,
  expectFailed,
  expectProcessed,
  expectRejected,
  imageProcessedEvent,
  imageRejectedEvent,
  MODERATION,
  PUBLISH,
  recordingFailureFails,
  throwing,
  useWorkflowHarness,
} from './harness';

const workflow = useWorkflowHarness('v3');

const MODERATED = [...CHECKED, ...MODERATION];
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

describe('image workflow v3 (Check dimensions -> Moderate -> Resize -> Publish)', () => {
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

      expect(run.path).toEqual([...CHECKED, 'Record rejection', 'Announce rejection']);
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

  it('rejects the upload as CORRUPT_IMAGE when Resize cannot decode what the header promised', async () => {
    const corrupt = {
      reason: 'CORRUPT_IMAGE',
      detail: 'The image data is damaged or incomplete, so it cannot be shown.',
      evidence: { error: 'CorruptImageError' },
    };
    const run = await workflow.run({
      tasks: {
        Resize: throwing('CorruptImageError', 'VipsJpeg: Premature end of JPEG file'),
      },
    });

    expect(run.path).toEqual([
      ...MODERATED,
      'Resize',
      'Image is corrupt',
      'Record rejection',
      'Announce rejection',
    ]);
    expect(run.status).toBe('SUCCEEDED');
    expectRejected(run, corrupt);
    expect(run.events).toEqual([imageRejectedEvent('v3', run, corrupt)]);
  });

  it.each(['UnsupportedImageTypeError', 'ImageTooLargeError', 'AccessDenied'])(
    'records FAILED when Resize throws %s, which Check dimensions should have ruled out',
    async (error) => {
      const run = await workflow.run({
        tasks: {
          Resize: throwing(error, 'Resize could not finish'),
        },
      });

      expect(run.path).toEqual([...MODERATED, 'Resize', 'Record failure', 'Processing failed']);
      expect(run.status).toBe('FAILED');
      expect(run.error).toBe(error);
      expectFailed(run, error, 'Resize could not finish');
      expect(run.events).toEqual([]);
    },
  );

  it('records FAILED when Check dimensions cannot read the object', async () => {
    const run = await workflow.run({
      tasks: {
        CheckDimensions: throwing('NoSuchKey', 'The specified key does not exist.'),
      },
    });

    expect(run.path).toEqual(['Check dimensions', 'Record failure', 'Processing failed']);
    expect(run.status).toBe('FAILED');
    expectFailed(run, 'NoSuchKey', 'The specified key does not exist.');
    expect(run.calls).toEqual({ CheckDimensions: 1 });
  });

  it('leaves an upload that already ended PROCESSED unchanged when a late execution rejects it', async () => {
    const rejection = dimensionRejections[0] as Rejection;
    const run = await workflow.run({
      uploadStatus: 'PROCESSED',
      tasks: {
        CheckDimensions: ({ upload }) =>
          reject({ format: 'jpeg', objectBytes: upload.size, bytesRead: 65536 }, structuredClone(rejection)),
      },
    });

    expect(run.path).toEqual([...CHECKED, 'Record rejection', 'Upload already final']);
    expect(run.status).toBe('SUCCEEDED');
    expect(run.upload).toEqual(run.seeded);
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

    expect(run.path).toEqual(['Check dimensions', 'Record failure', 'Processing failed']);
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('AccessDenied');
    expect(run.upload).toEqual(run.seeded);
  });

  it('has entered every state of the definition across these tests', () => {
    expect(workflow.statesNeverEntered()).toEqual([]);
  });
});
