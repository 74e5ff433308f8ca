import { randomUUID } from 'node:crypto';
import { type Clock, systemClock } from './clock';
import { mapProcessor, type StateMachineBody, type StateMachineDefinition } from './definition';
import { StepFunctionsApiError } from './errors';
import { ExecutionRun } from './execution';
import type { ExecutionRecord, ExecutionStatus, StateMachineType } from './execution-record';
import { type HistoryEvent, type StoredHistoryEvent, toHistoryEvent, withoutExecutionData } from './history';
import { type Integrations, noIntegrations } from './integrations';
import { parseResource, unsupportedReason } from './resources';
import { ExecutionStore, type ExecutionSummary } from './store';
import { TaskTokenRegistry } from './task-tokens';
import { parseDefinition } from './validate';

/** The local Step Functions service: state machines, executions, history and task tokens. */

export interface StepFunctionsEngineOptions {
  integrations?: Integrations;
  /** Defaults to real time; tests pass a ManualClock. */
  clock?: Clock;
  /** Persist executions here and let `resume()` continue them after a restart. */
  dataDir?: string;
  /** Called for every history event, e.g. to print one line per state transition. */
  onEvent?: (notice: ExecutionEventNotice) => void;
  /** Randomness for FULL retry jitter (defaults to Math.random). */
  random?: () => number;
  /** Diagnostics (persistence failures, listener errors). */
  logger?: (message: string) => void;
}

export interface ExecutionEventNotice {
  executionArn: string;
  executionName: string;
  stateMachineName: string;
  event: HistoryEvent;
}

export interface RegisterStateMachineInput {
  /** `arn:aws:states:<region>:<account>:stateMachine:<name>`; built from `name` when omitted. */
  arn?: string;
  name: string;
  definition: string | object;
  type?: StateMachineType;
  roleArn?: string;
}

export interface StateMachineDescription {
  stateMachineArn: string;
  name: string;
  status: 'ACTIVE';
  definition: string;
  roleArn: string;
  type: StateMachineType;
  creationDate: Date;
}

export interface StartExecutionInput {
  stateMachineArn: string;
  name?: string;
  /** JSON text; defaults to "{}". */
  input?: string;
}

export interface ExecutionDescription {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  startDate: Date;
  stopDate?: Date;
  input: string;
  inputDetails: { included: true };
  output?: string;
  outputDetails?: { included: true };
  error?: string;
  cause?: string;
  redriveCount: 0;
}

export interface ExecutionListItem {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  startDate: Date;
  stopDate?: Date;
}

export interface ListExecutionsInput {
  stateMachineArn: string;
  statusFilter?: ExecutionStatus;
  maxResults?: number;
  nextToken?: string;
}

export interface GetExecutionHistoryInput {
  executionArn: string;
  maxResults?: number;
  nextToken?: string;
  reverseOrder?: boolean;
  includeExecutionData?: boolean;
}

interface RegisteredStateMachine {
  arn: string;
  name: string;
  type: StateMachineType;
  roleArn: string;
  definitionText: string;
  definition: StateMachineDefinition;
  creationDate: number;
}

const STATE_MACHINE_ARN = /^arn:aws[a-z-]*:states:([a-z0-9-]+):(\d{12}):stateMachine:([A-Za-z0-9_-]{1,80})$/;
const DEFAULT_REGION = 'us-east-1';
const DEFAULT_ACCOUNT = '123456789012';
const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 1000;

