/**
 * Runs the GDPR erasure state machine (statemachines/gdpr.asl.json) on the local Step Functions
 * engine, as templates/gdpr.yaml wires it: the task functions are per-test stubs that check their
 * input against the contract (functions/gdpr/erasure.ts), except "Close request", which runs for
 * real against an in-memory dynalite holding the backend's application table. SNS publications
 * are captured. The approval is driven by the test: approve, reject or let the window pass.
 */
import { createHash, createHmac, randomUUID } from 'node:crypto';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type * as z from 'zod/mini';
import { parseTaskInput } from '#shared/task-input';
import {
  type ApprovalDecision,
  buildReportInputSchema,
  ERASURE_REJECTED,
  type ErasureRequestItem,
  erasureKeys,
  executionInputSchema,
  type PurgeChunkResult,
  type PurgePlan,
  planPurgeInputSchema,
  purgeChunkInputSchema,
  type ReportSummary,
  type ResourceCounts,
  reportKeyFor,
  requestApprovalInputSchema,
  type VerificationResult,
} from '../../functions/gdpr/erasure';
import { type ExecutionStatus, type HistoryEvent, LambdaServiceError } from '../../local/stepfunctions';
import { fixture } from '../helpers/fixtures';
import {
  ACCOUNT,
  functionName,
  namedError,
  outcomeOf,
  REGION,
  startLocalEngine,
  startLocalTable,
  stateMachineDefinition,
  TABLE_NAME,
} from './local-engine';

export { lambdaServiceError, namedError } from './local-engine';

export const OUTCOME_TOPIC_ARN = `arn:aws:sns:${REGION}:${ACCOUNT}:happy-path-gdpr-OutcomeTopic`;
export const REQUESTER_ID = 'user-alice';
/** The keyed hash the intake would store for REQUESTER_ID (any hex will do for the flow). */
export const USER_HASH = createHmac('sha256', 'workflow-test-user-hash-key')
  .update(REQUESTER_ID)
  .digest('hex');
/** The keyed hash the decision function records for the signed-in approver. */
export const APPROVER = 'd'.repeat(64);
/** Clock moves a run may make on its own (each retry back-off is one). */
const MAX_CLOCK_ADVANCES = 200;
/** Sleeps due within this are retry back-offs (MaxDelaySeconds ≤ 60); longer ones are approval windows. */
const BACKOFF_HORIZON_MS = 15 * 60 * 1000;
/** Real time one settle may take. */
const SETTLE_DEADLINE_MS = 15_000;

/** The stubbed task functions, named as in `${<Name>FunctionArn}`. CloseRequest always runs for real. */
export type ErasureTask =
  | 'BuildPurgeReport'
  | 'RequestApproval'
  | 'PlanPurge'
  | 'PurgeObjects'
  | 'PurgeRecords'
  | 'VerifyPurge';
/** `call` counts the stub's invocations in the run, from 1. */
export type ErasureTaskStub = (input: Record<string, unknown>, call: number) => unknown;

export interface ErasureScenario {
  /** Replaces the default stubs (a 12-resource report, 2 object chunks and 1 record chunk, all deleted). */
  tasks?: Partial<Record<ErasureTask, ErasureTaskStub>>;
  /** Status of the seeded request record; AWAITING_APPROVAL by default. */
  requestStatus?: ErasureRequestItem['status'];
  /** Seeds no request record (the lock is still seeded). */
  withoutRequestRecord?: boolean;
  /** Sees every DynamoDB command "Close request" sends (`GetItem`, `PutItem`…); throwing fails it. */
  onCloseRequestDynamoDbCall?: (action: string, input: Record<string, unknown>) => void;
  /** Sees every SNS Publish; throwing fails it with that error. */
  onSnsPublish?: (params: Record<string, unknown>) => void;
}

/** What "Request approval" / "Send reminder" received. */
export interface ApprovalRequest {
  requestId: string;
  phase: 'FIRST' | 'REMINDER';
  taskToken: string;
  decisionWindowSeconds: number;
  report: ReportSummary;
}

export interface Publication {
  topicArn: unknown;
  subject: unknown;
  /** The Message, parsed from its JSON text. */
  message: Record<string, unknown>;
}

