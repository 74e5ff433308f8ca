import { chooseNextState, parseTimestamp } from './choice';
import type { Clock } from './clock';
import { linkedController, runAllFailFast, whenAborted } from './concurrency';
import {
  type FailState,
  type MapState,
  mapProcessor,
  type ParallelState,
  type PassState,
  type State,
  type StateMachineBody,
  type TaskState,
  type WaitState,
} from './definition';
import { isCatchableError, StatesError, StatesErrors } from './errors';
import type { ExecutionRecord, ExecutionStatus, NestedProgress, StatePosition } from './execution-record';
import { detailsFieldOf, NOT_TRUNCATED, type StoredHistoryEvent } from './history';
import type { Integrations } from './integrations';
import { toJsonText } from './json-values';
import { PathNotFoundError, readPath } from './paths';
import {
  applyInputPath,
  applyOutputPath,
  applyPayloadTemplate,
  applyResultPath,
  resolveDynamicValue,
} from './payload';
import { describeResource, invokeResource, parseResource, type TaskResource } from './resources';
import { findCatcher, findRetrierIndex, maxAttempts, retryDelayMs } from './retry';
import { newTaskToken, type TaskTokenRegistry } from './task-tokens';

/** What an execution needs from the engine that runs it. */
export interface ExecutionHost {
  clock: Clock;
  integrations: Integrations;
  tokens: TaskTokenRegistry;
  /** Source of randomness for FULL jitter. */
  random: () => number;
  /** Persists the record now (checkpoints and the end of the execution). */
  save(record: ExecutionRecord): void;
  /** Persists the record soon (after history events). */
  saveSoon(record: ExecutionRecord): void;
  onHistoryEvent(record: ExecutionRecord, event: StoredHistoryEvent): void;
  onFinished(record: ExecutionRecord): void;
}

/** Why work inside an execution was cut short. */
export class ExecutionInterruptedError extends Error {
  readonly reason: 'stopped' | 'timed-out' | 'shutdown';

  constructor(reason: 'stopped' | 'timed-out' | 'shutdown') {
    super(`Execution interrupted: ${reason}`);
    this.name = 'ExecutionInterruptedError';
    this.reason = reason;
  }
}

/** A run of top-level states or of one Parallel branch / Map iteration. */
interface Scope {
  signal: AbortSignal;
  /** The id of the last event of this scope, for `previousEventId`. */
  lastEventId: number;
  /** Top-level positions are persisted as the record's `position`. */
  topLevel: boolean;
  /** A branch or iteration: its key in the record's `nested` progress. */
  nestedKey?: string;
}

/** When the next heartbeat is due, for a Task with HeartbeatSeconds. */
interface Heartbeat {
  seconds: number;
  at: number;
}

interface Step {
  output: unknown;
  /** Undefined when the state ends its (sub-)machine. */
  next: string | undefined;
}

const DATA_LIMIT_BYTES = 256 * 1024;

function newPosition(stateName: string, input: unknown, now: number): StatePosition {
  return { stateName, input, enteredTime: now, retriesByRetrier: [], retryCount: 0 };
}

/** Runs one execution from its start, or from its persisted position after a restart. */
export class ExecutionRun {
  private readonly controller = new AbortController();
  private halted = false;
  private readonly activeTokens = new Set<string>();
  private readonly executionInput: unknown;

  constructor(
    readonly record: ExecutionRecord,
    private readonly host: ExecutionHost,
  ) {
    this.executionInput = JSON.parse(record.input);
  }

  get running(): boolean {
    return !this.halted;
  }

  /** Starts (or resumes) the execution in the background. */
  start(): void {
    void this.run();
  }

  stop(error?: string, cause?: string): void {
    this.finish('ABORTED', { error, cause }, new ExecutionInterruptedError('stopped'));
  }

  /** The engine is closing: stop working but leave the execution RUNNING on disk. */
  shutdown(): void {
    if (this.halted) return;
    this.halted = true;
    for (const token of this.activeTokens) this.host.tokens.release(token);
    this.activeTokens.clear();
    this.controller.abort(new ExecutionInterruptedError('shutdown'));
  }