/** Execution and state machine names: 1–80 characters, no whitespace, brackets, wildcards or specials. */
export function isValidResourceName(name: string): boolean {
  return (
    name.length >= 1 &&
    name.length <= 80 &&
    !/[\s<>{}[\]?*"#%\\^|~`$&,;:/]/.test(name) &&
    ![...name].some((char) => {
      const code = char.charCodeAt(0);
      return code < 0x20 || (code >= 0x7f && code <= 0x9f);
    })
  );
}

function encodePageToken(offset: number): string {
  return Buffer.from(JSON.stringify({ offset })).toString('base64');
}

function decodePageToken(token: string | undefined): number {
  if (token === undefined) return 0;
  try {
    const { offset } = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { offset: unknown };
    if (typeof offset === 'number' && Number.isInteger(offset) && offset >= 0) return offset;
  } catch {
    // reported below
  }
  throw new StepFunctionsApiError('ValidationException', 'Invalid nextToken');
}

function pageSize(maxResults: number | undefined): number {
  if (maxResults === undefined || maxResults === 0) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(maxResults) || maxResults < 0 || maxResults > MAX_PAGE_SIZE) {
    throw new StepFunctionsApiError(
      'ValidationException',
      `maxResults must be between 0 and ${MAX_PAGE_SIZE}`,
    );
  }
  return maxResults;
}

function paginate<T>(items: T[], maxResults: number | undefined, nextToken: string | undefined) {
  const offset = decodePageToken(nextToken);
  const size = pageSize(maxResults);
  const page = items.slice(offset, offset + size);
  const next = offset + size < items.length ? encodePageToken(offset + size) : undefined;
  return { page, nextToken: next };
}

/** What ListExecutions shows of an execution; DescribeExecution shows these fields first. */
function listItemOf(execution: ExecutionRecord | ExecutionSummary): ExecutionListItem {
  return {
    executionArn: execution.executionArn,
    stateMachineArn: execution.stateMachineArn,
    name: execution.name,
    status: execution.status,
    startDate: new Date(execution.startDate),
    ...(execution.stopDate !== undefined && { stopDate: new Date(execution.stopDate) }),
  };
}

export class StepFunctionsEngine {
  private readonly clock: Clock;
  private readonly integrations: Integrations;
  private readonly store: ExecutionStore;
  private readonly tokens: TaskTokenRegistry;
  private readonly stateMachines = new Map<string, RegisteredStateMachine>();
  /**
   * The executions in memory: the running ones, and finished ones until they are on disk (all of
   * them without a dataDir). The store has the rest, read when asked for.
   */
  private readonly executions = new Map<string, ExecutionRecord>();
  private readonly runs = new Map<string, ExecutionRun>();
  private readonly finishWaiters = new Map<string, Array<() => void>>();
  private readonly pendingSaves = new Set<ExecutionRecord>();
  private saveScheduled = false;
  private closed = false;

  constructor(private readonly options: StepFunctionsEngineOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.integrations = options.integrations ?? noIntegrations;
    this.store = new ExecutionStore(options.dataDir, options.logger);
    this.tokens = new TaskTokenRegistry((token) => this.store.closedByFinished(token));
    for (const record of this.store.recover()) {
      this.executions.set(record.executionArn, record);
      this.tokens.markClosed(record.closedTokens);
    }
  }

  registerStateMachine(input: RegisterStateMachineInput): StateMachineDescription {
    if (!isValidResourceName(input.name)) {
      throw new StepFunctionsApiError('InvalidName', `Invalid State Machine Name: '${input.name}'`);
    }
    const arn = input.arn ?? `arn:aws:states:${DEFAULT_REGION}:${DEFAULT_ACCOUNT}:stateMachine:${input.name}`;
    if (!STATE_MACHINE_ARN.test(arn)) throw new StepFunctionsApiError('InvalidArn', `Invalid Arn: '${arn}'`);
    const definition = parseDefinition(input.definition);
    this.checkIntegrations(definition);
    const existing = this.stateMachines.get(arn);
    const machine: RegisteredStateMachine = {
      arn,
      name: input.name,
      type: input.type ?? 'STANDARD',
      roleArn: input.roleArn ?? `arn:aws:iam::${arn.split(':')[4]}:role/${input.name}-role`,
      definitionText:
        typeof input.definition === 'string' ? input.definition : JSON.stringify(input.definition, null, 2),
      definition,
      creationDate: existing?.creationDate ?? this.clock.now(),
    };
    this.stateMachines.set(arn, machine);
    return this.describeStateMachine(arn);
  }

