import { newUploadId } from '#shared/ids';
import {
  expectFailed,
  expectProcessed,
  expectRejected,
  imageProcessedEvent,
  imageRejectedEvent,
  lambdaServiceError,
  PUBLISH,
  RESIZE_REJECTIONS,
  recordingFailureFails,
  resizedImagesFor,
  throwing,
  useWorkflowHarness,
} from './harness';

const workflow = useWorkflowHarness('v1');

const PUBLISHED = PUBLISH;

describe('image workflow v1 (Resize -> Publish)', () => {
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

      expect(run.path).toEqual(['Resize', state, 'Record rejection', 'Announce rejection']);
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

    expect(run.path).toEqual(['Resize', 'Record failure', 'Processing failed']);
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('AccessDenied');
    expect(run.cause).toContain('Access Denied to the upload bucket');
    expectFailed(run, 'AccessDenied', 'Access Denied to the upload bucket');
    expect(run.events).toEqual([]);
    expect(run.calls).toEqual({ Resize: 1 });
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

  it('leaves a PROCESSED upload and its photo as they are when a duplicate execution publishes it again', async () => {
    const first = await workflow.run();

    const duplicate = await workflow.run({ uploadId: first.uploadId });

    expect(duplicate.path).toEqual(PUBLISHED);
    expect(duplicate.status).toBe('SUCCEEDED');
    expect(duplicate.output).toMatchObject({ photo: { alreadyPublished: true } });
    expect(duplicate.upload).toEqual({ ...first.upload, updatedAt: expect.any(String) });
    expect(duplicate.photo).toEqual(first.photo);
    expect(duplicate.events).toEqual([imageProcessedEvent('v1', duplicate)]);
  });

  it('publishes nothing for an upload that already ended REJECTED', async () => {
    const run = await workflow.run({ uploadStatus: 'REJECTED' });

    expect(run.path).toEqual(['Resize', 'Publish', 'Upload already final']);
    expect(run.status).toBe('SUCCEEDED');
    expect(run.taskErrors).toEqual(['UploadAlreadyFinalError']);
    expect(run.upload).toEqual(run.seeded);
    expect(run.photo).toBeUndefined();
    expect(run.events).toEqual([]);
  });

  it('fails with UploadNotFoundError and writes nothing when the upload has no record', async () => {
    const run = await workflow.run({ uploadId: newUploadId() });

    expect(run.path).toEqual(['Resize', 'Publish', 'Record failure', 'Processing failed']);
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('UploadNotFoundError');
    expect(run.upload).toBeUndefined();
    expect(run.photo).toBeUndefined();
  });

  it('retries the imageProcessed announcement when the bus refuses the entry once', async () => {
    const run = await workflow.run({ rejectedPutEvents: 1 });

    expect(run.path).toEqual(PUBLISHED);
    expect(run.status).toBe('SUCCEEDED');
    expect(run.serviceCalls).toEqual(['events:PutEvents', 'events:PutEvents']);
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
      'Resize',
      'Image is corrupt',
      'Record rejection',
      'Announce rejection',
      'Processing failed',
    ]);
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('EventBridge.FailedEntry');
    expect(run.serviceCalls.filter((call) => call === 'events:PutEvents')).toHaveLength(6);
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

    expect(run.path).toEqual(['Resize', 'Record failure', 'Processing failed']);
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('AccessDenied');
    expect(run.cause).toContain('Access Denied to the upload bucket');
    expect(run.upload).toEqual(run.seeded);
  });

  it('has entered every state of the definition across these tests', () => {
    expect(workflow.statesNeverEntered()).toEqual([]);
  });
});