  private async run(): Promise<void> {
    const timer = new AbortController();
    const { deadline } = this.record;
    if (deadline !== undefined) {
      this.host.clock.sleep(Math.max(0, deadline - this.host.clock.now()), timer.signal).then(
        () =>
          this.finish(
            'TIMED_OUT',
            { error: StatesErrors.Timeout, cause: 'The execution timed out' },
            new ExecutionInterruptedError('timed-out'),
          ),
        () => undefined,
      );
    }
    const scope: Scope = {
      signal: this.controller.signal,
      lastEventId: this.record.history.length,
      topLevel: true,
    };
    try {
      if (this.record.history.length === 0) {
        this.emit(scope, 'ExecutionStarted', {
          input: this.record.input,
          inputDetails: NOT_TRUNCATED,
          roleArn: this.record.roleArn,
        });
      }
      const output = await this.runBody(
        this.record.definition,
        this.executionInput,
        scope,
        this.record.position,
      );
      this.finish('SUCCEEDED', { output: toJsonText(output) });
    } catch (error) {
      if (error instanceof StatesError)
        this.finish('FAILED', { error: error.error || undefined, cause: error.cause });
      else if (!this.halted) {
        this.finish('FAILED', {
          error: StatesErrors.Runtime,
          cause: (error as Error)?.message ?? String(error),
        });
      }
    } finally {
      timer.abort();
    }
  }

  private finish(
    status: Exclude<ExecutionStatus, 'RUNNING'>,
    outcome: { output?: string; error?: string | undefined; cause?: string | undefined },
    interruption?: ExecutionInterruptedError,
  ): void {
    if (this.halted || this.record.status !== 'RUNNING') return;
    const record = this.record;
    const scope: Scope = {
      signal: this.controller.signal,
      lastEventId: record.history.length,
      topLevel: true,
    };
    const eventType = {
      SUCCEEDED: 'ExecutionSucceeded',
      FAILED: 'ExecutionFailed',
      ABORTED: 'ExecutionAborted',
      TIMED_OUT: 'ExecutionTimedOut',
    }[status];
    const details =
      status === 'SUCCEEDED'
        ? { output: outcome.output, outputDetails: NOT_TRUNCATED }
        : {
            ...(outcome.error !== undefined && { error: outcome.error }),
            ...(outcome.cause !== undefined && { cause: outcome.cause }),
          };
    this.emit(scope, eventType, details);
    record.status = status;
    record.stopDate = this.host.clock.now();
    if (outcome.output !== undefined) record.output = outcome.output;
    if (outcome.error !== undefined) record.error = outcome.error;
    if (outcome.cause !== undefined) record.cause = outcome.cause;
    delete record.position;
    delete record.nested;
    for (const token of this.activeTokens) {
      this.host.tokens.close(token);
      record.closedTokens.push(token);
    }
    this.activeTokens.clear();
    this.halted = true;
    this.controller.abort(interruption ?? new ExecutionInterruptedError('stopped'));
    this.host.save(record);
    this.host.onFinished(record);
  }

  private emit(scope: Scope, type: string, details?: Record<string, unknown>): number {
    if (this.halted) return scope.lastEventId;
    const event: StoredHistoryEvent = {
      id: this.record.history.length + 1,
      previousEventId: scope.lastEventId,
      timestamp: this.host.clock.now(),
      type,
    };
    if (details) event[detailsFieldOf(type)] = details;
    this.record.history.push(event);
    scope.lastEventId = event.id;
    this.host.onHistoryEvent(this.record, event);
    this.host.saveSoon(this.record);
    return event.id;
  }

  private checkpoint(scope: Scope, position: StatePosition): void {
    if (this.halted) return;
    if (scope.topLevel) this.record.position = position;
    else if (scope.nestedKey !== undefined) this.nestedProgress()[scope.nestedKey] = { position };
    else return;
    this.host.save(this.record);
  }

  private nestedProgress(): Record<string, NestedProgress> {
    if (!this.record.nested) this.record.nested = {};
    return this.record.nested;
  }