export interface ErasureRun {
  requestId: string;
  executionArn: string;
  status: ExecutionStatus;
  error?: string;
  cause?: string;
  output?: Record<string, unknown>;
  /** Top-level states entered, in order. */
  path: string[];
  /** Per Map state, the states each iteration entered, by iteration index. */
  iterations: Record<string, string[][]>;
  /** Invocations per function name (CloseRequest included). */
  calls: Record<string, number>;
  /** What each function was invoked with, in order. */
  payloads: Record<string, Array<Record<string, unknown>>>;
  /** Service integration calls in order, e.g. `sns:Publish`. */
  serviceCalls: string[];
  published: Publication[];
  /** The Error of every failed task attempt, in order, as the states saw it. */
  taskErrors: string[];
  /** The request record and the lock as seeded, and after the run. */
  seeded: { request?: ErasureRequestItem; lock: Record<string, unknown> };
  request?: Record<string, unknown>;
  lock?: Record<string, unknown>;
  /** Every AUDIT#<requestId> item. */
  audit: Array<Record<string, unknown>>;
}

/** An execution the test drives through its approval. */
export interface ErasureExecution {
  requestId: string;
  executionArn: string;
  /** Payloads of "Request approval" and "Send reminder", in order. */
  approvalRequests(): ApprovalRequest[];
  /** True while the execution waits for the approver's decision. */
  waitingForDecision(): boolean;
  /** SendTaskSuccess with the approver's decision on the latest token, then runs on. */
  approve(decision?: Partial<ApprovalDecision>): Promise<void>;
  /** SendTaskFailure ErasureRejected on the latest token, then runs on. */
  reject(decision?: { approverHash?: string; decidedAt?: string }): Promise<void>;
  /** Moves the clock to the end of the current approval window, then runs on. */
  letApprovalWindowPass(): Promise<void>;
  /** The engine's SendTaskSuccess, as decide-approval calls it (throws TaskTimedOut, InvalidToken…). */
  sendTaskSuccess(taskToken: string, output: unknown): void;
  /** Collects the outcome once the execution has ended. */
  result(): Promise<ErasureRun>;
}

export type Decision =
  | { action: 'approve'; decision?: Partial<ApprovalDecision> }
  | { action: 'reject'; approverHash?: string; decidedAt?: string }
  | { action: 'wait' };

export interface ErasureHarness {
  /** Seeds the request and lock, starts the execution and runs it to the first decision or its end. */
  start(scenario?: ErasureScenario): Promise<ErasureExecution>;
  /** start(), then each decision in order at each approval request, then result(). */
  run(scenario?: ErasureScenario & { decisions?: Decision[] }): Promise<ErasureRun>;
  /** States of the definition, Map iterator states as `<Map>/<State>`, that no run has entered yet. */
  statesNeverEntered(): string[];
  close(): Promise<void>;
}

// ------------------------------------------------------------------ default task answers

export const REPORT_COUNTS: ResourceCounts = {
  original: 3,
  tile: 2,
  scaled: 2,
  'upload-record': 3,
  'photo-record': 2,
};

/** What Build purge report answers: the SHA-256 is the digest of a report text of that request. */
export function reportSummaryFor(requestId: string, counts: ResourceCounts = REPORT_COUNTS): ReportSummary {
  const total = Object.values(counts).reduce((sum, count) => sum + count, 0);
  const text = JSON.stringify({ version: 1, requestId, counts, total });
  return {
    reportKey: reportKeyFor(requestId),
    reportSha256: createHash('sha256').update(text).digest('hex'),
    counts,
    total,
  };
}

/** 7 objects in chunks of 4, 5 records in one chunk. */
export const DEFAULT_PLAN: PurgePlan = {
  objectChunks: [
    { start: 0, end: 4 },
    { start: 4, end: 7 },
  ],
  recordChunks: [{ start: 0, end: 5 }],
};

function chunkSize(input: Record<string, unknown>): number {
  const { chunk } = parseTaskInput(purgeChunkInputSchema, input);
  return chunk.end - chunk.start;
}

/** Every object of the chunk deleted, with one extra version each. */
export function objectsDeleted(input: Record<string, unknown>): PurgeChunkResult {
  const size = chunkSize(input);
  return { requested: size, deleted: size, versionsDeleted: size * 2, failed: 0 };
}

