import { newUploadId } from '../../functions/backend/ids';
import {
  ALREADY_FINAL,
  CLAIMED,
  expectFailed,
  expectProcessed,
  expectRejected,
  imageProcessedEvent,
  imageRejectedEvent,
  lambdaServiceError,
  neverAnswers,
  OTHER_EXECUTION_ID,
  PUBLISH,
  RESIZE_REJECTIONS,
  recordingFailureFails,
  resizedImagesFor,
  throwing,
  useWorkflowHarness,
} from './harness';

const workflow = useWorkflowHarness('v1');

const PUBLISHED = [...CLAIMED, ...PUBLISH];

describe('image workflow v1 (Claim upload -> Resize -> Publish)', () => {
  it('publishes a good photo, marks the upload PROCESSED and announces imageProcessed', async () => {
    const run = await workflow.run();

    expect(run.path).toEqual(PUBLISHED);
    expect(run.status).toBe('SUCCEEDED');
    expectProcessed(run);
    expect(run.events).toEqual([imageProcessedEvent('v1', run)]);
    expect(run.calls).toEqual({ Resize: 1, Publish: 1 });
  });

  it.each(RESIZE_REJECTIONS)(
    'rejects the upload as $reason when Resize throws $error',
    async ({ error, state, reason, detail }) => {
      const run = await workflow.run({
        tasks: {
          Resize: throwing(error, 'Input buffer contains unsupported image format'),
        },
      });

      expect(run.path).toEqual([...CLAIMED, 'Resize', state, 'Record rejection', 'Announce rejection']);
      expect(run.status).toBe('SUCCEEDED');
      expectRejected(run, { reason, detail, evidence: { error } });
      expect(run.events).toEqual([imageRejectedEvent('v1', run, { reason, detail })]);
      expect(run.calls).toEqual({ Resize: 1 });
    },
  );

  it('records FAILED and fails the execution with the error when Resize fails unexpectedly', async () => {
    const run = await workflow.run({
      tasks: {
        Resize: throwing('AccessDenied', 'Access Denied to the upload bucket'),
      },
    });

    expect(run.path).toEqual([...CLAIMED, 'Resize', 'Record failure', 'Processing failed']);
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('AccessDenied');
    expect(run.cause).toContain('Access Denied to the upload bucket');
    expectFailed(run, 'AccessDenied', 'Access Denied to the upload bucket');
    expect(run.events).toEqual([]);
    expect(run.calls).toEqual({ Resize: 1 });
  });

  it('records FAILED with States.Timeout, an error output without Cause, when Resize never answers', async () => {
    const run = await workflow.run({ tasks: { Resize: neverAnswers } });

    expect(run.path).toEqual([...CLAIMED, 'Resize', 'Record failure', 'Processing failed']);
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('States.Timeout');
    expect(JSON.parse(String(run.cause))).toEqual({ Error: 'States.Timeout' });
    expectFailed(run, 'States.Timeout', undefined);
    expect(run.calls).toEqual({ Resize: 1 });
  });

  it('claims an upload still PENDING (its intake update not yet applied) and publishes it', async () => {
    const run = await workflow.run({ uploadStatus: 'PENDING' });

    expect(run.path).toEqual(PUBLISHED);
    expect(run.status).toBe('SUCCEEDED');
    expectProcessed(run);
    expect(run.events).toEqual([imageProcessedEvent('v1', run)]);
  });

  it.each(['PROCESSED', 'REJECTED', 'FAILED'] as const)(
    'stops at Claim upload, resizing nothing, for an upload that already ended %s',
    async (uploadStatus) => {
      const run = await workflow.run({ uploadStatus });

      expect(run.path).toEqual(ALREADY_FINAL);
      expect(run.status).toBe('SUCCEEDED');
      expect(run.taskErrors).toEqual(['DynamoDB.ConditionalCheckFailedException']);
      expect(run.serviceCalls).toEqual(['dynamodb:UpdateItem']);
      expect(run.calls).toEqual({});
      expect(run.upload).toEqual(run.seeded);
      expect(run.events).toEqual([]);
    },
  );

  it('stops at Claim upload, resizing nothing, for an upload whose record is gone (erased)', async () => {
    const run = await workflow.run({ uploadId: newUploadId() });

    expect(run.path).toEqual(ALREADY_FINAL);
    expect(run.status).toBe('SUCCEEDED');
    expect(run.calls).toEqual({});
    expect(run.upload).toBeUndefined();
    expect(run.photo).toBeUndefined();
  });

  it('retries Resize when Lambda throttles the invocation and still publishes the photo', async () => {
    let attempts = 0;
    const run = await workflow.run({
      tasks: {
        Resize: ({ upload }) => {
          attempts++;
          if (attempts <= 2) throw lambdaServiceError('TooManyRequestsException');
          return resizedImagesFor(upload);
        },
      },
    });

    expect(run.path).toEqual(PUBLISHED);
    expect(run.status).toBe('SUCCEEDED');
    expectProcessed(run);
    expect(run.taskErrors).toEqual(['Lambda.TooManyRequestsException', 'Lambda.TooManyRequestsException']);
    expect(run.calls).toEqual({ Resize: 3, Publish: 1 });
  });

  it('announces nothing when a concurrent duplicate execution published the upload first', async () => {
    const run = await workflow.run({ meanwhile: { during: 'Resize', upload: 'published' } });

    expect(run.path).toEqual([...CLAIMED, 'Resize', 'Publish', 'Already published?', 'Upload already final']);
    expect(run.status).toBe('SUCCEEDED');
    expect(run.output).toMatchObject({ photo: { alreadyPublished: true } });
    expect(run.upload).toMatchObject({ status: 'PROCESSED', executionId: OTHER_EXECUTION_ID });
    expect(run.photo).toMatchObject({ uploadId: run.uploadId });
    expect(run.events).toEqual([]);
  });

  it('publishes nothing for an upload that another execution rejected while this one resized it', async () => {
    const run = await workflow.run({ meanwhile: { during: 'Resize', upload: 'REJECTED' } });

    expect(run.path).toEqual([...CLAIMED, 'Resize', 'Publish', 'Upload already final']);
    expect(run.status).toBe('SUCCEEDED');
    expect(run.taskErrors).toEqual(['UploadAlreadyFinalError']);
    expect(run.upload?.status).toBe('REJECTED');
    expect(run.photo).toBeUndefined();
    expect(run.events).toEqual([]);
  });

  it('fails with UploadNotFoundError and writes nothing when the upload is erased while it is resized', async () => {
    const run = await workflow.run({ meanwhile: { during: 'Resize', upload: 'erased' } });

    expect(run.path).toEqual([...CLAIMED, 'Resize', 'Publish', 'Record failure', 'Processing failed']);
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('UploadNotFoundError');
    expect(run.upload).toBeUndefined();
    expect(run.photo).toBeUndefined();
  });

  it('retries the imageProcessed announcement when the bus refuses the entry once', async () => {
    const run = await workflow.run({ rejectedPutEvents: 1 });

    expect(run.path).toEqual(PUBLISHED);
    expect(run.status).toBe('SUCCEEDED');
    expect(run.serviceCalls).toEqual(['dynamodb:UpdateItem', 'events:PutEvents', 'events:PutEvents']);
    expect(run.taskErrors).toEqual(['EventBridge.FailedEntry']);
    expect(run.events).toEqual([imageProcessedEvent('v1', run)]);
    expectProcessed(run);
  });

  it('fails the execution when the bus keeps refusing the imageRejected announcement, the upload staying REJECTED', async () => {
    const run = await workflow.run({
      rejectedPutEvents: 100,
      tasks: {
        Resize: throwing('CorruptImageError', 'VipsJpeg: Premature end of JPEG file'),
      },
    });

    expect(run.path).toEqual([
      ...CLAIMED,
      'Resize',
      'Image is corrupt',
      'Record rejection',
      'Announce rejection',
      'Processing failed',
    ]);
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('EventBridge.FailedEntry');
    expect(run.serviceCalls.filter((call) => call === 'events:PutEvents')).toHaveLength(4);
    expect(run.upload?.status).toBe('REJECTED');
  });

  it('fails with the original error when recording the failure fails too', async () => {
    const run = await workflow.run({
      tasks: {
        Resize: throwing('AccessDenied', 'Access Denied to the upload bucket'),
      },
      onDynamoDbCall: recordingFailureFails(
        'AccessDeniedException',
        'not authorized to perform dynamodb:UpdateItem',
      ),
    });

    expect(run.path).toEqual([...CLAIMED, 'Resize', 'Record failure', 'Processing failed']);
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('AccessDenied');
    expect(run.cause).toContain('Access Denied to the upload bucket');
    expect(run.upload).toEqual({
      ...run.seeded,
      claimedAt: expect.any(String),
      updatedAt: expect.any(String),
    });
  });

  it('has entered every state of the definition across these tests', () => {
    expect(workflow.statesNeverEntered()).toEqual([]);
  });
});