  /** The key prefix of the branches or iterations of a Parallel or Map state in `scope`. */
  private nestedPrefix(scope: Scope, position: StatePosition): string {
    return `${scope.nestedKey ?? ''}${encodeURIComponent(position.stateName)}[`;
  }

  /** True when a restart interrupted the branches or iterations under `prefix`. */
  private hasNestedProgress(prefix: string): boolean {
    return Object.keys(this.record.nested ?? {}).some((key) => key.startsWith(prefix));
  }

  /** What a branch or iteration reached before a restart, if anything. */
  private savedProgress(key: string): NestedProgress | undefined {
    return this.record.nested?.[key];
  }

  private markNestedDone(key: string, output: unknown, failed = false): void {
    if (this.halted) return;
    this.nestedProgress()[key] = { done: true, output, ...(failed && { failed: true as const }) };
    this.host.save(this.record);
  }

  /** Forgets the progress under `prefix` once its Parallel or Map attempt is over (not at shutdown). */
  private clearNestedProgress(prefix: string): void {
    if (this.halted || !this.record.nested) return;
    for (const key of Object.keys(this.record.nested)) {
      if (key.startsWith(prefix)) delete this.record.nested[key];
    }
    if (Object.keys(this.record.nested).length === 0) delete this.record.nested;
  }

  private context(
    position: StatePosition,
    extra: { token?: string; mapItem?: { Index: number; Value: unknown } } = {},
  ) {
    return {
      Execution: {
        Id: this.record.executionArn,
        Input: this.executionInput,
        Name: this.record.name,
        RoleArn: this.record.roleArn,
        StartTime: new Date(this.record.startDate).toISOString(),
        RedriveCount: 0,
      },
      StateMachine: { Id: this.record.stateMachineArn, Name: this.record.stateMachineName },
      State: {
        EnteredTime: new Date(position.enteredTime).toISOString(),
        Name: position.stateName,
        RetryCount: position.retryCount,
      },
      ...(extra.token !== undefined && { Task: { Token: extra.token } }),
      ...(extra.mapItem !== undefined && { Map: { Item: extra.mapItem } }),
    };
  }

  private async runBody(
    body: StateMachineBody,
    input: unknown,
    scope: Scope,
    resumeAt?: StatePosition,
  ): Promise<unknown> {
    let position = resumeAt ?? newPosition(body.StartAt, input, this.host.clock.now());
    let resuming = resumeAt !== undefined;
    for (;;) {
      const state = body.States[position.stateName] as State;
      if (!resuming) {
        this.emit(scope, `${state.Type}StateEntered`, {
          name: position.stateName,
          input: toJsonText(position.input),
          inputDetails: NOT_TRUNCATED,
        });
        this.checkpoint(scope, position);
      }
      resuming = false;
      const step = await this.runState(state, position, scope);
      this.emit(scope, `${state.Type}StateExited`, {
        name: position.stateName,
        output: toJsonText(step.output),
        outputDetails: NOT_TRUNCATED,
      });
      if (step.next === undefined) return step.output;
      position = newPosition(step.next, step.output, this.host.clock.now());
    }
  }

  private async runState(state: State, position: StatePosition, scope: Scope): Promise<Step> {
    switch (state.Type) {
      case 'Pass':
        return this.runPass(state, position);
      case 'Choice': {
        const effective = applyInputPath(position.input, state.InputPath);
        const next = chooseNextState(state, effective, this.context(position));
        return { output: applyOutputPath(effective, state.OutputPath), next };
      }
      case 'Succeed': {
        const effective = applyInputPath(position.input, state.InputPath);
        return { output: applyOutputPath(effective, state.OutputPath), next: undefined };
      }
      case 'Fail':
        throw this.failStateError(state, position);
      case 'Wait':
        return this.runWait(state, position, scope);
      case 'Task':
        return this.withErrorHandling(state, position, scope, (effective) =>
          this.runTaskAttempt(state, position, scope, effective),
        );
      case 'Parallel':
        return this.withErrorHandling(state, position, scope, (effective) =>
          this.runParallelAttempt(state, position, scope, effective),
        );
      case 'Map':
        return this.withErrorHandling(state, position, scope, (effective) =>
          this.runMapAttempt(state, position, scope, effective),
        );
    }
  }