export function recordsDeleted(input: Record<string, unknown>): PurgeChunkResult {
  const size = chunkSize(input);
  return { requested: size, deleted: size, failed: 0 };
}

export const NOTHING_LEFT: VerificationResult = {
  remaining: { objects: 0, records: 0, indexEntries: 0 },
  total: 0,
};

const defaultTasks: Record<ErasureTask, ErasureTaskStub> = {
  BuildPurgeReport: (input) => reportSummaryFor(String(input.requestId)),
  RequestApproval: () => ({ approvalId: randomUUID() }),
  PlanPurge: () => structuredClone(DEFAULT_PLAN),
  PurgeObjects: objectsDeleted,
  PurgeRecords: recordsDeleted,
  VerifyPurge: () => structuredClone(NOTHING_LEFT),
};

/** Each stub first checks its input against the contract, as the real function does. */
const inputSchemas: Record<ErasureTask, z.ZodMiniType> = {
  BuildPurgeReport: buildReportInputSchema,
  RequestApproval: requestApprovalInputSchema,
  PlanPurge: planPurgeInputSchema,
  PurgeObjects: purgeChunkInputSchema,
  PurgeRecords: purgeChunkInputSchema,
  VerifyPurge: planPurgeInputSchema,
};

/** Names of the top-level states, and of Map iterator states as `<Map>/<State>`. */
function stateNames(states: Record<string, Record<string, unknown>>): string[] {
  return Object.entries(states).flatMap(([name, state]) => {
    const processor = (state.ItemProcessor ?? state.Iterator) as { States?: object } | undefined;
    const inner = processor?.States ? Object.keys(processor.States).map((child) => `${name}/${child}`) : [];
    return [name, ...inner];
  });
}

interface ExecutionTrace {
  path: string[];
  iterations: Record<string, string[][]>;
  taskErrors: string[];
}

/** Splits the history into top-level states and Map iterations (events chain back to their iteration). */
function traceOf(history: HistoryEvent[]): ExecutionTrace {
  const iterationOf = new Map<number, { map: string; index: number }>();
  const trace: ExecutionTrace = { path: [], iterations: {}, taskErrors: [] };
  for (const event of history) {
    const started = event.mapIterationStartedEventDetails as { name: string; index: number } | undefined;
    const iteration = started
      ? { map: started.name, index: started.index }
      : iterationOf.get(event.previousEventId);
    if (iteration) iterationOf.set(event.id, iteration);
    const entered = event.stateEnteredEventDetails as { name: string } | undefined;
    if (entered && event.type.endsWith('StateEntered')) {
      if (iteration) {
        const paths = trace.iterations[iteration.map] ?? [];
        trace.iterations[iteration.map] = paths;
        paths[iteration.index] = [...(paths[iteration.index] ?? []), entered.name];
      } else {
        trace.path.push(entered.name);
      }
    }
    const failed = (event.lambdaFunctionFailedEventDetails ??
      event.taskFailedEventDetails ??
      event.lambdaFunctionTimedOutEventDetails ??
      event.taskTimedOutEventDetails) as { error: string } | undefined;
    if (failed) trace.taskErrors.push(failed.error);
  }
  return trace;
}

interface RunState {
  scenario: ErasureScenario;
  calls: Record<string, number>;
  payloads: Record<string, Array<Record<string, unknown>>>;
  serviceCalls: string[];
  published: Publication[];
  approvalRequests: ApprovalRequest[];
}

