/**
 * The JSON views the console pages read, built from the running runtime's objects: the Step
 * Functions engine's public API (ListExecutions, DescribeExecution, GetExecutionHistory), the
 * event buses, and the outbox and dead-letter files the runtime writes (no live object holds those).
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DeadLetterQueue } from '../eventbridge/dead-letter-queue';
import type { LocalEventBus } from '../eventbridge/local-event-bus';
import { renderStateMachineSvg } from '../graphs/render-graphs';
import { readOutbox } from '../services';
import type { HistoryEvent, StepFunctionsEngine } from '../stepfunctions';

export const EXECUTION_PAGE_SIZE = 50;

export interface StateMachineView {
  name: string;
  arn: string;
  /** When its newest execution started; absent without executions. */
  lastStartDate?: string;
}

export interface ExecutionRow {
  executionArn: string;
  name: string;
  status: string;
  startDate: string;
  stopDate?: string;
  uploadId?: string;
  /** PROCESSED, REJECTED <reason>, FAILED <error>, RUNNING, or the execution status for other flows. */
  outcome: string;
}

/** By name; each with the start of its newest execution, so a page can open the busiest one. */
export function listStateMachines(engine: StepFunctionsEngine): StateMachineView[] {
  return engine
    .listStateMachines()
    .map((machine) => {
      const [newest] = engine.listExecutions({
        stateMachineArn: machine.stateMachineArn,
        maxResults: 1,
      }).executions;
      return {
        name: machine.name,
        arn: machine.stateMachineArn,
        ...(newest ? { lastStartDate: newest.startDate.toISOString() } : {}),
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function field(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const key of path) {
    if (!current || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** What an image workflow execution did to its upload, from its input, output and status. */
export function outcomeOf(description: { status: string; input?: string; output?: string; error?: string }): {
  uploadId?: string;
  outcome: string;
} {
  const input = parseJson(description.input);
  const output = parseJson(description.output);
  const uploadId = field(input, 'detail', 'uploadId') ?? field(input, 'uploadId');
  const withId = typeof uploadId === 'string' ? { uploadId } : {};
  if (description.status === 'RUNNING') return { ...withId, outcome: 'RUNNING' };
  if (description.status !== 'SUCCEEDED')
    return { ...withId, outcome: `FAILED${description.error ? ` ${description.error}` : ''}` };
  const reason = field(output, 'verdict', 'rejection', 'reason');
  if (typeof reason === 'string') return { ...withId, outcome: `REJECTED ${reason}` };
  if (field(output, 'photo') !== undefined && field(output, 'photo', 'alreadyPublished') !== true)
    return { ...withId, outcome: 'PROCESSED' };
  if (field(output, 'images') !== undefined) return { ...withId, outcome: 'PROCESSED' };
  const status = field(output, 'status');
  return { ...withId, outcome: typeof status === 'string' ? status : 'SUCCEEDED' };
}

/** Outcomes of finished executions (they never change), so a page reads each record from disk once. */
const finishedOutcomes = new WeakMap<StepFunctionsEngine, Map<string, ReturnType<typeof outcomeOf>>>();

function finishedOutcome(engine: StepFunctionsEngine, executionArn: string, status: string) {
  let cache = finishedOutcomes.get(engine);
  if (!cache) {
    cache = new Map();
    finishedOutcomes.set(engine, cache);
  }
  const known = cache.get(executionArn);
  if (known) return known;
  const outcome = outcomeOf(engine.describeExecution(executionArn));
  if (status !== 'RUNNING') cache.set(executionArn, outcome);
  return outcome;
}

/** One page of a state machine's executions, newest first, with each one's outcome. */
export function listExecutionRows(
  engine: StepFunctionsEngine,
  stateMachineArn: string,
  nextToken?: string,
): { executions: ExecutionRow[]; nextToken?: string } {
  const page = engine.listExecutions({
    stateMachineArn,
    maxResults: EXECUTION_PAGE_SIZE,
    ...(nextToken ? { nextToken } : {}),
  });
  const executions = page.executions.map((item) => {
    return {
      executionArn: item.executionArn,
      name: item.name,
      status: item.status,
      startDate: item.startDate.toISOString(),
      ...(item.stopDate ? { stopDate: item.stopDate.toISOString() } : {}),
      ...finishedOutcome(engine, item.executionArn, item.status),
    };
  });
  return { executions, ...(page.nextToken ? { nextToken: page.nextToken } : {}) };
}

/** One top-level state as the execution went through it (the last entry, when entered again). */
export interface StateVisit {
  name: string;
  order: number;
  enteredAt: string;
  exitedAt?: string;
  input?: unknown;
  output?: unknown;
  /** Task attempts after the first. */
  retries: number;
  errors: Array<{ error: string; cause?: string }>;
  /** `failed`: the execution failed here; `rejecting`: this state produced the rejection verdict. */
  mark?: 'failed' | 'rejecting';
}

function detailsOf(event: HistoryEvent): Record<string, unknown> {
  const key = Object.keys(event).find((name) => name.endsWith('EventDetails'));
  return (key ? event[key] : {}) as Record<string, unknown>;
}

function allHistory(engine: StepFunctionsEngine, executionArn: string): HistoryEvent[] {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = engine.getExecutionHistory({
      executionArn,
      maxResults: 1000,
      includeExecutionData: true,
      ...(nextToken ? { nextToken } : {}),
    });
    events.push(...page.events);
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

const hasRejection = (value: unknown) =>
  field(value, 'verdict', 'rejection') !== undefined && field(value, 'verdict', 'accepted') !== true;

/** The top-level states an execution entered, in order, from its history. */
export function visitsFromHistory(events: readonly HistoryEvent[], status: string): StateVisit[] {
  const visits: StateVisit[] = [];
  let depth = 0;
  let attempts = 0;
  for (const event of events) {
    const details = detailsOf(event);
    const current = visits[visits.length - 1];
    const at = event.timestamp.toISOString();
    if (event.type.endsWith('StateEntered')) {
      depth += 1;
      if (depth === 1) {
        visits.push({
          name: String(details.name),
          order: visits.length + 1,
          enteredAt: at,
          input: parseJson(details.input as string | undefined),
          retries: 0,
          errors: [],
        });
        attempts = 0;
      }
    } else if (event.type.endsWith('StateExited')) {
      if (depth === 1 && current) {
        current.exitedAt = at;
        current.output = parseJson(details.output as string | undefined);
      }
      depth = Math.max(0, depth - 1);
    } else if (depth === 1 && current && /(Task|LambdaFunction)Scheduled$/.test(event.type)) {
      attempts += 1;
      current.retries = attempts - 1;
    } else if (depth === 1 && current && /(Failed|TimedOut)$/.test(event.type) && details.error) {
      current.errors.push({
        error: String(details.error),
        ...(details.cause !== undefined ? { cause: String(details.cause) } : {}),
      });
    }
  }
  const rejecting = visits.find((visit) => hasRejection(visit.output) && !hasRejection(visit.input));
  if (rejecting) rejecting.mark = 'rejecting';
  const last = visits[visits.length - 1];
  if (last && ['FAILED', 'TIMED_OUT', 'ABORTED'].includes(status)) last.mark = 'failed';
  return visits;
}

export function executionDetail(engine: StepFunctionsEngine, executionArn: string) {
  const description = engine.describeExecution(executionArn);
  const machine = engine.describeStateMachine(description.stateMachineArn);
  return {
    executionArn,
    name: description.name,
    stateMachineArn: description.stateMachineArn,
    stateMachineName: machine.name,
    status: description.status,
    startDate: description.startDate.toISOString(),
    ...(description.stopDate ? { stopDate: description.stopDate.toISOString() } : {}),
    input: parseJson(description.input),
    ...(description.output !== undefined ? { output: parseJson(description.output) } : {}),
    ...(description.error !== undefined ? { error: description.error } : {}),
    ...(description.cause !== undefined ? { cause: description.cause } : {}),
    ...outcomeOf(description),
    states: visitsFromHistory(allHistory(engine, executionArn), description.status),
  };
}

/** The graph of a state machine, drawn by the same renderer as docs/graphs. */
export function stateMachineSvg(engine: StepFunctionsEngine, stateMachineArn: string): string {
  const machine = engine.describeStateMachine(stateMachineArn);
  return renderStateMachineSvg(machine.definition, { title: machine.name });
}

/** Newest first; HTML bodies are sent as they are and shown in a sandboxed frame. */
export function outboxView(dataDir: string, limit = 100) {
  return readOutbox(dataDir).reverse().slice(0, limit);
}

export function eventsView(buses: ReadonlyMap<string, LocalEventBus>, limit = 200) {
  return [...buses.values()]
    .flatMap((bus) => bus.listArchivedEvents().map((archived) => ({ bus: bus.name, ...archived })))
    .sort((a, b) => b.ingestionTime.localeCompare(a.ingestionTime))
    .slice(0, limit);
}

export function deadLettersView(dataDir: string) {
  const directory = join(dataDir, 'dead-letters');
  if (!existsSync(directory)) return [];
  return readdirSync(directory)
    .filter((file) => file.endsWith('.jsonl'))
    .flatMap((file) => {
      const queue = decodeURIComponent(file.slice(0, -'.jsonl'.length));
      return new DeadLetterQueue(dataDir, queue).list().map((message) => ({ queue, ...message }));
    })
    .sort((a, b) => b.sentTime.localeCompare(a.sentTime));
}