  private runPass(state: PassState, position: StatePosition): Step {
    const effective = applyInputPath(position.input, state.InputPath);
    const parameters =
      state.Parameters !== undefined
        ? applyPayloadTemplate(state.Parameters, effective, this.context(position))
        : effective;
    const result = 'Result' in state ? state.Result : parameters;
    const output = applyOutputPath(
      applyResultPath(position.input, state.ResultPath, result),
      state.OutputPath,
    );
    return { output, next: state.Next };
  }

  private failStateError(state: FailState, position: StatePosition): StatesError {
    const context = this.context(position);
    const resolve = (literal: string | undefined, path: string | undefined, field: string) => {
      if (path === undefined) return literal;
      const value = resolveDynamicValue(path, position.input, context, StatesErrors.Runtime, field);
      if (typeof value !== 'string')
        throw new StatesError(StatesErrors.Runtime, `The value of ${field} must be a string`);
      return value;
    };
    const error = resolve(state.Error, state.ErrorPath, 'ErrorPath');
    const cause = resolve(state.Cause, state.CausePath, 'CausePath');
    return new StatesError(error ?? '', cause);
  }

  private async runWait(state: WaitState, position: StatePosition, scope: Scope): Promise<Step> {
    const effective = applyInputPath(position.input, state.InputPath);
    let wakeAt: number;
    if (position.pending?.kind === 'wait') {
      wakeAt = position.pending.wakeAt;
    } else {
      wakeAt = this.wakeTime(state, effective);
      position.pending = { kind: 'wait', wakeAt };
      this.checkpoint(scope, position);
    }
    await this.host.clock.sleep(Math.max(0, wakeAt - this.host.clock.now()), scope.signal);
    position.pending = undefined;
    return { output: applyOutputPath(effective, state.OutputPath), next: state.Next };
  }