/** Starts dynalite, creates the application table and registers the erasure state machine. */
export async function startErasureHarness(): Promise<ErasureHarness> {
  // Before anything creates an SDK client: Close request talks to dynalite.
  const table = await startLocalTable();
  const { handler: closeRequest } = await import('../../functions/gdpr/close-request');
  const { dynamo: closeRequestClient } = await import('#clients/dynamodb');

  const definition = stateMachineDefinition('gdpr.yaml', { OutcomeTopicArn: OUTCOME_TOPIC_ARN });
  const { States } = JSON.parse(definition) as { States: Record<string, Record<string, unknown>> };
  const allStates = stateNames(States);
  const entered = new Set<string>();
  let current: RunState | undefined;
  let previous: string | undefined;

  // Faults for "Close request": a middleware on the function's own document client.
  closeRequestClient.middlewareStack.add(
    (next, context) => async (args) => {
      const action = String(context.commandName ?? '').replace(/Command$/, '');
      current?.scenario.onCloseRequestDynamoDbCall?.(action, args.input as Record<string, unknown>);
      return next(args);
    },
    { step: 'initialize', name: 'gdprWorkflowTestFaults' },
  );

  const { clock, engine, stateMachineArn, history, inFlight } = startLocalEngine(
    'happy-path-gdpr-erasure',
    definition,
    (tracked) => ({
      invokeFunction: (arn, payload) =>
        tracked(async () => {
          const run = current as RunState;
          const name = functionName(arn);
          const call = (run.calls[name] ?? 0) + 1;
          run.calls[name] = call;
          const input = structuredClone(payload) as Record<string, unknown>;
          run.payloads[name] = [...(run.payloads[name] ?? []), input];
          if (name === 'CloseRequest') return closeRequest(payload);
          const task = name as ErasureTask;
          const stub = run.scenario.tasks?.[task] ?? defaultTasks[task];
          const schema = inputSchemas[task];
          if (!stub || !schema)
            throw new LambdaServiceError('ResourceNotFoundException', `Function not found: ${arn}`);
          parseTaskInput(schema, payload);
          if (task === 'RequestApproval') run.approvalRequests.push(input as unknown as ApprovalRequest);
          return stub(input, call);
        }),
      callService: (service, action, params) =>
        tracked(async () => {
          const run = current as RunState;
          run.serviceCalls.push(`${service}:${action}`);
          if (service === 'sns' && action === 'Publish') {
            run.scenario.onSnsPublish?.(params);
            run.published.push({
              topicArn: params.TopicArn,
              subject: params.Subject,
              message: JSON.parse(String(params.Message)) as Record<string, unknown>,
            });
            return { MessageId: randomUUID() };
          }
          throw namedError('UnsupportedOperationException', `No test integration for ${service}:${action}`);
        }),
    }),
  );

  /** Waiting for SendTask*: the last thing that happened is the approval task's submission. */
  const waitingForDecision = (executionArn: string): boolean =>
    engine.describeExecution(executionArn).status === 'RUNNING' &&
    history(executionArn).at(-1)?.type === 'TaskSubmitted';

  /** Runs the execution over retry back-offs until it ends or waits for a decision. */
  const settle = async (executionArn: string): Promise<void> => {
    const deadline = Date.now() + SETTLE_DEADLINE_MS;
    let advances = 0;
    for (;;) {
      await new Promise((done) => setImmediate(done));
      if (engine.describeExecution(executionArn).status !== 'RUNNING') return;
      if (Date.now() > deadline || advances > MAX_CLOCK_ADVANCES) {
        throw new Error(
          `${executionArn} neither ended nor waited for a decision after ${advances} clock advances`,
        );
      }
      if (inFlight() > 0) continue;
      const next = clock.pendingWakeTimes()[0];
      if (next !== undefined && next - clock.now() <= BACKOFF_HORIZON_MS) {
        advances++;
        await clock.advance(Math.max(0, next - clock.now()));
      } else if (waitingForDecision(executionArn)) {
        return;
      }
    }
  };

  const seed = async (scenario: ErasureScenario, requestId: string) => {
    const createdAt = new Date(clock.now() - 60_000).toISOString();
    const lock = { ...erasureKeys.activeRequest(USER_HASH), entity: 'erasure-lock', requestId, createdAt };
    await table.put(lock);
    if (scenario.withoutRequestRecord) return { lock };
    const request: ErasureRequestItem = {
      ...erasureKeys.request(requestId),
      entity: 'erasure-request',
      requestId,
      requesterId: REQUESTER_ID,
      userHash: USER_HASH,
      status: scenario.requestStatus ?? 'AWAITING_APPROVAL',
      createdAt,
      updatedAt: createdAt,
    };
    await table.put(request);
    return { request, lock };
  };

  const harness: ErasureHarness = {
    async start(scenario: ErasureScenario = {}): Promise<ErasureExecution> {
      // An execution a failed test left waiting must not wake up inside this one.
      if (previous && engine.describeExecution(previous).status === 'RUNNING') {
        engine.stopExecution({ executionArn: previous, error: 'TestEnded' });
        await new Promise((done) => setImmediate(done));
      }
      const requestId = randomUUID();
      const seeded = await seed(scenario, requestId);
      const input = executionInputSchema.parse({
        ...fixture<Record<string, unknown>>('gdpr/execution-input.json'),
        requestId,
      });
      const run: RunState = {
        scenario,
        calls: {},
        payloads: {},
        serviceCalls: [],
        published: [],
        approvalRequests: [],
      };
      current = run;
      const { executionArn } = engine.startExecution({
        stateMachineArn,
        name: requestId,
        input: JSON.stringify(input),
      });
      previous = executionArn;
      await settle(executionArn);

      const latestToken = (): string => {
        if (!waitingForDecision(executionArn)) throw new Error('The execution is not waiting for a decision');
        const latest = run.approvalRequests.at(-1);
        if (!latest) throw new Error('No approval was requested');
        return latest.taskToken;
      };

      return {
        requestId,
        executionArn,
        approvalRequests: () => run.approvalRequests,
        waitingForDecision: () => waitingForDecision(executionArn),
        async approve(decision = {}) {
          const token = latestToken();
          const latest = run.approvalRequests.at(-1) as ApprovalRequest;
          const approved: ApprovalDecision = {
            decision: 'APPROVED',
            approverHash: APPROVER,
            reportSha256: latest.report.reportSha256,
            decidedAt: new Date(clock.now()).toISOString(),
            ...decision,
          };
          engine.sendTaskSuccess(token, JSON.stringify(approved));
          await settle(executionArn);
        },
        async reject(decision = {}) {
          const token = latestToken();
          const cause = {
            approverHash: decision.approverHash ?? APPROVER,
            decidedAt: decision.decidedAt ?? new Date(clock.now()).toISOString(),
          };
          engine.sendTaskFailure(token, ERASURE_REJECTED, JSON.stringify(cause));
          await settle(executionArn);
        },
        async letApprovalWindowPass() {
          latestToken();
          const scheduled = history(executionArn).findLast((event) => event.type === 'TaskScheduled');
          const seconds = (scheduled?.taskScheduledEventDetails as { timeoutInSeconds?: number } | undefined)
            ?.timeoutInSeconds;
          if (!scheduled || seconds === undefined) throw new Error('No approval window is open');
          await clock.advance(Math.max(0, scheduled.timestamp.getTime() + seconds * 1000 - clock.now()));
          await settle(executionArn);
        },
        sendTaskSuccess: (taskToken, output) => engine.sendTaskSuccess(taskToken, JSON.stringify(output)),
        async result(): Promise<ErasureRun> {
          await settle(executionArn);
          const description = engine.describeExecution(executionArn);
          if (description.status === 'RUNNING') throw new Error(`${executionArn} still waits for a decision`);
          const trace = traceOf(history(executionArn));
          for (const name of trace.path) entered.add(name);
          for (const [map, paths] of Object.entries(trace.iterations)) {
            for (const name of paths.flat()) entered.add(`${map}/${name}`);
          }
          const { Items: audit = [] } = await table.client.send(
            new QueryCommand({
              TableName: TABLE_NAME,
              KeyConditionExpression: 'pk = :pk',
              ExpressionAttributeValues: { ':pk': `AUDIT#${requestId}` },
              ConsistentRead: true,
            }),
          );
          const request = await table.read(erasureKeys.request(requestId));
          const lock = await table.read(erasureKeys.activeRequest(USER_HASH));
          return {
            requestId,
            executionArn,
            ...outcomeOf(description),
            ...trace,
            calls: run.calls,
            payloads: run.payloads,
            serviceCalls: run.serviceCalls,
            published: run.published,
            seeded,
            ...(request && { request }),
            ...(lock && { lock }),
            audit,
          };
        },
      };
    },

    async run(scenario = {}) {
      const execution = await harness.start(scenario);
      for (const decision of scenario.decisions ?? []) {
        if (decision.action === 'approve') await execution.approve(decision.decision);
        else if (decision.action === 'reject') await execution.reject(decision);
        else await execution.letApprovalWindowPass();
      }
      return execution.result();
    },

    statesNeverEntered: () => allStates.filter((name) => !entered.has(name)),

    async close() {
      await engine.close();
      await table.close();
    },
  };
  return harness;
}
