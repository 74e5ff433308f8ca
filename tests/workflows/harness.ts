/**
 * Runs an image workflow's ASL on the local Step Functions engine, as its template wires it:
 * task functions are per-test stubs (Publish runs for real), DynamoDB integrations go to an
 * in-memory dynalite holding the application table, EventBridge entries are captured.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { CreateTableCommand, type CreateTableCommandInput, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { newUploadId } from '#shared/ids';
import { keys, type PlaceItem, publishedImageKeys, type UploadItem, type UploadStatus } from '#shared/model';
import { parseTaskInput } from '#shared/task-input';
import { accept, type ResizedImages, taskInputSchema, type UploadRef } from '#shared/workflow';
import { callService } from '../../local/runtime/service-calls';
import {
  type ExecutionStatus,
  type Integrations,
  LambdaServiceError,
  ManualClock,
  StepFunctionsEngine,
} from '../../local/stepfunctions';
import { parseTemplate } from '../../local/template';
import { fixture } from '../helpers/fixtures';

const ROOT = join(__dirname, '..', '..');
const REGION = 'us-east-1';
const ACCOUNT = '000000000000';
const TABLE_NAME = 'happy-path-app-table';
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

export interface Scenario {
  /** Replaces the default (accepting) stubs. */
  tasks?: Partial<Record<TaskName, TaskStub>>;
  /** Status of the seeded upload record; PENDING by default. */
  uploadStatus?: UploadStatus;
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

/** An error as an SDK or a function throws it: its `name` becomes the state's Error. */
export function namedError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

