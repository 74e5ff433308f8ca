import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../../local/stepfunctions/clock';
import { StepFunctionsEngine } from '../../../local/stepfunctions/engine';
import { fakeIntegrations, STATE_MACHINE_ARN, single, start, waitUntil } from './helpers';

const APPROVAL = {
  StartAt: 'Ask',
  States: {
    Ask: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: { FunctionName: 'SendApprovalEmail', Payload: { 'token.$': '$$.Task.Token' } },
      ResultPath: '$.decision',
      Next: 'Done',
    },
    Done: { Type: 'Succeed' },
  },
};

/** SendTaskSuccess as soon as the resumed execution waits on the token again (fails after the deadline). */
/** An engine on `dataDir` (a process start), with its own manual clock. */
function engineOn(dataDir: string, integrations: ReturnType<typeof fakeIntegrations>) {
  return new StepFunctionsEngine({ dataDir, clock: new ManualClock(), integrations });
}

function answerOnceWaiting(engine: StepFunctionsEngine, token: string, output: unknown) {
  return waitUntil(() => {
    try {
      engine.sendTaskSuccess(token, JSON.stringify(output));
      return true;
    } catch {
      return false;
    }
  });
}

describe('persistence and resume', () => {
  const directories: string[] = [];
  const newDataDir = () => {
    const directory = mkdtempSync(join(tmpdir(), 'sfn-'));
    directories.push(directory);
    return directory;
  };

  afterAll(() => {
    for (const directory of directories) rmSync(directory, { recursive: true, force: true });
  });

  it('keeps a task token wait across a restart: the same token completes the execution', async () => {
    const dataDir = newDataDir();
    const integrationsA = fakeIntegrations();
    const engineA = engineOn(dataDir, integrationsA);
    const arn = start(engineA, APPROVAL, { upload: 'u1' });
    await waitUntil(() =>
      engineA.getExecutionHistory({ executionArn: arn }).events.some((e) => e.type === 'TaskSubmitted'),
    );
    const token = (integrationsA.invocations[0]?.payload as { token: string } | undefined)?.token as string;
    await engineA.close();

    const integrationsB = fakeIntegrations();
    const engineB = engineOn(dataDir, integrationsB);
    const resumed = engineB.resume();
    engineB.sendTaskSuccess(token, JSON.stringify({ approved: true }));
    const result = await engineB.waitForExecution(arn);

    expect(readdirSync(join(dataDir, 'executions')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(resumed).toBe(1);
    expect(integrationsB.invocations).toEqual([]);
    expect(result.status).toBe('SUCCEEDED');
    expect(JSON.parse(result.output ?? '')).toEqual({ upload: 'u1', decision: { approved: true } });
    const types = engineB.getExecutionHistory({ executionArn: arn }).events.map((e) => e.type);
    expect(types.filter((type) => type === 'TaskScheduled')).toHaveLength(1);
    await engineB.close();
  });

  it('keeps task token waits inside Map iterations across a restart, with finished iterations kept', async () => {
    const dataDir = newDataDir();
    const definition = {
      StartAt: 'Each',
      States: {
        Each: {
          Type: 'Map',
          ItemsPath: '$.photos',
          ItemProcessor: {
            StartAt: 'Review',
            States: {
              Review: {
                Type: 'Task',
                Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
                Parameters: {
                  FunctionName: 'AskReviewer',
                  Payload: { 'photo.$': '$', 'token.$': '$$.Task.Token' },
                },
                End: true,
              },
            },
          },
          End: true,
        },
      },
    };
    const integrationsA = fakeIntegrations();
    const engineA = engineOn(dataDir, integrationsA);
    const arn = start(engineA, definition, { photos: ['a', 'b'] });
    await waitUntil(() => integrationsA.invocations.length === 2);
    const tokenOf = (photo: string): string => {
      const call = integrationsA.invocations.find(
        (each) => (each.payload as { photo: string }).photo === photo,
      );
      return (call?.payload as { token: string } | undefined)?.token ?? '';
    };
    engineA.sendTaskSuccess(tokenOf('a'), JSON.stringify({ ok: 'a' }));
    await waitUntil(() =>
      engineA
        .getExecutionHistory({ executionArn: arn })
        .events.some((e) => e.type === 'MapIterationSucceeded'),
    );
    await engineA.close();

    const integrationsB = fakeIntegrations();
    const engineB = engineOn(dataDir, integrationsB);
    engineB.resume();
    await answerOnceWaiting(engineB, tokenOf('b'), { ok: 'b' });
    const result = await engineB.waitForExecution(arn);

    expect(integrationsB.invocations).toEqual([]);
    expect(result.status).toBe('SUCCEEDED');
    expect(JSON.parse(result.output ?? '')).toEqual([{ ok: 'a' }, { ok: 'b' }]);
    const types = engineB.getExecutionHistory({ executionArn: arn }).events.map((e) => e.type);
    expect(types.filter((type) => type === 'TaskScheduled')).toHaveLength(2);
    expect(types.filter((type) => type === 'MapStateStarted')).toHaveLength(1);
    await engineB.close();
  });

  it('keeps a task token wait inside a Parallel branch across a restart', async () => {
    const dataDir = newDataDir();
    const definition = {
      StartAt: 'Both',
      States: {
        Both: {
          Type: 'Parallel',
          Branches: [
            {
              StartAt: 'Approve',
              States: { Approve: { ...APPROVAL.States.Ask, Next: undefined, End: true } },
            },
            { StartAt: 'Note', States: { Note: { Type: 'Pass', Result: 'noted', End: true } } },
          ],
          End: true,
        },
      },
    };
    const integrationsA = fakeIntegrations();
    const engineA = engineOn(dataDir, integrationsA);
    const arn = start(engineA, definition, {});
    await waitUntil(() =>
      engineA.getExecutionHistory({ executionArn: arn }).events.some((e) => e.type === 'TaskSubmitted'),
    );
    const token = (integrationsA.invocations[0]?.payload as { token: string } | undefined)?.token ?? '';
    await engineA.close();

    const integrationsB = fakeIntegrations();
    const engineB = engineOn(dataDir, integrationsB);
    engineB.resume();
    await answerOnceWaiting(engineB, token, { approved: true });
    const result = await engineB.waitForExecution(arn);

    expect(integrationsB.invocations).toEqual([]);
    expect(result.status).toBe('SUCCEEDED');
    expect(JSON.parse(result.output ?? '')).toEqual([{ decision: { approved: true } }, 'noted']);
    await engineB.close();
  });

  it('fires a pending Wait state at its persisted time after a restart', async () => {
    const dataDir = newDataDir();
    const start0 = Date.parse('2024-01-01T00:00:00Z');
    const clockA = new ManualClock(start0);
    const engineA = new StepFunctionsEngine({ dataDir, clock: clockA });
    const arn = start(engineA, single({ Type: 'Wait', Seconds: 3600 }), { a: 1 });
    await waitUntil(() => clockA.pendingSleeps() > 0);
    await engineA.close();

    const clockB = new ManualClock(start0 + 600_000);
    const engineB = new StepFunctionsEngine({ dataDir, clock: clockB });
    engineB.resume();
    await waitUntil(() => clockB.pendingSleeps() > 0);
    const remaining = (clockB.pendingWakeTimes()[0] as number) - clockB.now();
    await clockB.advance(remaining);
    const result = await engineB.waitForExecution(arn);

    expect(remaining).toBe(3_000_000);
    expect(result.status).toBe('SUCCEEDED');
    expect(result.stopDate?.getTime()).toBe(start0 + 3_600_000);
    await engineB.close();
  });

  it('runs a task again when it was in flight at the restart, and resumes a retry back-off on time', async () => {
    const dataDir = newDataDir();
    const start0 = Date.parse('2024-01-01T00:00:00Z');
    const failing = fakeIntegrations({
      invokeFunction: async () => {
        const error = new Error('busy');
        error.name = 'Busy';
        throw error;
      },
    });
    const definition = single({
      Type: 'Task',
      Resource: 'arn:aws:lambda:eu-west-1:123456789012:function:Worker',
      Retry: [{ ErrorEquals: ['Busy'], IntervalSeconds: 100 }],
    });
    const clockA = new ManualClock(start0);
    const engineA = new StepFunctionsEngine({ dataDir, clock: clockA, integrations: failing });
    const arn = start(engineA, definition, { n: 1 });
    await waitUntil(() => clockA.pendingSleeps() > 0);
    await engineA.close();

    const clockB = new ManualClock(start0 + 40_000);
    const working = fakeIntegrations();
    const engineB = new StepFunctionsEngine({ dataDir, clock: clockB, integrations: working });
    engineB.resume();
    await waitUntil(() => clockB.pendingSleeps() > 0);
    const remaining = (clockB.pendingWakeTimes()[0] as number) - clockB.now();
    await clockB.advance(remaining);
    const result = await engineB.waitForExecution(arn);

    expect(remaining).toBe(60_000);
    expect(working.invocations).toEqual([{ name: expect.stringContaining('Worker'), payload: { n: 1 } }]);
    expect(result.status).toBe('SUCCEEDED');
    await engineB.close();
  });

  it('keeps finished executions and their history after a restart', async () => {
    const dataDir = newDataDir();
    const engineA = new StepFunctionsEngine({ dataDir, clock: new ManualClock() });
    const arn = start(engineA, single({ Type: 'Pass' }), { kept: true });
    await engineA.waitForExecution(arn);
    await engineA.close();

    const engineB = new StepFunctionsEngine({ dataDir, clock: new ManualClock() });
    engineB.registerStateMachine({
      arn: STATE_MACHINE_ARN,
      name: 'Test',
      definition: single({ Type: 'Pass' }),
    });

    expect(engineB.describeExecution(arn)).toMatchObject({ status: 'SUCCEEDED', output: '{"kept":true}' });
    expect(engineB.getExecutionHistory({ executionArn: arn }).events).toHaveLength(4);
    expect(engineB.listExecutions({ stateMachineArn: STATE_MACHINE_ARN }).executions).toHaveLength(1);
    await engineB.close();
  });
});
