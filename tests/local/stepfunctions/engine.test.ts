import { ManualClock } from '../../../local/stepfunctions/clock';
import { StepFunctionsEngine } from '../../../local/stepfunctions/engine';
import { newEngine, STATE_MACHINE_ARN, single, start, waitUntil } from './helpers';

const WAIT_A_DAY = single({ Type: 'Wait', Seconds: 86_400 });

function codeOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
}

describe('definition validation', () => {
  const engine = new StepFunctionsEngine({ clock: new ManualClock() });
  const register = (definition: unknown) =>
    engine.registerStateMachine({ arn: STATE_MACHINE_ARN, name: 'Test', definition: definition as object });

  it('refuses JSONata at the top level or on a state, loudly', () => {
    expect(() =>
      register({ QueryLanguage: 'JSONata', StartAt: 'A', States: { A: { Type: 'Succeed' } } }),
    ).toThrow(/JSONata/);
    expect(() =>
      register({ StartAt: 'A', States: { A: { Type: 'Succeed', QueryLanguage: 'JSONata' } } }),
    ).toThrow(/JSONata" is not supported/);
  });

  it.each([
    ['a missing StartAt state', { StartAt: 'Nope', States: { A: { Type: 'Succeed' } } }, /StartAt/],
    ['a missing Next target', { StartAt: 'A', States: { A: { Type: 'Pass', Next: 'B' } } }, /Next "B"/],
    ['a state with neither Next nor End', { StartAt: 'A', States: { A: { Type: 'Pass' } } }, /Next or "End"/],
    [
      'a missing Default target',
      {
        StartAt: 'A',
        States: {
          A: { Type: 'Choice', Choices: [{ Variable: '$.x', IsPresent: true, Next: 'A' }], Default: 'Z' },
        },
      },
      /Default "Z"/,
    ],
    [
      'a missing Catch target',
      {
        StartAt: 'A',
        States: {
          A: {
            Type: 'Task',
            Resource: 'arn:aws:states:::sns:publish',
            End: true,
            Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Z' }],
          },
        },
      },
      /Catch\[0\]: Next "Z"/,
    ],
    [
      'States.ALL that is not last',
      {
        StartAt: 'A',
        States: {
          A: {
            Type: 'Task',
            Resource: 'arn:aws:states:::sns:publish',
            End: true,
            Retry: [{ ErrorEquals: ['States.ALL'] }, { ErrorEquals: ['X'] }],
          },
        },
      },
      /States.ALL must appear alone/,
    ],
    [
      'an unknown field',
      { StartAt: 'A', States: { A: { Type: 'Pass', End: true, Nxt: 'B' } } },
      /"Nxt" is not allowed/,
    ],
    [
      'an unreachable state',
      { StartAt: 'A', States: { A: { Type: 'Succeed' }, B: { Type: 'Succeed' } } },
      /not reachable/,
    ],
    [
      'a bad intrinsic',
      { StartAt: 'A', States: { A: { Type: 'Pass', End: true, Parameters: { 'x.$': 'States.Nope()' } } } },
      /unknown function/,
    ],
    [
      'an unsupported .sync pattern',
      {
        StartAt: 'A',
        States: { A: { Type: 'Task', Resource: 'arn:aws:states:::states:startExecution.sync', End: true } },
      },
      /sync/,
    ],
    [
      'two Wait durations',
      {
        StartAt: 'A',
        States: { A: { Type: 'Wait', Seconds: 1, Timestamp: '2024-01-01T00:00:00Z', End: true } },
      },
      /exactly one/,
    ],
  ])('refuses %s with InvalidDefinition', (_label, definition, message) => {
    expect(() => register(definition)).toThrow(message);
    expect(codeOf(() => register(definition))).toBe('InvalidDefinition');
  });
});

describe('StepFunctionsEngine executions', () => {
  it('names executions with a UUID by default and validates given names', async () => {
    const { engine } = newEngine();
    const arn = start(engine, single({ Type: 'Pass' }));

    expect(arn).toMatch(/^arn:aws:states:eu-west-1:123456789012:execution:Test:[0-9a-f-]{36}$/);
    expect(
      codeOf(() => engine.startExecution({ stateMachineArn: STATE_MACHINE_ARN, name: 'has space' })),
    ).toBe('InvalidName');
    expect(
      codeOf(() => engine.startExecution({ stateMachineArn: STATE_MACHINE_ARN, name: 'x'.repeat(81) })),
    ).toBe('InvalidName');
    expect(codeOf(() => engine.startExecution({ stateMachineArn: STATE_MACHINE_ARN, input: '{oops' }))).toBe(
      'InvalidExecutionInput',
    );
    expect(codeOf(() => engine.startExecution({ stateMachineArn: `${STATE_MACHINE_ARN}X` }))).toBe(
      'StateMachineDoesNotExist',
    );
    await engine.close();
  });

  it('returns the running execution for the same name and input, and refuses a different input', async () => {
    const { engine } = newEngine();
    const first = start(engine, WAIT_A_DAY, { a: 1 }, 'upload-1');

    const again = engine.startExecution({
      stateMachineArn: STATE_MACHINE_ARN,
      name: 'upload-1',
      input: '{"a":1}',
    });
    const conflict = codeOf(() =>
      engine.startExecution({ stateMachineArn: STATE_MACHINE_ARN, name: 'upload-1', input: '{"a":2}' }),
    );

    expect(again.executionArn).toBe(first);
    expect(conflict).toBe('ExecutionAlreadyExists');
    await engine.close();
  });

  it('stops an execution: ABORTED with an ExecutionAborted event', async () => {
    const { engine, clock } = newEngine();
    const arn = start(engine, WAIT_A_DAY);
    await waitUntil(() => clock.pendingSleeps() > 0);

    engine.stopExecution({ executionArn: arn, error: 'Manual', cause: 'operator' });
    const result = await engine.waitForExecution(arn);

    expect(result).toMatchObject({ status: 'ABORTED', error: 'Manual', cause: 'operator' });
    expect(result.stopDate).toBeInstanceOf(Date);
    expect(engine.getExecutionHistory({ executionArn: arn, reverseOrder: true }).events[0]).toMatchObject({
      type: 'ExecutionAborted',
      executionAbortedEventDetails: { error: 'Manual', cause: 'operator' },
    });
    expect(clock.pendingSleeps()).toBe(0);
    await engine.close();
  });

  it('times the whole execution out after the top-level TimeoutSeconds (7 days)', async () => {
    const { engine, clock } = newEngine();
    const arn = start(engine, { TimeoutSeconds: 604_800, ...single({ Type: 'Wait', Seconds: 30 * 86_400 }) });
    await waitUntil(() => clock.pendingSleeps() >= 2);

    await clock.advance(604_800_000);
    const result = await engine.waitForExecution(arn);

    expect(result.status).toBe('TIMED_OUT');
    expect(result.stopDate?.getTime()).toBe(result.startDate.getTime() + 604_800_000);
    expect(engine.getExecutionHistory({ executionArn: arn, reverseOrder: true }).events[0]?.type).toBe(
      'ExecutionTimedOut',
    );
    await engine.close();
  });

  it('lists executions newest first, filtered by status, page by page', async () => {
    const { engine, clock } = newEngine();
    const done = start(engine, single({ Type: 'Pass' }), {}, 'first');
    await engine.waitForExecution(done);
    await clock.advance(1000);
    start(engine, WAIT_A_DAY, {}, 'second');
    await clock.advance(1000);
    start(engine, WAIT_A_DAY, {}, 'third');

    const running = engine.listExecutions({ stateMachineArn: STATE_MACHINE_ARN, statusFilter: 'RUNNING' });
    const page1 = engine.listExecutions({ stateMachineArn: STATE_MACHINE_ARN, maxResults: 2 });
    const page2 = engine.listExecutions({
      stateMachineArn: STATE_MACHINE_ARN,
      maxResults: 2,
      nextToken: page1.nextToken,
    });

    expect(running.executions.map((e) => e.name)).toEqual(['third', 'second']);
    expect(page1.executions.map((e) => e.name)).toEqual(['third', 'second']);
    expect(page2.executions.map((e) => e.name)).toEqual(['first']);
    expect(page2.nextToken).toBeUndefined();
    await engine.close();
  });

  it('numbers history events and links each to the previous one', async () => {
    const { engine } = newEngine();
    const arn = start(
      engine,
      { StartAt: 'A', States: { A: { Type: 'Pass', Next: 'B' }, B: { Type: 'Succeed' } } },
      { x: 1 },
    );
    await engine.waitForExecution(arn);

    const { events } = engine.getExecutionHistory({ executionArn: arn });

    expect(events.map((e) => [e.id, e.previousEventId, e.type])).toEqual([
      [1, 0, 'ExecutionStarted'],
      [2, 1, 'PassStateEntered'],
      [3, 2, 'PassStateExited'],
      [4, 3, 'SucceedStateEntered'],
      [5, 4, 'SucceedStateExited'],
      [6, 5, 'ExecutionSucceeded'],
    ]);
    expect(events[1]).toMatchObject({ stateEnteredEventDetails: { name: 'A', input: '{"x":1}' } });
    expect(events[0]?.timestamp).toBeInstanceOf(Date);
    await engine.close();
  });

  it('tells the onEvent listener about every event', async () => {
    const seen: string[] = [];
    const { engine } = newEngine({
      onEvent: (notice) => seen.push(`${notice.executionName} ${notice.event.type}`),
    });
    const arn = start(engine, single({ Type: 'Pass' }), {}, 'listened');
    await engine.waitForExecution(arn);

    expect(seen).toEqual([
      'listened ExecutionStarted',
      'listened PassStateEntered',
      'listened PassStateExited',
      'listened ExecutionSucceeded',
    ]);
    await engine.close();
  });

  it('reports unknown executions as ExecutionDoesNotExist and malformed ARNs as InvalidArn', () => {
    const { engine } = newEngine();

    expect(
      codeOf(() => engine.describeExecution('arn:aws:states:eu-west-1:123456789012:execution:Test:none')),
    ).toBe('ExecutionDoesNotExist');
    expect(codeOf(() => engine.describeExecution('not-an-arn'))).toBe('InvalidArn');
  });
});