  describeStateMachine(stateMachineArn: string): StateMachineDescription {
    const machine = this.requireStateMachine(stateMachineArn);
    return {
      stateMachineArn: machine.arn,
      name: machine.name,
      status: 'ACTIVE',
      definition: machine.definitionText,
      roleArn: machine.roleArn,
      type: machine.type,
      creationDate: new Date(machine.creationDate),
    };
  }

  listStateMachines(): StateMachineDescription[] {
    return [...this.stateMachines.keys()].map((arn) => this.describeStateMachine(arn));
  }

  startExecution(input: StartExecutionInput): { executionArn: string; startDate: Date } {
    this.assertOpen();
    const machine = this.requireStateMachine(input.stateMachineArn);
    const name = input.name ?? randomUUID();
    if (!isValidResourceName(name)) throw new StepFunctionsApiError('InvalidName', `Invalid Name: '${name}'`);
    const inputText = input.input ?? '{}';
    try {
      JSON.parse(inputText);
    } catch {
      throw new StepFunctionsApiError(
        'InvalidExecutionInput',
        'Invalid State Machine Execution Input: not valid JSON',
      );
    }
    const [, , , region, account] = machine.arn.split(':');
    const executionArn =
      machine.type === 'EXPRESS'
        ? `arn:aws:states:${region}:${account}:express:${machine.name}:${name}:${randomUUID()}`
        : `arn:aws:states:${region}:${account}:execution:${machine.name}:${name}`;
    const existing = this.executions.get(executionArn);
    if (existing || this.store.hasFinished(executionArn)) {
      if (existing?.status === 'RUNNING' && existing.input === inputText) {
        return { executionArn, startDate: new Date(existing.startDate) };
      }
      throw new StepFunctionsApiError(
        'ExecutionAlreadyExists',
        `Execution Already Exists: '${executionArn}'`,
      );
    }
    const now = this.clock.now();
    const record: ExecutionRecord = {
      executionArn,
      stateMachineArn: machine.arn,
      stateMachineName: machine.name,
      stateMachineType: machine.type,
      roleArn: machine.roleArn,
      name,
      status: 'RUNNING',
      input: inputText,
      startDate: now,
      ...(machine.definition.TimeoutSeconds !== undefined && {
        deadline: now + machine.definition.TimeoutSeconds * 1000,
      }),
      definition: machine.definition,
      history: [],
      closedTokens: [],
    };
    this.executions.set(executionArn, record);
    this.launch(record);
    return { executionArn, startDate: new Date(now) };
  }

  /** Continues every RUNNING execution loaded from `dataDir`; returns how many. */
  resume(): number {
    this.assertOpen();
    let resumed = 0;
    for (const record of this.executions.values()) {
      if (record.status !== 'RUNNING' || this.runs.has(record.executionArn)) {
        continue;
      }
      this.launch(record);
      resumed++;
    }
    return resumed;
  }

  describeExecution(executionArn: string): ExecutionDescription {
    return this.descriptionOf(this.requireExecution(executionArn));
  }

  listExecutions(input: ListExecutionsInput): { executions: ExecutionListItem[]; nextToken?: string } {
    this.requireStateMachine(input.stateMachineArn);
    const inMemory = [...this.executions.values()].filter(
      (record) => record.stateMachineArn === input.stateMachineArn,
    );
    const held = new Set(inMemory.map((record) => record.executionArn));
    const finished = this.store
      .listFinished(input.stateMachineArn)
      .filter((summary) => !held.has(summary.executionArn));
    const matching = [...inMemory, ...finished]
      .filter((record) => input.statusFilter === undefined || record.status === input.statusFilter)
      .sort((a, b) => b.startDate - a.startDate);
    const { page, nextToken } = paginate(matching, input.maxResults, input.nextToken);
    const executions = page.map(listItemOf);
    return { executions, ...(nextToken !== undefined && { nextToken }) };
  }

