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

const workflow = useWorkflowHarness('v4');

const PLACED = [...CLAIMED, ...CHECKED, 'Get place type', 'Place type?'];
const MODERATED = [...PLACED, ...MODERATION];
const PEOPLE_CHECKED = [...PLACED, 'Detect people', 'Any people?'];

const crowd: Rejection = {
  reason: 'PEOPLE_NOT_ALLOWED',
  detail: 'The photo shows 3 people; photos of restaurants, cafés and bars must not show people.',
  evidence: {
    count: 3,
    boxes: [
      { Width: 0.2, Height: 0.6, Left: 0.1, Top: 0.3 },
      { Width: 0.18, Height: 0.55, Left: 0.4, Top: 0.32 },
      { Width: 0.15, Height: 0.5, Left: 0.7, Top: 0.35 },
    ],
  },
};

describe('image workflow v4 (Claim upload -> Check dimensions -> place type -> Moderate | Detect people -> Resize -> Publish)', () => {
  it('moderates and publishes a photo of a park, without looking for people', async () => {
    const run = await workflow.run({ placeId: 'ChIJ-central-park', placeType: 'park' });

    expect(run.path).toEqual([...MODERATED, ...PUBLISH]);
    expect(run.status).toBe('SUCCEEDED');
    expectProcessed(run);
    expect(run.events).toEqual([imageProcessedEvent('v4', run)]);
    expect(run.calls).toEqual({ CheckDimensions: 1, Moderate: 1, Resize: 1, Publish: 1 });
  });

  it('rejects a photo of a park that moderation flags', async () => {
    const flagged: Rejection = {
      reason: 'FAILED_MODERATION',
      detail: 'The photo was flagged as unsuitable: Hate Symbols (88.4%).',
      evidence: {
        labels: [{ name: 'Hate Symbols', category: 'Hate Symbols', confidence: 88.4 }],
        modelVersion: '7.0',
      },
    };
    const run = await workflow.run({
      placeType: 'park',
      tasks: { Moderate: () => reject({ labels: flagged.evidence.labels }, structuredClone(flagged)) },
    });

    expect(run.path).toEqual([...MODERATED, ...REJECT]);
    expect(run.status).toBe('SUCCEEDED');
    expectRejected(run, flagged);
    expect(run.events).toEqual([imageRejectedEvent('v4', run, flagged)]);
    expect(run.calls).toEqual({ CheckDimensions: 1, Moderate: 1 });
  });

  it.each(['restaurant', 'cafe', 'bar'])(
    'publishes a photo of a %s that shows nobody, without moderating it',
    async (type) => {
      const run = await workflow.run({ placeId: `ChIJ-some-${type}`, placeType: type });

      expect(run.path).toEqual([...PEOPLE_CHECKED, ...PUBLISH]);
      expect(run.status).toBe('SUCCEEDED');
      expectProcessed(run);
      expect(run.events).toEqual([imageProcessedEvent('v4', run)]);
      expect(run.calls).toEqual({ CheckDimensions: 1, DetectPeople: 1, Resize: 1, Publish: 1 });
    },
  );

  it.each(['restaurant', 'cafe', 'bar'])(
    'rejects a photo of a %s that shows people, with their count',
    async (type) => {
      const run = await workflow.run({
        placeId: `ChIJ-some-${type}`,
        placeType: type,
        tasks: {
          DetectPeople: () => reject({ peopleCount: 3, personConfidence: 99.1 }, structuredClone(crowd)),
        },
      });

      expect(run.path).toEqual([...PEOPLE_CHECKED, ...REJECT]);
      expect(run.status).toBe('SUCCEEDED');
      expectRejected(run, crowd);
      expect(run.events).toEqual([imageRejectedEvent('v4', run, crowd)]);
      expect(run.calls).toEqual({ CheckDimensions: 1, DetectPeople: 1 });
    },
  );

  it('rejects a photo of a place type that takes no photos, naming the type', async () => {
    const run = await workflow.run({ placeId: 'ChIJ-city-museum', placeType: 'museum' });

    const rejection = {
      reason: 'UNSUPPORTED_PLACE_TYPE',
      detail: 'Photos of places of type museum are not accepted.',
      evidence: { placeType: 'museum' },
    };
    expect(run.path).toEqual([...PLACED, 'Unsupported place type', ...REJECT]);
    expect(run.status).toBe('SUCCEEDED');
    expectRejected(run, rejection);
    expect(run.events).toEqual([imageRejectedEvent('v4', run, rejection)]);
    expect(run.calls).toEqual({ CheckDimensions: 1 });
  });

  it('rejects a photo of a place the table does not hold', async () => {
    const run = await workflow.run({ placeId: 'ChIJ-closed-diner' });

    const rejection = {
      reason: 'PLACE_NOT_FOUND',
      detail: 'The place ChIJ-closed-diner does not exist.',
      evidence: { placeId: 'ChIJ-closed-diner' },
    };
    expect(run.path).toEqual([...PLACED, 'Place not found', ...REJECT]);
    expect(run.status).toBe('SUCCEEDED');
    expectRejected(run, rejection);
    expect(run.events).toEqual([imageRejectedEvent('v4', run, rejection)]);
    expect(run.calls).toEqual({ CheckDimensions: 1 });
  });

  it('rejects an image that is too small before reading the place', async () => {
    const tooSmall: Rejection = {
      reason: 'IMAGE_TOO_SMALL',
      detail: 'The photo is 640×480 px; both sides must be at least 800 px.',
      evidence: { width: 640, height: 480, minSide: 800 },
    };
    const run = await workflow.run({
      placeType: 'park',
      tasks: {
        CheckDimensions: ({ upload }) =>
          reject(
            { format: 'jpeg', width: 640, height: 480, objectBytes: upload.size, bytesRead: 4096 },
            {
              ...structuredClone(tooSmall),
            },
          ),
      },
    });

    expect(run.path).toEqual([...CLAIMED, ...CHECKED, ...REJECT]);
    expect(run.status).toBe('SUCCEEDED');
    expectRejected(run, tooSmall);
    expect(run.serviceCalls).toEqual(['dynamodb:UpdateItem', 'dynamodb:UpdateItem', 'events:PutEvents']);
    expect(run.calls).toEqual({ CheckDimensions: 1 });
  });

  it('retries reading the place type when DynamoDB throttles the read', async () => {
    let reads = 0;
    const run = await workflow.run({
      placeType: 'park',
      onDynamoDbCall: (action) => {
        if (action === 'GetItem' && ++reads === 1) {
          throw namedError(
            'ProvisionedThroughputExceededException',
            'The level of configured provisioned throughput for the table was exceeded.',
          );
        }
      },
    });

    expect(run.path).toEqual([...MODERATED, ...PUBLISH]);
    expect(run.status).toBe('SUCCEEDED');
    expect(run.serviceCalls.slice(0, 3)).toEqual([
      'dynamodb:UpdateItem',
      'dynamodb:GetItem',
      'dynamodb:GetItem',
    ]);
    expect(run.taskErrors).toEqual(['DynamoDB.ProvisionedThroughputExceededException']);
    expectProcessed(run);
  });

  it('records FAILED when the place type cannot be read', async () => {
    const run = await workflow.run({
      placeType: 'park',
      onDynamoDbCall: (action) => {
        if (action === 'GetItem')
          throw namedError('AccessDeniedException', 'not authorized to perform dynamodb:GetItem');
      },
    });

    expect(run.path).toEqual([...PLACED.slice(0, 4), 'Record failure', 'Processing failed']);
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('DynamoDB.AccessDeniedException');
    expectFailed(run, 'DynamoDB.AccessDeniedException', 'not authorized to perform dynamodb:GetItem');
  });

  it('records FAILED when Detect people fails with an error retrying cannot help', async () => {
    const run = await workflow.run({
      placeType: 'cafe',
      tasks: {
        DetectPeople: throwing('InvalidImageFormatException', 'Request has invalid image format'),
      },
    });

    expect(run.path).toEqual([...PLACED, 'Detect people', 'Record failure', 'Processing failed']);
    expect(run.status).toBe('FAILED');
    expectFailed(run, 'InvalidImageFormatException', 'Request has invalid image format');
    expect(run.events).toEqual([]);
  });

  it('records FAILED when Moderate fails with an error retrying cannot help', async () => {
    const run = await workflow.run({
      placeType: 'park',
      tasks: {
        Moderate: throwing(
          'AccessDeniedException',
          'not authorized to perform rekognition:DetectModerationLabels',
        ),
      },
    });

    expect(run.path).toEqual([...PLACED, 'Moderate', 'Record failure', 'Processing failed']);
    expect(run.status).toBe('FAILED');
    expectFailed(
      run,
      'AccessDeniedException',
      'not authorized to perform rekognition:DetectModerationLabels',
    );
  });

  it.each(RESIZE_REJECTIONS)(
    'rejects the upload as $reason when Resize throws $error',
    async ({ error, state, reason, detail }) => {
      const run = await workflow.run({
        placeType: 'bar',
        tasks: {
          Resize: throwing(error, 'The image cannot be resized'),
        },
      });

      expect(run.path).toEqual([...PEOPLE_CHECKED, 'Resize', state, ...REJECT]);
      expect(run.status).toBe('SUCCEEDED');
      expectRejected(run, { reason, detail, evidence: { error } });
      expect(run.events).toEqual([imageRejectedEvent('v4', run, { reason, detail })]);
    },
  );

  it('records FAILED with States.Timeout when Detect people never answers', async () => {
    const run = await workflow.run({ placeType: 'cafe', tasks: { DetectPeople: neverAnswers } });

    expect(run.path).toEqual([...PLACED, 'Detect people', 'Record failure', 'Processing failed']);
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('States.Timeout');
    expectFailed(run, 'States.Timeout', undefined);
  });

  it('claims an upload still PENDING and publishes it', async () => {
    const run = await workflow.run({ placeType: 'park', uploadStatus: 'PENDING' });

    expect(run.path).toEqual([...MODERATED, ...PUBLISH]);
    expectProcessed(run);
  });

  it('announces nothing when a concurrent duplicate execution published the upload first', async () => {
    const run = await workflow.run({
      placeType: 'park',
      meanwhile: { during: 'Resize', upload: 'published' },
    });

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

  it('records FAILED when Resize fails with any other error', async () => {
    const run = await workflow.run({
      placeType: 'park',
      tasks: {
        Resize: throwing('AccessDenied', 'Access Denied to the distribution bucket'),
      },
    });

    expect(run.path).toEqual([...MODERATED, 'Resize', 'Record failure', 'Processing failed']);
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('AccessDenied');
    expectFailed(run, 'AccessDenied', 'Access Denied to the distribution bucket');
  });

  it('stops at Claim upload, reading and resizing nothing, for an upload that already ended FAILED', async () => {
    const run = await workflow.run({ placeType: 'park', uploadStatus: 'FAILED' });

    expect(run.path).toEqual(ALREADY_FINAL);
    expect(run.status).toBe('SUCCEEDED');
    expect(run.calls).toEqual({});
    expect(run.serviceCalls).toEqual(['dynamodb:UpdateItem']);
    expect(run.upload).toEqual(run.seeded);
    expect(run.photo).toBeUndefined();
    expect(run.events).toEqual([]);
  });

  it('fails with the original error when recording the failure fails too', async () => {
    const run = await workflow.run({
      placeType: 'restaurant',
      tasks: {
        DetectPeople: throwing('AccessDeniedException', 'not authorized to perform rekognition:DetectLabels'),
      },
      onDynamoDbCall: recordingFailureFails(
        'ValidationException',
        'One or more parameter values were invalid',
      ),
    });

    expect(run.path).toEqual([...PLACED, 'Detect people', 'Record failure', 'Processing failed']);
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('AccessDeniedException');
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