  private wakeTime(state: WaitState, effective: unknown): number {
    const now = this.host.clock.now();
    if (state.Seconds !== undefined) return now + state.Seconds * 1000;
    if (state.SecondsPath !== undefined) {
      const seconds = this.readStatePath(effective, state.SecondsPath, 'SecondsPath');
      if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 0) {
        throw new StatesError(
          StatesErrors.Runtime,
          `The SecondsPath '${state.SecondsPath}' must select a non-negative integer`,
        );
      }
      return now + seconds * 1000;
    }
    const timestamp =
      state.Timestamp !== undefined
        ? state.Timestamp
        : this.readStatePath(effective, state.TimestampPath as string, 'TimestampPath');
    const time = parseTimestamp(timestamp);
    if (time === undefined) {
      throw new StatesError(
        StatesErrors.Runtime,
        `The timestamp ${JSON.stringify(timestamp)} is not an ISO-8601 timestamp`,
      );
    }
    return time;
  }

  private readStatePath(input: unknown, path: string, field: string): unknown {
    try {
      return readPath(input, path);
    } catch (error) {
      if (error instanceof PathNotFoundError) {
        throw new StatesError(StatesErrors.Runtime, `The ${field} '${path}' could not be found in the input`);
      }
      throw error;
    }
  }

  /** Retry and Catch around the attempts of a Task, Parallel or Map state. */
  private async withErrorHandling(
    state: TaskState | ParallelState | MapState,
    position: StatePosition,
    scope: Scope,
    attempt: (effectiveInput: unknown) => Promise<unknown>,
  ): Promise<Step> {
    const effective = applyInputPath(position.input, state.InputPath);
    for (;;) {
      if (position.pending?.kind === 'backoff') {
        await this.host.clock.sleep(
          Math.max(0, position.pending.wakeAt - this.host.clock.now()),
          scope.signal,
        );
        position.pending = undefined;
      }
      try {
        return { output: await attempt(effective), next: state.Next };
      } catch (error) {
        if (!(error instanceof StatesError) || this.halted || scope.signal.aborted) throw error;
        const retrierIndex = findRetrierIndex(state.Retry, error.error);
        const retrier = retrierIndex === undefined ? undefined : state.Retry?.[retrierIndex];
        if (retrier && retrierIndex !== undefined) {
          const retriesSoFar = position.retriesByRetrier[retrierIndex] ?? 0;
          if (retriesSoFar < maxAttempts(retrier)) {
            const delay = retryDelayMs(retrier, retriesSoFar, this.host.random);
            position.retriesByRetrier[retrierIndex] = retriesSoFar + 1;
            position.retryCount += 1;
            position.pending = { kind: 'backoff', wakeAt: this.host.clock.now() + delay };
            this.checkpoint(scope, position);
            continue;
          }
        }
        const catcher = findCatcher(state.Catch, error.error);
        if (!catcher) throw error;
        const errorOutput = { Error: error.error, ...(error.cause !== undefined && { Cause: error.cause }) };
        return {
          output: applyResultPath(position.input, catcher.ResultPath, errorOutput),
          next: catcher.Next,
        };
      }
    }
  }

  /** ResultSelector → ResultPath → OutputPath on the result of a Task, Parallel or Map state. */
  private processResult(
    state: TaskState | ParallelState | MapState,
    position: StatePosition,
    result: unknown,
  ): unknown {
    const selected =
      state.ResultSelector !== undefined
        ? applyPayloadTemplate(state.ResultSelector, result, this.context(position))
        : result;
    return applyOutputPath(applyResultPath(position.input, state.ResultPath, selected), state.OutputPath);
  }

  private positiveSeconds(
    literal: number | undefined,
    path: string | undefined,
    input: unknown,
    field: string,
  ) {
    if (literal !== undefined || path === undefined) return literal;
    const value = this.readStatePath(input, path, field);
    if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
      throw new StatesError(StatesErrors.Runtime, `The ${field} '${path}' must select a positive integer`);
    }
    return value;
  }

  private async runTaskAttempt(
    state: TaskState,
    position: StatePosition,
    scope: Scope,
    effective: unknown,
  ): Promise<unknown> {
    const resource = parseResource(state.Resource);
    const resumed = position.pending?.kind === 'task' ? position.pending : undefined;
    const waitsForToken = resource.kind !== 'lambda-function' && resource.waitForTaskToken;
    const resumedToken = waitsForToken ? resumed?.token : undefined;
    const token = waitsForToken ? (resumedToken ?? newTaskToken()) : undefined;
    const parameters =
      state.Parameters !== undefined
        ? applyPayloadTemplate(state.Parameters, effective, this.context(position, { token }))
        : effective;
    const timeoutSeconds = this.positiveSeconds(
      state.TimeoutSeconds,
      state.TimeoutSecondsPath,
      effective,
      'TimeoutSecondsPath',
    );
    const heartbeatSeconds = this.positiveSeconds(
      state.HeartbeatSeconds,
      state.HeartbeatSecondsPath,
      effective,
      'HeartbeatSecondsPath',
    );
    const isLambdaArn = resource.kind === 'lambda-function';
    const described = describeResource(resource);
    if (!resumedToken) {
      if (isLambdaArn) {
        this.emit(scope, 'LambdaFunctionScheduled', {
          resource: resource.arn,
          input: toJsonText(parameters),
          inputDetails: NOT_TRUNCATED,
          ...(timeoutSeconds !== undefined && { timeoutInSeconds: timeoutSeconds }),
        });
        this.emit(scope, 'LambdaFunctionStarted');
      } else {
        this.emit(scope, 'TaskScheduled', {
          ...described,
          region: this.record.executionArn.split(':')[3],
          parameters: toJsonText(parameters),
          ...(timeoutSeconds !== undefined && { timeoutInSeconds: timeoutSeconds }),
          ...(heartbeatSeconds !== undefined && { heartbeatInSeconds: heartbeatSeconds }),
        });
        this.emit(scope, 'TaskStarted', described);
      }
    }
    const now = this.host.clock.now();
    const timeoutAt =
      (resumedToken ? resumed?.timeoutAt : undefined) ??
      (timeoutSeconds !== undefined ? now + timeoutSeconds * 1000 : undefined);
    const heartbeat: Heartbeat | undefined =
      heartbeatSeconds === undefined
        ? undefined
        : {
            seconds: heartbeatSeconds,
            at: (resumedToken ? resumed?.heartbeatAt : undefined) ?? now + heartbeatSeconds * 1000,
          };
    const pending = {
      kind: 'task' as const,
      token,
      timeoutAt,
      ...(heartbeat !== undefined && { heartbeatAt: heartbeat.at }),
    };
    position.pending = pending;
    this.checkpoint(scope, position);
    const { controller, dispose } = linkedController(scope.signal);
    let queuedUntil: Promise<void> | undefined;
    try {
      const work = token
        ? this.awaitTaskToken(
            resource,
            parameters,
            token,
            !resumedToken,
            heartbeat,
            position,
            scope,
            controller.signal,
          )
        : invokeResource(
            resource,
            parameters,
            this.host.integrations,
            { signal: controller.signal, stateMachineArn: this.record.stateMachineArn },
            (started) => {
              queuedUntil = started;
            },
          );
      const racers: Promise<unknown>[] = [work, whenAborted(controller.signal)];
      if (timeoutAt !== undefined) {
        // A function the local Lambda had to queue: its timeout counts from when it starts.
        const timeoutMs = Math.max(0, timeoutAt - now);
        const timer: Promise<void> = queuedUntil
          ? queuedUntil.then(
              () => this.host.clock.sleep(timeoutMs, controller.signal),
              () => new Promise<void>(() => undefined),
            )
          : this.host.clock.sleep(timeoutMs, controller.signal);
        racers.push(
          timer.then(() => {
            // No Cause: the image workflows' tests (tests/workflows) pin the error output of a task
            // timeout as {"Error": "States.Timeout"} alone.
            throw new StatesError(StatesErrors.Timeout, undefined);
          }),
        );
      }
      // HeartbeatSeconds applies to every Task: without a task token nothing can send a heartbeat,
      // so such a task must finish within HeartbeatSeconds.
      if (heartbeat !== undefined) racers.push(this.watchHeartbeat(heartbeat, controller.signal));
      const result = await Promise.race(racers);
      if (toJsonText(result).length > DATA_LIMIT_BYTES) {
        throw new StatesError(
          StatesErrors.DataLimitExceeded,
          'The task result exceeds the maximum size of 256 KiB',
        );
      }
      if (isLambdaArn)
        this.emit(scope, 'LambdaFunctionSucceeded', {
          output: toJsonText(result),
          outputDetails: NOT_TRUNCATED,
        });
      else
        this.emit(scope, 'TaskSucceeded', {
          ...described,
          output: toJsonText(result),
          outputDetails: NOT_TRUNCATED,
        });
      return this.processResult(state, position, result);
    } catch (error) {
      if (error instanceof StatesError) this.reportTaskFailure(scope, resource, error);
      throw error;
    } finally {
      controller.abort(new ExecutionInterruptedError('stopped'));
      dispose();
      if (token && !this.halted && this.activeTokens.delete(token)) {
        this.host.tokens.close(token);
        this.record.closedTokens.push(token);
      }
      if (!this.halted) position.pending = undefined;
    }
  }

  private reportTaskFailure(scope: Scope, resource: TaskResource, error: StatesError): void {
    const timedOut = error.error === StatesErrors.Timeout || error.error === StatesErrors.HeartbeatTimeout;
    const details = { error: error.error, ...(error.cause !== undefined && { cause: error.cause }) };
    if (resource.kind === 'lambda-function') {
      this.emit(scope, timedOut ? 'LambdaFunctionTimedOut' : 'LambdaFunctionFailed', details);
    } else {
      this.emit(scope, timedOut ? 'TaskTimedOut' : 'TaskFailed', {
        ...describeResource(resource),
        ...details,
      });
    }
  }

  /** Fails with States.HeartbeatTimeout once `heartbeat.at` passes without being pushed back. */
  private async watchHeartbeat(heartbeat: Heartbeat, signal: AbortSignal): Promise<never> {
    const clock = this.host.clock;
    for (;;) {
      await clock.sleep(Math.max(0, heartbeat.at - clock.now()), signal);
      if (clock.now() >= heartbeat.at) {
        throw new StatesError(
          StatesErrors.HeartbeatTimeout,
          `No heartbeat was received within HeartbeatSeconds (${heartbeat.seconds} seconds)`,
        );
      }
    }
  }

  private async awaitTaskToken(
    resource: TaskResource,
    parameters: unknown,
    token: string,
    invoke: boolean,
    heartbeat: Heartbeat | undefined,
    position: StatePosition,
    scope: Scope,
    signal: AbortSignal,
  ): Promise<unknown> {
    const pending = position.pending?.kind === 'task' ? position.pending : undefined;
    const onHeartbeat = () => {
      if (!heartbeat || !pending) return;
      heartbeat.at = this.host.clock.now() + heartbeat.seconds * 1000;
      pending.heartbeatAt = heartbeat.at;
      this.checkpoint(scope, position);
    };
    this.activeTokens.add(token);
    const outcome = this.host.tokens.wait(token, this.record.executionArn, onHeartbeat);
    if (invoke) {
      const submitted = await invokeResource(resource, parameters, this.host.integrations, {
        signal,
        stateMachineArn: this.record.stateMachineArn,
      });
      this.emit(scope, 'TaskSubmitted', {
        ...describeResource(resource),
        output: toJsonText(submitted),
        outputDetails: NOT_TRUNCATED,
      });
    }
    const result = await outcome;
    if (!result.ok) throw result.error;
    return result.output;
  }

  private async runParallelAttempt(
    state: ParallelState,
    position: StatePosition,
    scope: Scope,
    effective: unknown,
  ) {
    const input =
      state.Parameters !== undefined
        ? applyPayloadTemplate(state.Parameters, effective, this.context(position))
        : effective;
    const prefix = this.nestedPrefix(scope, position);
    const resuming = this.hasNestedProgress(prefix);
    const startedId = resuming ? scope.lastEventId : this.emit(scope, 'ParallelStateStarted');
    try {
      const outputs = await runAllFailFast(
        state.Branches.map((branch, index) => async (signal: AbortSignal) => {
          const nestedKey = `${prefix}${index}]/`;
          const saved = this.savedProgress(nestedKey);
          if (saved && 'done' in saved) return saved.output;
          const branchScope: Scope = { signal, lastEventId: startedId, topLevel: false, nestedKey };
          const output = await this.runBody(branch, input, branchScope, saved?.position);
          this.markNestedDone(nestedKey, output);
          return output;
        }),
        0,
        scope.signal,
      );
      this.emit(scope, 'ParallelStateSucceeded');
      return this.processResult(state, position, outputs);
    } catch (error) {
      if (error instanceof StatesError) {
        this.emit(scope, 'ParallelStateFailed');
      }
      throw error;
    } finally {
      this.clearNestedProgress(prefix);
    }
  }

  private async runMapAttempt(state: MapState, position: StatePosition, scope: Scope, effective: unknown) {
    const itemsPath = state.ItemsPath ?? '$';
    const items = this.readStatePath(effective, itemsPath, 'ItemsPath');
    if (!Array.isArray(items)) {
      throw new StatesError(StatesErrors.Runtime, `The ItemsPath '${itemsPath}' did not select an array`);
    }
    const maxConcurrency = this.mapConcurrency(state, effective);
    const tolerance = this.mapTolerance(state, effective, items.length);
    const selector = state.ItemSelector ?? state.Parameters;
    const processor = mapProcessor(state);
    const prefix = this.nestedPrefix(scope, position);
    const resuming = this.hasNestedProgress(prefix);
    const startedId = resuming
      ? scope.lastEventId
      : this.emit(scope, 'MapStateStarted', { length: items.length });
    try {
      const outputs = await runAllFailFast(
        items.map((item, index) => async (signal: AbortSignal) => {
          const nestedKey = `${prefix}${index}]/`;
          const saved = this.savedProgress(nestedKey);
          if (saved && 'done' in saved) {
            // An iteration that failed within the tolerance before a restart still counts.
            if (saved.failed && tolerance) tolerance.failed += 1;
            return saved.output;
          }
          const iterationScope: Scope = { signal, lastEventId: startedId, topLevel: false, nestedKey };
          const iteration = { name: position.stateName, index };
          if (!saved) this.emit(iterationScope, 'MapIterationStarted', iteration);
          try {
            const itemInput =
              selector !== undefined
                ? applyPayloadTemplate(
                    selector,
                    effective,
                    this.context(position, { mapItem: { Index: index, Value: item } }),
                  )
                : item;
            const output = await this.runBody(processor, itemInput, iterationScope, saved?.position);
            this.emit(iterationScope, 'MapIterationSucceeded', iteration);
            this.markNestedDone(nestedKey, output);
            return output;
          } catch (error) {
            this.emit(
              iterationScope,
              signal.aborted ? 'MapIterationAborted' : 'MapIterationFailed',
              iteration,
            );
            if (
              !tolerance ||
              signal.aborted ||
              !(error instanceof StatesError) ||
              !isCatchableError(error.error)
            )
              throw error;
            // A tolerated failure: the item's output is its error, until the threshold is exceeded.
            tolerance.failed += 1;
            tolerance.check();
            const failedOutput = {
              Error: error.error,
              ...(error.cause !== undefined && { Cause: error.cause }),
            };
            this.markNestedDone(nestedKey, failedOutput, true);
            return failedOutput;
          }
        }),
        maxConcurrency,
        scope.signal,
      );
      this.emit(scope, 'MapStateSucceeded');
      return this.processResult(state, position, outputs);
    } catch (error) {
      if (error instanceof StatesError) this.emit(scope, 'MapStateFailed');
      throw error;
    } finally {
      this.clearNestedProgress(prefix);
    }
  }

  /**
   * The tolerated failures of a Map (ToleratedFailureCount / ToleratedFailurePercentage and their
   * Path forms), or undefined when it tolerates none and its first failure fails it as it is.
   */
  private mapTolerance(state: MapState, effective: unknown, total: number) {
    const count = this.mapThreshold(
      state.ToleratedFailureCount,
      state.ToleratedFailureCountPath,
      effective,
      'ToleratedFailureCountPath',
      Number.POSITIVE_INFINITY,
    );
    const percentage = this.mapThreshold(
      state.ToleratedFailurePercentage,
      state.ToleratedFailurePercentagePath,
      effective,
      'ToleratedFailurePercentagePath',
      100,
    );
    if (count === undefined && percentage === undefined) return undefined;
    const tolerance = {
      failed: 0,
      check: () => {
        const overCount = count !== undefined && tolerance.failed > count;
        const overPercentage = percentage !== undefined && (tolerance.failed / total) * 100 > percentage;
        if (!overCount && !overPercentage) return;
        const limit = overCount
          ? `ToleratedFailureCount ${count}`
          : `ToleratedFailurePercentage ${percentage}`;
        throw new StatesError(
          StatesErrors.ExceedToleratedFailureThreshold,
          `The Map state failed because ${tolerance.failed} of ${total} items failed, more than its ${limit} allows`,
        );
      },
    };
    return tolerance;
  }

  private mapThreshold(
    literal: number | undefined,
    path: string | undefined,
    effective: unknown,
    field: string,
    maximum: number,
  ): number | undefined {
    if (path === undefined) return literal;
    const value = this.readStatePath(effective, path, field);
    if (
      typeof value !== 'number' ||
      value < 0 ||
      value > maximum ||
      (field.includes('Count') && !Number.isInteger(value))
    ) {
      throw new StatesError(
        StatesErrors.Runtime,
        `The ${field} '${path}' must select ${field.includes('Count') ? 'a non-negative integer' : 'a number from 0 to 100'}`,
      );
    }
    return value;
  }

  private mapConcurrency(state: MapState, effective: unknown): number {
    if (state.MaxConcurrencyPath === undefined) return state.MaxConcurrency ?? 0;
    const value = this.readStatePath(effective, state.MaxConcurrencyPath, 'MaxConcurrencyPath');
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
      throw new StatesError(StatesErrors.Runtime, 'MaxConcurrencyPath must select a non-negative integer');
    }
    return value;
  }
}