  getExecutionHistory(input: GetExecutionHistoryInput): { events: HistoryEvent[]; nextToken?: string } {
    const record = this.requireExecution(input.executionArn);
    const ordered = input.reverseOrder ? [...record.history].reverse() : record.history;
    const { page, nextToken } = paginate(ordered, input.maxResults, input.nextToken);
    const events = page
      .map(toHistoryEvent)
      .map((event) => (input.includeExecutionData === false ? withoutExecutionData(event) : event));
    return { events, ...(nextToken !== undefined && { nextToken }) };
  }

  stopExecution(input: { executionArn: string; error?: string; cause?: string }): { stopDate: Date } {
    const record = this.requireExecution(input.executionArn);
    if (record.status === 'RUNNING') {
      const run = this.runs.get(record.executionArn);
      if (run) run.stop(input.error, input.cause);
    }
    return { stopDate: new Date(record.stopDate ?? this.clock.now()) };
  }

  sendTaskSuccess(taskToken: string, output: string): void {
    this.tokens.succeed(taskToken, output);
  }

  sendTaskFailure(taskToken: string, error?: string, cause?: string): void {
    this.tokens.fail(taskToken, error, cause);
  }

  sendTaskHeartbeat(taskToken: string): void {
    this.tokens.heartbeat(taskToken);
  }

  /** The state machine whose execution waits on an open task token (SendTask* is authorized on it). */
  stateMachineOfTaskToken(taskToken: string): string | undefined {
    const executionArn = this.tokens.executionOf(taskToken);
    return executionArn === undefined ? undefined : this.describeExecution(executionArn).stateMachineArn;
  }

  /** Resolves with the execution's description once it is no longer RUNNING (real-time deadline). */
  waitForExecution(
    executionArn: string,
    options: { timeoutMs?: number } = {},
  ): Promise<ExecutionDescription> {
    const record = this.requireExecution(executionArn);
    if (record.status !== 'RUNNING') return Promise.resolve(this.descriptionOf(record));
    const timeoutMs = options.timeoutMs ?? 5000;
    return new Promise<ExecutionDescription>((resolve, reject) => {
      const onFinished = () => {
        clearTimeout(timer);
        resolve(this.describeExecution(executionArn));
      };
      const timer = setTimeout(() => {
        const waiters = this.finishWaiters.get(executionArn) ?? [];
        this.finishWaiters.set(
          executionArn,
          waiters.filter((waiter) => waiter !== onFinished),
        );
        reject(new Error(`Execution ${executionArn} still RUNNING after ${timeoutMs} ms`));
      }, timeoutMs);
      this.finishWaiters.set(executionArn, [...(this.finishWaiters.get(executionArn) ?? []), onFinished]);
    });
  }

