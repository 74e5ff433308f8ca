import {
  appendFileSync,
  copyFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../../local/stepfunctions/clock';
import { StepFunctionsEngine } from '../../../local/stepfunctions/engine';
import { ExecutionStore } from '../../../local/stepfunctions/store';
import { fakeIntegrations, STATE_MACHINE_ARN, start, waitUntil } from './helpers';

/** Three Pass states around a one-hour Wait: the execution stops at the Wait until the clock moves. */
const WAITING = {
  StartAt: 'Before',
  States: {
    Before: { Type: 'Pass', Result: { step: 'before' }, ResultPath: '$.before', Next: 'Hold' },
    Hold: { Type: 'Wait', Seconds: 3600, Next: 'After' },
    After: { Type: 'Pass', Result: { step: 'after' }, ResultPath: '$.after', Next: 'Last' },
    Last: { Type: 'Pass', End: true },
  },
};

const T0 = Date.parse('2024-01-01T00:00:00Z');

describe('execution store (journal per running execution, one record per finished one)', () => {
  const directories: string[] = [];
  const newDataDir = () => {
    const directory = mkdtempSync(join(tmpdir(), 'sfn-store-'));
    directories.push(directory);
    return directory;
  };
  const filesIn = (dataDir: string) => readdirSync(join(dataDir, 'executions')).sort();
  const journalOf = (dataDir: string) => {
    const file = filesIn(dataDir).find((name) => name.endsWith('.journal'));
    if (!file) throw new Error('no journal');
    return join(dataDir, 'executions', file);
  };

  afterAll(() => {
    for (const directory of directories) rmSync(directory, { recursive: true, force: true });
  });

  /** An engine on `dataDir` whose execution is held at the Wait state. */
  async function engineHeldAtWait(dataDir: string) {
    const clock = new ManualClock(T0);
    const engine = new StepFunctionsEngine({ dataDir, clock });
    const arn = start(engine, WAITING, { photo: 'p1' }, 'held');
    await waitUntil(() => clock.pendingSleeps() > 0);
    return { engine, clock, arn };
  }

  /** A restarted engine, an hour later (the Wait is over), that resumes what was running. */
  function restart(dataDir: string) {
    const engine = new StepFunctionsEngine({ dataDir, clock: new ManualClock(T0 + 3_600_000) });
    engine.registerStateMachine({ arn: STATE_MACHINE_ARN, name: 'Test', definition: WAITING });
    return { engine, resumed: engine.resume() };
  }

  it('journals a running execution as its start then one line per change, each history event once and in order', async () => {
    const dataDir = newDataDir();
    const { engine, clock, arn } = await engineHeldAtWait(dataDir);
    const whileHeld = readFileSync(journalOf(dataDir), 'utf8');

    await clock.advance(3_600_000);
    await engine.waitForExecution(arn);
    const lines = whileHeld.split('\n').filter(Boolean);

    expect(lines.length).toBeGreaterThan(1);
    expect(JSON.parse(lines[0] as string).start).toMatchObject({ executionArn: arn, status: 'RUNNING' });
    const eventIds = lines.flatMap((line) =>
      ((JSON.parse(line).events ?? []) as Array<{ id: number }>).map((event) => event.id),
    );
    expect(eventIds).toEqual(eventIds.map((_, index) => index + 1));
    await engine.close();
  });

  it('replaces the journal of an ended execution by its record and an index line', async () => {
    const dataDir = newDataDir();
    const { engine, clock, arn } = await engineHeldAtWait(dataDir);
    await clock.advance(3_600_000);
    await engine.waitForExecution(arn);
    await engine.close();

    const files = filesIn(dataDir);
    const index = readFileSync(join(dataDir, 'executions', 'index.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean);

    expect(files.filter((name) => name.endsWith('.journal') || name.endsWith('.tmp'))).toEqual([]);
    expect(files.filter((name) => name.endsWith('.json'))).toHaveLength(1);
    expect(index.map((line) => JSON.parse(line))).toEqual([
      expect.objectContaining({ executionArn: arn, status: 'SUCCEEDED', stateMachineName: 'Test' }),
    ]);
  });

  it('resumes from a journal whose last line a kill tore, as if the line was never written', async () => {
    const dataDir = newDataDir();
    const held = await engineHeldAtWait(dataDir);
    await held.engine.close();
    appendFileSync(journalOf(dataDir), '{"events":[{"id":99,"previousEventId":98,"timest');

    const { engine, resumed } = restart(dataDir);
    const result = await engine.waitForExecution(held.arn);
    const ids = engine
      .getExecutionHistory({ executionArn: held.arn, maxResults: 1000 })
      .events.map((e) => e.id);

    expect(resumed).toBe(1);
    expect(result.status).toBe('SUCCEEDED');
    expect(JSON.parse(result.output ?? '')).toEqual({
      photo: 'p1',
      before: { step: 'before' },
      after: { step: 'after' },
    });
    expect(ids).toEqual(ids.map((_, index) => index + 1));
    await engine.close();
  });

  it('keeps an execution finished once when a kill came between its record and its journal deletion', async () => {
    const dataDir = newDataDir();
    const { engine, clock, arn } = await engineHeldAtWait(dataDir);
    const journal = journalOf(dataDir);
    copyFileSync(journal, `${journal}.copy`);
    await clock.advance(3_600_000);
    await engine.waitForExecution(arn);
    await engine.close();
    // As the kill leaves it: the record written, the index line not yet, the journal still there.
    renameSync(`${journal}.copy`, journal);
    rmSync(join(dataDir, 'executions', 'index.jsonl'));

    const restarted = restart(dataDir);
    const listed = restarted.engine.listExecutions({ stateMachineArn: STATE_MACHINE_ARN }).executions;

    expect(restarted.resumed).toBe(0);
    expect(listed.map((execution) => [execution.executionArn, execution.status])).toEqual([
      [arn, 'SUCCEEDED'],
    ]);
    expect(restarted.engine.describeExecution(arn).status).toBe('SUCCEEDED');
    expect(filesIn(dataDir).filter((name) => name.endsWith('.journal'))).toEqual([]);
    await restarted.engine.close();
  });

  it('lists finished executions after a restart from the index alone, reading a record only when described', async () => {
    const dataDir = newDataDir();
    const { engine, clock, arn } = await engineHeldAtWait(dataDir);
    await clock.advance(3_600_000);
    await engine.waitForExecution(arn);
    await engine.close();
    const recordFile = join(
      dataDir,
      'executions',
      filesIn(dataDir).find((name) => name.endsWith('.json')) ?? '',
    );
    const record = readFileSync(recordFile, 'utf8');
    writeFileSync(recordFile, 'not read at start');

    const restarted = new StepFunctionsEngine({ dataDir, clock: new ManualClock() });
    restarted.registerStateMachine({ arn: STATE_MACHINE_ARN, name: 'Test', definition: WAITING });
    const listed = restarted.listExecutions({ stateMachineArn: STATE_MACHINE_ARN }).executions;
    writeFileSync(recordFile, record);

    expect(listed.map((execution) => execution.status)).toEqual(['SUCCEEDED']);
    expect(restarted.describeExecution(arn)).toMatchObject({ status: 'SUCCEEDED', name: 'held' });
    expect(restarted.getExecutionHistory({ executionArn: arn }).events.at(-1)?.type).toBe(
      'ExecutionSucceeded',
    );
    await restarted.close();
  });

  it('takes over running and finished executions written by the earlier one-file-per-execution store', async () => {
    const dataDir = newDataDir();
    const first = await engineHeldAtWait(dataDir);
    const finished = start(
      first.engine,
      { StartAt: 'Only', States: { Only: { Type: 'Pass', End: true } } },
      {},
      'done',
    );
    await first.engine.waitForExecution(finished);
    await first.engine.close();
    const directory = join(dataDir, 'executions');
    const running = new ExecutionStore(dataDir).loadAll().find((record) => record.status === 'RUNNING');
    rmSync(journalOf(dataDir));
    rmSync(join(directory, 'index.jsonl'));
    writeFileSync(join(directory, 'old-running.json'), JSON.stringify(running));

    const { engine, resumed } = restart(dataDir);
    const result = await engine.waitForExecution(first.arn);
    const listed = engine.listExecutions({ stateMachineArn: STATE_MACHINE_ARN }).executions;

    expect(resumed).toBe(1);
    expect(result.status).toBe('SUCCEEDED');
    expect(listed.map((execution) => execution.name).sort()).toEqual(['done', 'held']);
    expect(filesIn(dataDir)).not.toContain('old-running.json');
    await engine.close();
  });

  it('keeps a finished execution on disk only: described, listed and refused as a duplicate from the store', async () => {
    const dataDir = newDataDir();
    const engine = new StepFunctionsEngine({ dataDir, clock: new ManualClock(T0) });
    const arn = start(
      engine,
      { StartAt: 'Only', States: { Only: { Type: 'Pass', End: true } } },
      { a: 1 },
      'done',
    );
    await engine.waitForExecution(arn);
    // Changed on disk after it finished: the engine must answer from disk, not from a copy of its own.
    const recordFile = join(
      dataDir,
      'executions',
      filesIn(dataDir).find((name) => name.endsWith('.json')) ?? '',
    );
    writeFileSync(
      recordFile,
      JSON.stringify({ ...JSON.parse(readFileSync(recordFile, 'utf8')), output: '{"from":"disk"}' }),
    );
    const otherArn = `${arn.slice(0, arn.lastIndexOf(':'))}:other`;
    appendFileSync(
      join(dataDir, 'executions', 'index.jsonl'),
      `${JSON.stringify({ executionArn: otherArn, stateMachineArn: STATE_MACHINE_ARN, stateMachineName: 'Test', name: 'other', status: 'FAILED', startDate: T0 - 1000, stopDate: T0 })}\n`,
    );

    const described = engine.describeExecution(arn);
    const listed = engine.listExecutions({ stateMachineArn: STATE_MACHINE_ARN }).executions;
    const again = () =>
      engine.startExecution({ stateMachineArn: STATE_MACHINE_ARN, input: '{"a":1}', name: 'done' });

    expect(described.output).toBe('{"from":"disk"}');
    expect(listed.map((execution) => [execution.name, execution.status])).toEqual([
      ['done', 'SUCCEEDED'],
      ['other', 'FAILED'],
    ]);
    expect(again).toThrow(expect.objectContaining({ code: 'ExecutionAlreadyExists' }));
    await engine.close();
  });

  it('answers a task token of a finished execution with TaskTimedOut from the index, before and after a restart', async () => {
    const dataDir = newDataDir();
    const integrations = fakeIntegrations();
    const engine = new StepFunctionsEngine({ dataDir, clock: new ManualClock(T0), integrations });
    const waitForToken = {
      StartAt: 'Approve',
      States: {
        Approve: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
          Parameters: { FunctionName: 'SendApprovalEmail', Payload: { 'token.$': '$$.Task.Token' } },
          End: true,
        },
      },
    };
    const arn = start(engine, waitForToken, {}, 'approval');
    const token = await waitUntil(() => (integrations.invocations[0]?.payload as { token?: string })?.token);
    engine.sendTaskSuccess(token, '{"approved":true}');
    await engine.waitForExecution(arn);
    const codeOf = (target: StepFunctionsEngine, answer: string) => {
      try {
        target.sendTaskSuccess(answer, '{}');
        return 'accepted';
      } catch (error) {
        return (error as { code?: string }).code;
      }
    };
    const sameRun = [codeOf(engine, token), codeOf(engine, `AQ${'B'.repeat(40)}==`)];
    await engine.close();

    const restarted = new StepFunctionsEngine({ dataDir, clock: new ManualClock(T0) });
    const afterRestart = [codeOf(restarted, token), codeOf(restarted, `AQ${'B'.repeat(40)}==`)];

    expect(sameRun).toEqual(['TaskTimedOut', 'TaskDoesNotExist']);
    expect(afterRestart).toEqual(['TaskTimedOut', 'TaskDoesNotExist']);
    await restarted.close();
  });
});
