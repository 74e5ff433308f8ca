/**
 * Runs an image workflow's ASL on the local Step Functions engine, as its template wires it:
 * task functions are per-test stubs (Publish runs for real), DynamoDB integrations go to an
 * in-memory dynalite holding the application table, EventBridge entries are captured.
 */
import { randomUUID } from 'node:crypto';
import { DeleteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { keys, type PlaceItem, publishedImageKeys, type UploadItem, type UploadStatus } from '#shared/model';
import { parseTaskInput } from '#shared/task-input';
import { newUploadId } from '../../functions/backend/ids';
import {
  accept,
  type ResizedImages,
  taskInputSchema,
  type UploadRef,
} from '../../functions/workflow/workflow';
import { callService } from '../../local/runtime/service-calls';
import { type ExecutionStatus, LambdaServiceError } from '../../local/stepfunctions';
import { fixture } from '../helpers/fixtures';
import {
  functionName,
  namedError,
  outcomeOf,
  startLocalEngine,
  startLocalTable,
  stateMachineDefinition,
  TABLE_NAME,
} from './local-engine';

export { lambdaServiceError, namedError } from './local-engine';

const BUS_NAME = 'happy-path-bus';
const USER_ID = 'user-alice';
/** Clock advances one run may make (each retry back-off is one). */
const MAX_CLOCK_ADVANCES = 200;
/** Real time one run may take. */
const RUN_DEADLINE_MS = 15_000;

export type WorkflowVersion = 'v1' | 'v2' | 'v3' | 'v4';
/** The stubbed task functions, named as in `${<Name>FunctionArn}`. Publish always runs for real. */
export type TaskName = 'CheckDimensions' | 'Moderate' | 'DetectPeople' | 'Resize';
export type TaskStub = (input: { upload: UploadRef }) => unknown;

/** A task stub that never answers: the state's TimeoutSeconds ends the attempt (States.Timeout). */
export const neverAnswers: TaskStub = () => {
  throw new Error('neverAnswers is handled by the harness, never called');
};

/** The execution id a concurrent duplicate execution publishes with (`meanwhile: 'published'`). */
export const OTHER_EXECUTION_ID =
  'arn:aws:states:us-east-1:000000000000:execution:happy-path-workflow:duplicate-of-this-upload';

/**
 * What happens to the upload record while a task runs, as a concurrent execution or an erasure
 * would do it: `published` (another execution published it), `erased` (the record is deleted),
 * or the status it ends with.
 */
export type Meanwhile = 'published' | 'erased' | UploadStatus;

export interface Scenario {
  /** Replaces the default (accepting) stubs. */
  tasks?: Partial<Record<TaskName, TaskStub>>;
  /**
   * Status of the seeded upload record; PROCESSING by default, as the intake (notify-upload-complete)
   * leaves it before the workflow hears of the upload.
   */
  uploadStatus?: UploadStatus;
  /** Changes the upload record once, when the named task is first invoked (before it answers). */
  meanwhile?: { during: TaskName; upload: Meanwhile };
  /** Runs for an upload an earlier run seeded (nothing is seeded again). */
  uploadId?: string;
  placeId?: string;
  /** v4: seeds the place item with this type; without it the place does not exist. */
  placeType?: string;
  /** How many PutEvents calls answer FailedEntryCount 1 before the bus accepts entries. */
  rejectedPutEvents?: number;
  /** Sees every DynamoDB integration call before dynalite; throwing fails the call with that error. */
  onDynamoDbCall?: (action: string, params: Record<string, unknown>) => void;
}

export interface BusEvent {
  eventBusName: unknown;
  source: unknown;
  detailType: unknown;
  detail: unknown;
}

export interface WorkflowRun {
  executionArn: string;
  uploadId: string;
  placeId: string;
  status: ExecutionStatus;
  error?: string;
  cause?: string;
  output?: Record<string, unknown>;
  /** Names of the states entered, in order. */
  path: string[];
  /** The upload record as seeded (undefined when the scenario reused an upload). */
  seeded?: UploadItem;
  /** The upload record after the run. */
  upload?: Record<string, unknown>;
  /** The photo record after the run. */
  photo?: Record<string, unknown>;
  events: BusEvent[];
  /** Invocations per function name (Publish included). */
  calls: Record<string, number>;
  /** Service integration calls in order, e.g. `dynamodb:UpdateItem`, `events:PutEvents`. */
  serviceCalls: string[];
  /** The Error of every failed task attempt, in order, as the states saw it. */
  taskErrors: string[];
}

export interface WorkflowHarness {
  run(scenario?: Scenario): Promise<WorkflowRun>;
  /** States of the definition no run has entered yet. */
  statesNeverEntered(): string[];
  close(): Promise<void>;
}

/** State paths the versions share. */
export const CLAIMED = ['Claim upload'];
export const CHECKED = ['Check dimensions', 'Dimensions result?'];
export const MODERATION = ['Moderate', 'Moderation result?'];
export const PUBLISH = ['Resize', 'Publish', 'Already published?', 'Announce photo published'];
/** A duplicate or late execution, or one for an erased upload, stopped before any work. */
export const ALREADY_FINAL = ['Claim upload', 'Upload already final'];
export const REJECT = ['Record rejection', 'Announce rejection'];

/** The errors Resize throws for an image it cannot take, and the rejection each one becomes. */
export const RESIZE_REJECTIONS = [
  {
    error: 'CorruptImageError',
    state: 'Image is corrupt',
    reason: 'CORRUPT_IMAGE',
    detail: 'The image data is damaged or incomplete, so it cannot be shown.',
  },
  {
    error: 'UnsupportedImageTypeError',
    state: 'Image is not a JPEG',
    reason: 'UNSUPPORTED_TYPE',
    detail: 'The file is not a JPEG photo.',
  },
  {
    error: 'ImageTooLargeError',
    state: 'Image is too large',
    reason: 'IMAGE_TOO_LARGE',
    detail: 'The image has more pixels than accepted.',
  },
];

/** A task stub that always throws this error. */
export function throwing(name: string, message: string): TaskStub {
  return () => {
    throw namedError(name, message);
  };
}

/** An `onDynamoDbCall` under which "Record failure" (the UpdateItem setting :failed) fails with this error. */
export function recordingFailureFails(name: string, message: string): Scenario['onDynamoDbCall'] {
  return (action, params) => {
    if (action === 'UpdateItem' && String(params.UpdateExpression).includes(':failed')) {
      throw namedError(name, message);
    }
  };
}

/** What Resize answers for an upload. */
export function resizedImagesFor(upload: UploadRef): ResizedImages {
  const { tileKey, scaledKey } = publishedImageKeys(upload.placeId, upload.uploadId);
  return {
    tileKey,
    scaledKey,
    tileUrl: `https://photos.example.com/${tileKey}`,
    scaledUrl: `https://photos.example.com/${scaledKey}`,
    width: 4032,
    height: 3024,
    scaledWidth: 600,
    scaledHeight: 450,
    camera: 'Apple iPhone 15 Pro',
    takenAt: '2026-05-01T14:03:59',
  };
}

/** What the default Resize stub answered for a run's upload. */
export function imagesOf(run: { placeId: string; uploadId: string }): ResizedImages {
  const key = `${run.placeId}/${run.uploadId}.jpg`;
  return resizedImagesFor({
    ...run,
    bucket: 'happy-path-backend-uploadbucket-example',
    key,
    size: 0,
    etag: '',
  });
}

const acceptingTasks: Record<TaskName, TaskStub> = {
  CheckDimensions: ({ upload }) =>
    accept({
      format: 'jpeg',
      width: 4032,
      height: 3024,
      megapixels: 12.2,
      objectBytes: upload.size,
      bytesRead: 65536,
    }),
  Moderate: () => accept({ labels: [], modelVersion: '7.0' }),
  DetectPeople: () => accept({ peopleCount: 0 }),
  Resize: ({ upload }) => resizedImagesFor(upload),
};

function parseDetail(detail: unknown): unknown {
  return typeof detail === 'string' ? JSON.parse(detail) : detail;
}

interface RunState {
  scenario: Scenario;
  rejectedPutEvents: number;
  calls: Record<string, number>;
  serviceCalls: string[];
  events: BusEvent[];
  meanwhileDone: boolean;
}

/** Starts dynalite, creates the application table and registers the version's state machine. */
export async function startWorkflowHarness(version: WorkflowVersion): Promise<WorkflowHarness> {
  // Before anything creates an SDK client: the integrations and Publish talk to dynalite.
  const table = await startLocalTable();
  const { handler: publish } = await import('../../functions/workflow/publish');

  const definition = stateMachineDefinition(`workflow-${version}.yaml`, {
    AppTableName: TABLE_NAME,
    EventBusName: BUS_NAME,
  });
  const { States, TimeoutSeconds } = JSON.parse(definition) as {
    States: Record<string, unknown>;
    TimeoutSeconds?: number;
  };
  const entered = new Set<string>();
  let current: RunState | undefined;

  const { clock, engine, stateMachineArn, history, inFlight } = startLocalEngine(
    `happy-path-workflow-${version}`,
    definition,
    (tracked) => ({
      invokeFunction: (arn, payload, { signal }) => {
        const run = current as RunState;
        const name = functionName(arn);
        if (name !== 'Publish' && run.scenario.tasks?.[name as TaskName] === neverAnswers) {
          // Not tracked: the clock may move on to the state's timeout, which aborts the call.
          run.calls[name] = (run.calls[name] ?? 0) + 1;
          return new Promise((_done, fail) =>
            signal.addEventListener('abort', () => fail(signal.reason), { once: true }),
          );
        }
        return tracked(async () => {
          run.calls[name] = (run.calls[name] ?? 0) + 1;
          if (name === 'Publish') return publish(payload);
          const stub = run.scenario.tasks?.[name as TaskName] ?? acceptingTasks[name as TaskName];
          if (!stub) throw new LambdaServiceError('ResourceNotFoundException', `Function not found: ${arn}`);
          const input = parseTaskInput(taskInputSchema, payload);
          const { meanwhile } = run.scenario;
          if (meanwhile?.during === name && !run.meanwhileDone) {
            run.meanwhileDone = true;
            await changeUpload(input.upload, meanwhile.upload);
          }
          return stub(input);
        });
      },
      callService: (service, action, params, { signal }) =>
        tracked(async () => {
          const run = current as RunState;
          run.serviceCalls.push(`${service}:${action}`);
          if (service === 'dynamodb') {
            run.scenario.onDynamoDbCall?.(action, params);
            return callService(service, action, params, signal);
          }
          if (service === 'events' && action === 'PutEvents') {
            const entries = params.Entries as Array<Record<string, unknown>>;
            if (run.rejectedPutEvents > 0) {
              run.rejectedPutEvents--;
              const failure = { ErrorCode: 'InternalFailure', ErrorMessage: 'Try again' };
              return { FailedEntryCount: entries.length, Entries: entries.map(() => failure) };
            }
            for (const entry of entries) {
              run.events.push({
                eventBusName: entry.EventBusName,
                source: entry.Source,
                detailType: entry.DetailType,
                detail: parseDetail(entry.Detail),
              });
            }
            return { FailedEntryCount: 0, Entries: entries.map(() => ({ EventId: randomUUID() })) };
          }
          throw namedError('UnsupportedOperationException', `No test integration for ${service}:${action}`);
        }),
    }),
  );

  /** What a concurrent execution or an erasure does to the upload record. */
  const changeUpload = async (upload: UploadRef, change: Meanwhile): Promise<void> => {
    const Key = keys.upload(upload.uploadId);
    if (change === 'published') {
      await publish({ upload, images: resizedImagesFor(upload), executionId: OTHER_EXECUTION_ID });
    } else if (change === 'erased') {
      await table.client.send(new DeleteCommand({ TableName: TABLE_NAME, Key }));
    } else {
      await table.client.send(
        new UpdateCommand({
          TableName: TABLE_NAME,
          Key,
          UpdateExpression: 'SET #status = :status',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':status': change },
        }),
      );
    }
  };

  /** Moves the clock over retry back-offs (never to the execution's timeout) until the run ends. */
  const settle = async (executionArn: string): Promise<void> => {
    const started = engine.describeExecution(executionArn).startDate.getTime();
    const timesOutAt =
      TimeoutSeconds === undefined ? Number.POSITIVE_INFINITY : started + TimeoutSeconds * 1000;
    const deadline = Date.now() + RUN_DEADLINE_MS;
    let advances = 0;
    while (engine.describeExecution(executionArn).status === 'RUNNING') {
      if (Date.now() > deadline || advances > MAX_CLOCK_ADVANCES) {
        throw new Error(`${executionArn} still RUNNING after ${advances} clock advances`);
      }
      await new Promise((done) => setImmediate(done));
      const next = clock.pendingWakeTimes().find((wakeAt) => wakeAt < timesOutAt);
      if (inFlight() === 0 && next !== undefined) {
        advances++;
        await clock.advance(Math.max(0, next - clock.now()));
      }
    }
  };

  const seed = async (scenario: Scenario, placeId: string): Promise<UploadItem | undefined> => {
    if (scenario.placeType !== undefined) {
      const place: PlaceItem = {
        ...keys.place(placeId),
        entity: 'place',
        placeId,
        name: 'A place',
        type: scenario.placeType,
        lat: 40.7829,
        lng: -73.9654,
        createdAt: new Date(clock.now() - 86_400_000).toISOString(),
      };
      await table.put(place);
    }
    if (scenario.uploadId !== undefined) return undefined;
    const uploadId = newUploadId(clock.now() - 60_000);
    const createdAt = new Date(clock.now() - 60_000).toISOString();
    const upload: UploadItem = {
      ...keys.upload(uploadId),
      entity: 'upload',
      uploadId,
      placeId,
      userId: USER_ID,
      status: scenario.uploadStatus ?? 'PROCESSING',
      bucket: 'happy-path-backend-uploadbucket-example',
      objectKey: `${placeId}/${uploadId}.jpg`,
      createdAt,
      updatedAt: createdAt,
    };
    await table.put(upload);
    return upload;
  };

  return {
    async run(scenario: Scenario = {}): Promise<WorkflowRun> {
      const event = fixture<{ detail: Record<string, unknown> }>('workflow/upload-complete-event.json');
      const placeId = scenario.placeId ?? String(event.detail.placeId);
      const seeded = await seed(scenario, placeId);
      const uploadId = seeded?.uploadId ?? (scenario.uploadId as string);
      event.detail = { ...event.detail, placeId, uploadId, key: `${placeId}/${uploadId}.jpg` };
      current = {
        scenario,
        rejectedPutEvents: scenario.rejectedPutEvents ?? 0,
        calls: {},
        serviceCalls: [],
        events: [],
        meanwhileDone: false,
      };
      const { executionArn } = engine.startExecution({ stateMachineArn, input: JSON.stringify(event) });
      await settle(executionArn);

      const events = history(executionArn);
      const path = events
        .filter((entry) => entry.type.endsWith('StateEntered'))
        .map((entry) => String((entry.stateEnteredEventDetails as { name: string }).name));
      for (const name of path) entered.add(name);
      const taskErrors = events
        .map(
          (entry) =>
            (entry.lambdaFunctionFailedEventDetails ?? entry.taskFailedEventDetails) as { error: string },
        )
        .filter((details) => details !== undefined)
        .map((details) => details.error);
      return {
        executionArn,
        uploadId,
        placeId,
        ...outcomeOf(engine.describeExecution(executionArn)),
        path,
        ...(seeded && { seeded }),
        upload: await table.read(keys.upload(uploadId)),
        photo: await table.read(keys.photo(placeId, uploadId)),
        events: current.events,
        calls: current.calls,
        serviceCalls: current.serviceCalls,
        taskErrors,
      };
    },
    statesNeverEntered: () => Object.keys(States).filter((name) => !entered.has(name)),
    async close() {
      await engine.close();
      await table.close();
    },
  };
}