  /** Stops working (running executions stay RUNNING on disk, ready for `resume()`) and flushes. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.flushSaves();
    this.closed = true;
    for (const run of this.runs.values()) run.shutdown();
    this.runs.clear();
  }

  /**
   * Refuses a definition with a Task state whose Resource the integrations can never run (an
   * unsupported service or action), so it fails when registered rather than mid-execution.
   */
  private checkIntegrations(definition: StateMachineDefinition): void {
    const problems: string[] = [];
    const visit = (body: StateMachineBody, path: string) => {
      for (const [name, state] of Object.entries(body.States)) {
        const where = `${path}${name}`;
        if (state.Type === 'Task') {
          const reason = unsupportedReason(parseResource(state.Resource), this.integrations);
          if (reason) problems.push(`state '${where}' (Resource '${state.Resource}'): ${reason}`);
        } else if (state.Type === 'Parallel') {
          state.Branches.forEach((branch, index) => {
            visit(branch, `${where}.Branches[${index}].`);
          });
        } else if (state.Type === 'Map') {
          visit(mapProcessor(state), `${where}.ItemProcessor.`);
        }
      }
    };
    visit(definition, '');
    if (problems.length > 0) {
      throw new StepFunctionsApiError(
        'InvalidDefinition',
        `Invalid State Machine Definition: the local runtime cannot run ${problems.join('; ')}`,
      );
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('The Step Functions engine is closed');
  }

  private launch(record: ExecutionRecord): void {
    const run = new ExecutionRun(record, {
      clock: this.clock,
      integrations: this.integrations,
      tokens: this.tokens,
      random: this.options.random ?? Math.random,
      save: (saved) => this.saveNow(saved),
      saveSoon: (saved) => this.saveSoon(saved),
      onHistoryEvent: (saved, event) => this.notify(saved, event),
      onFinished: (saved) => this.onFinished(saved),
    });
    this.runs.set(record.executionArn, run);
    run.start();
  }

  private onFinished(record: ExecutionRecord): void {
    this.runs.delete(record.executionArn);
    const waiters = this.finishWaiters.get(record.executionArn) ?? [];
    this.finishWaiters.delete(record.executionArn);
    for (const waiter of waiters) waiter();
  }

  private notify(record: ExecutionRecord, event: StoredHistoryEvent): void {
    if (!this.options.onEvent) return;
    try {
      this.options.onEvent({
        executionArn: record.executionArn,
        executionName: record.name,
        stateMachineName: record.stateMachineName,
        event: toHistoryEvent(event),
      });
    } catch (error) {
      this.options.logger?.(`onEvent listener failed: ${(error as Error).message}`);
    }
  }

  private saveNow(record: ExecutionRecord): void {
    if (this.closed) return;
    this.pendingSaves.delete(record);
    try {
      this.store.save(record);
      // Finished and on disk: the record and its closed task tokens are read when asked for.
      if (record.status !== 'RUNNING' && this.store.persistent) {
        this.executions.delete(record.executionArn);
        this.tokens.forgetClosed(record.closedTokens);
      }
    } catch (error) {
      this.options.logger?.(`Could not persist ${record.executionArn}: ${(error as Error).message}`);
    }
  }

  private saveSoon(record: ExecutionRecord): void {
    if (this.closed || !this.store.persistent) return;
    this.pendingSaves.add(record);
    if (this.saveScheduled) return;
    this.saveScheduled = true;
    setImmediate(() => {
      this.saveScheduled = false;
      this.flushSaves();
    });
  }

  private flushSaves(): void {
    for (const record of [...this.pendingSaves]) this.saveNow(record);
  }

  private requireStateMachine(arn: string): RegisteredStateMachine {
    if (!STATE_MACHINE_ARN.test(arn)) throw new StepFunctionsApiError('InvalidArn', `Invalid Arn: '${arn}'`);
    const machine = this.stateMachines.get(arn);
    if (!machine)
      throw new StepFunctionsApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    return machine;
  }

  private descriptionOf(record: ExecutionRecord): ExecutionDescription {
    return {
      ...listItemOf(record),
      input: record.input,
      inputDetails: { included: true },
      ...(record.output !== undefined && { output: record.output, outputDetails: { included: true } }),
      ...(record.error !== undefined && { error: record.error }),
      ...(record.cause !== undefined && { cause: record.cause }),
      redriveCount: 0,
    };
  }

  private requireExecution(arn: string): ExecutionRecord {
    if (!/^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:(execution|express):/.test(arn)) {
      throw new StepFunctionsApiError('InvalidArn', `Invalid Arn: '${arn}'`);
    }
    const execution = this.executions.get(arn) ?? this.store.readFinished(arn);
    if (!execution)
      throw new StepFunctionsApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    return execution;
  }
}