/** Lambda refusing the invocation; the state sees `Lambda.<code>`. */
export function lambdaServiceError(code: string): LambdaServiceError {
  return new LambdaServiceError(code, 'Rate exceeded');
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

interface StateMachineSource {
  definition: string;
  substitutions: string[];
}

/** The template's state machine: its ASL text and the names its DefinitionSubstitutions supply. */
function readStateMachine(version: WorkflowVersion): StateMachineSource {
  const templatePath = join(ROOT, 'templates', `workflow-${version}.yaml`);
  const { template } = parseTemplate(readFileSync(templatePath, 'utf8'), templatePath);
  const resources = Object.values(template.Resources as Record<string, Record<string, unknown>>);
  const machines = resources.filter((resource) => resource.Type === 'AWS::Serverless::StateMachine');
  if (machines.length !== 1) throw new Error(`${templatePath}: expected one state machine`);
  const properties = machines[0]?.Properties as Record<string, unknown>;
  const aslPath = resolve(dirname(templatePath), String(properties.DefinitionUri));
  return {
    definition: readFileSync(aslPath, 'utf8'),
    substitutions: Object.keys((properties.DefinitionSubstitutions ?? {}) as object),
  };
}

/** Replaces every `${Name}`; fails when the ASL and the template's substitutions disagree. */
function substitute({ definition, substitutions }: StateMachineSource): string {
  const used = new Set([...definition.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((match) => match[1] as string));
  const missing = [...used].filter((name) => !substitutions.includes(name));
  const unused = substitutions.filter((name) => !used.has(name));
  if (missing.length > 0 || unused.length > 0) {
    throw new Error(
      `ASL and DefinitionSubstitutions disagree: not supplied [${missing}], supplied but unused [${unused}]`,
    );
  }
  const value = (name: string): string => {
    if (name.endsWith('FunctionArn')) {
      return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name.slice(0, -'FunctionArn'.length)}`;
    }
    if (name === 'AppTableName') return TABLE_NAME;
    if (name === 'EventBusName') return BUS_NAME;
    throw new Error(`The harness does not know how to substitute \${${name}}`);
  };
  return definition.replace(/\$\{([A-Za-z0-9_]+)\}/g, (_whole, name: string) => value(name));
}

/** The AppTable of the backend template, as a CreateTable request. */
function appTableRequest(): CreateTableCommandInput {
  const templatePath = join(ROOT, 'templates', 'backend.yaml');
  const { template } = parseTemplate(readFileSync(templatePath, 'utf8'), templatePath);
  const table = (template.Resources as Record<string, { Properties: Record<string, unknown> }>).AppTable;
  if (!table) throw new Error('templates/backend.yaml has no AppTable');
  const { AttributeDefinitions, KeySchema, GlobalSecondaryIndexes, BillingMode } = table.Properties;
  return {
    TableName: TABLE_NAME,
    AttributeDefinitions,
    KeySchema,
    GlobalSecondaryIndexes,
    BillingMode,
  } as CreateTableCommandInput;
}

function listen(server: Server): Promise<string> {
  return new Promise((done, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => done(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  });
}

function functionName(arn: string): string {
  return arn.split(':').pop() ?? arn;
}

function parseDetail(detail: unknown): unknown {
  return typeof detail === 'string' ? JSON.parse(detail) : detail;
}

interface RunState {
  scenario: Scenario;
  rejectedPutEvents: number;
  calls: Record<string, number>;
  serviceCalls: string[];
  events: BusEvent[];
}

/** Starts dynalite, creates the application table and registers the version's state machine. */
export async function startWorkflowHarness(version: WorkflowVersion): Promise<WorkflowHarness> {
  const dynalite = (require('dynalite') as (options: object) => Server)({ createTableMs: 0 });
  const endpoint = await listen(dynalite);
  // Before anything creates an SDK client: the integrations and Publish talk to dynalite.
  Object.assign(process.env, {
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: 'AKIDWORKFLOWTEST',
    AWS_SECRET_ACCESS_KEY: 'workflow-test-secret',
    AWS_ENDPOINT_URL_DYNAMODB: endpoint,
    TABLE_NAME,
  });
  const { handler: publish } = await import('../../functions/workflow/publish');
  const client = new DynamoDBClient({});
  const table = DynamoDBDocumentClient.from(client);
  await client.send(new CreateTableCommand(appTableRequest()));

  const source = readStateMachine(version);
  const definition = substitute(source);
  const { States, TimeoutSeconds } = JSON.parse(definition) as {
    States: Record<string, unknown>;
    TimeoutSeconds?: number;
  };
  const entered = new Set<string>();
  let current: RunState | undefined;
  let inFlight = 0;

  const tracked = async <T>(work: () => Promise<T>): Promise<T> => {
    inFlight++;
    try {
      return await work();
    } finally {
      inFlight--;
    }
  };

  const integrations: Integrations = {
    invokeFunction: (arn, payload) =>
      tracked(async () => {
        const run = current as RunState;
        const name = functionName(arn);
        run.calls[name] = (run.calls[name] ?? 0) + 1;
        if (name === 'Publish') return publish(payload);
        const stub = run.scenario.tasks?.[name as TaskName] ?? acceptingTasks[name as TaskName];
        if (!stub) throw new LambdaServiceError('ResourceNotFoundException', `Function not found: ${arn}`);
        return stub(parseTaskInput(taskInputSchema, payload));
      }),
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
  };

  const clock = new ManualClock(Date.now());
  const engine = new StepFunctionsEngine({ clock, integrations, random: () => 0.5 });
  const { stateMachineArn } = engine.registerStateMachine({
    arn: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:happy-path-workflow-${version}`,
    name: `happy-path-workflow-${version}`,
    definition,
  });

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
      if (inFlight === 0 && next !== undefined) {
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
      await table.send(new PutCommand({ TableName: TABLE_NAME, Item: place }));
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
      status: scenario.uploadStatus ?? 'PENDING',
      bucket: 'happy-path-backend-uploadbucket-example',
      objectKey: `${placeId}/${uploadId}.jpg`,
      createdAt,
      updatedAt: createdAt,
    };
    await table.send(new PutCommand({ TableName: TABLE_NAME, Item: upload }));
    return upload;
  };

  const read = async (key: { pk: string; sk: string }) =>
    (await table.send(new GetCommand({ TableName: TABLE_NAME, Key: key, ConsistentRead: true }))).Item;

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
      };
      const { executionArn } = engine.startExecution({ stateMachineArn, input: JSON.stringify(event) });
      await settle(executionArn);

      const description = engine.describeExecution(executionArn);
      const history = engine.getExecutionHistory({ executionArn, maxResults: 1000 }).events;
      const path = history
        .filter((entry) => entry.type.endsWith('StateEntered'))
        .map((entry) => String((entry.stateEnteredEventDetails as { name: string }).name));
      for (const name of path) entered.add(name);
      const taskErrors = history
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
        status: description.status,
        ...(description.error !== undefined && { error: description.error }),
        ...(description.cause !== undefined && { cause: description.cause }),
        ...(description.output !== undefined && { output: JSON.parse(description.output) }),
        path,
        ...(seeded && { seeded }),
        upload: await read(keys.upload(uploadId)),
        photo: await read(keys.photo(placeId, uploadId)),
        events: current.events,
        calls: current.calls,
        serviceCalls: current.serviceCalls,
        taskErrors,
      };
    },
    statesNeverEntered: () => Object.keys(States).filter((name) => !entered.has(name)),
    async close() {
      await engine.close();
      client.destroy();
      dynalite.closeAllConnections();
      await new Promise((done) => dynalite.close(done));
    },
  };
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/** The upload ended PROCESSED by Publish, with its photo added to the place. */
export function expectProcessed(run: WorkflowRun): void {
  const { tileKey, scaledKey } = publishedImageKeys(run.placeId, run.uploadId);
  expect(run.upload).toEqual({
    ...run.seeded,
    status: 'PROCESSED',
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
    reason: rejection.reason,
    detail: rejection.detail,
    evidence: expect.any(String),
    executionId: run.executionArn,
    updatedAt: expect.stringMatching(ISO_TIME),
  });
  expect(JSON.parse(String(run.upload?.evidence))).toEqual(rejection.evidence);
  expect(run.photo).toBeUndefined();
}

/** The upload ended FAILED by "Record failure", with the task's error and cause. */
export function expectFailed(run: WorkflowRun, error: string, causeContains: string): void {
  expect(run.upload).toEqual({
    ...run.seeded,
    status: 'FAILED',
    reason: 'PROCESSING_FAILED',
    detail: 'The photo could not be processed. Please try again later.',
    error,
    cause: expect.stringContaining(causeContains),
    executionId: run.executionArn,
    updatedAt: expect.stringMatching(ISO_TIME),
  });
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