/** The version's harness, started before the file's tests and closed after them. */
export function useWorkflowHarness(version: WorkflowVersion): WorkflowHarness {
  let harness: WorkflowHarness | undefined;
  beforeAll(async () => {
    harness = await startWorkflowHarness(version);
  });
  afterAll(async () => {
    await harness?.close();
  });
  const started = (): WorkflowHarness => {
    if (!harness) throw new Error(`The ${version} harness has not started`);
    return harness;
  };
  return {
    run: (scenario) => started().run(scenario),
    statesNeverEntered: () => started().statesNeverEntered(),
    close: () => started().close(),
  };
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/** The upload ended PROCESSED by Publish, with its photo added to the place. */
export function expectProcessed(run: WorkflowRun): void {
  const { tileKey, scaledKey } = publishedImageKeys(run.placeId, run.uploadId);
  expect(run.upload).toEqual({
    ...run.seeded,
    status: 'PROCESSED',
    claimedAt: expect.stringMatching(ISO_TIME),
    images: { tileKey, scaledKey },
    executionId: run.executionArn,
    processedAt: expect.stringMatching(ISO_TIME),
    updatedAt: expect.stringMatching(ISO_TIME),
  });
  expect(run.photo).toEqual({
    ...keys.photo(run.placeId, run.uploadId),
    entity: 'photo',
    placeId: run.placeId,
    uploadId: run.uploadId,
    userId: USER_ID,
    tileKey,
    scaledKey,
    width: 4032,
    height: 3024,
    camera: 'Apple iPhone 15 Pro',
    takenAt: '2026-05-01T14:03:59',
    publishedBy: run.executionArn,
    createdAt: run.upload?.processedAt,
  });
}

/** The upload ended REJECTED by "Record rejection", with the evidence stored as JSON text. */
export function expectRejected(
  run: WorkflowRun,
  rejection: { reason: string; detail: unknown; evidence: Record<string, unknown> },
): void {
  expect(run.upload).toEqual({
    ...run.seeded,
    status: 'REJECTED',
    claimedAt: expect.stringMatching(ISO_TIME),
    reason: rejection.reason,
    detail: rejection.detail,
    evidence: expect.any(String),
    executionId: run.executionArn,
    updatedAt: expect.stringMatching(ISO_TIME),
  });
  expect(JSON.parse(String(run.upload?.evidence))).toEqual(rejection.evidence);
  expect(run.photo).toBeUndefined();
}

/**
 * The upload ended FAILED by "Record failure", with the task's error and its whole error output as
 * JSON (the Cause containing `causeContains`; no Cause when it is undefined, as after a timeout).
 */
export function expectFailed(run: WorkflowRun, error: string, causeContains: string | undefined): void {
  expect(run.upload).toEqual({
    ...run.seeded,
    status: 'FAILED',
    claimedAt: expect.stringMatching(ISO_TIME),
    reason: 'PROCESSING_FAILED',
    detail: 'The photo could not be processed. Please try again later.',
    error,
    cause: expect.any(String),
    executionId: run.executionArn,
    updatedAt: expect.stringMatching(ISO_TIME),
  });
  expect(JSON.parse(String(run.upload?.cause))).toEqual(
    causeContains === undefined
      ? { Error: error }
      : { Error: error, Cause: expect.stringContaining(causeContains) },
  );
  expect(run.photo).toBeUndefined();
}

/** The imageProcessed entry "Announce photo published" puts on the bus. */
export function imageProcessedEvent(workflow: WorkflowVersion, run: WorkflowRun): BusEvent {
  const { tileUrl, scaledUrl } = imagesOf(run);
  return {
    eventBusName: BUS_NAME,
    source: 'happy-path.workflow',
    detailType: 'imageProcessed',
    detail: { workflow, placeId: run.placeId, uploadId: run.uploadId, tileUrl, scaledUrl },
  };
}

/** The imageRejected entry "Announce rejection" puts on the bus. */
export function imageRejectedEvent(
  workflow: WorkflowVersion,
  run: WorkflowRun,
  rejection: { reason: string; detail: unknown },
): BusEvent {
  return {
    eventBusName: BUS_NAME,
    source: 'happy-path.workflow',
    detailType: 'imageRejected',
    detail: {
      workflow,
      placeId: run.placeId,
      uploadId: run.uploadId,
      reason: rejection.reason,
      detail: rejection.detail,
    },
  };
}
