import { fakeIntegrations, newEngine, run, single, start, waitUntil } from './helpers';

const LAMBDA = 'arn:aws:lambda:eu-west-1:123456789012:function:Worker';

describe('Pass, Wait, Succeed and Fail states', () => {
  it('Pass returns its Result at ResultPath, or its input', async () => {
    expect(
      (await run(single({ Type: 'Pass', Result: { x: 1 }, ResultPath: '$.r' }), { a: 1 })).outputValue,
    ).toEqual({
      a: 1,
      r: { x: 1 },
    });
    expect((await run(single({ Type: 'Pass' }), { a: 1 })).outputValue).toEqual({ a: 1 });
  });

  it('Fail ends the execution with its Error and Cause', async () => {
    const result = await run({
      StartAt: 'Stop',
      States: { Stop: { Type: 'Fail', Error: 'Rejected', Cause: 'Too blurry' } },
    });

    expect(result).toMatchObject({ status: 'FAILED', error: 'Rejected', cause: 'Too blurry' });
    expect(result.history.at(-1)).toMatchObject({
      type: 'ExecutionFailed',
      executionFailedEventDetails: { error: 'Rejected', cause: 'Too blurry' },
    });
  });

  it('Fail takes ErrorPath and CausePath from the input, including intrinsic functions', async () => {
    const result = await run(
      {
        StartAt: 'Stop',
        States: {
          Stop: { Type: 'Fail', ErrorPath: '$.code', CausePath: "States.Format('photo {} rejected', $.id)" },
        },
      },
      { code: 'Moderated', id: 7 },
    );

    expect(result).toMatchObject({ error: 'Moderated', cause: 'photo 7 rejected' });
  });

  it('Succeed stops with its OutputPath selection', async () => {
    const result = await run(
      { StartAt: 'Done', States: { Done: { Type: 'Succeed', OutputPath: '$.keep' } } },
      { keep: 1, drop: 2 },
    );

    expect(result.outputValue).toBe(1);
  });

  it.each([
    [{ Seconds: 30 }, {}, 30_000],
    [{ SecondsPath: '$.delay' }, { delay: 45 }, 45_000],
    [{ Timestamp: '2024-01-01T00:10:00Z' }, {}, 600_000],
    [{ TimestampPath: '$.until' }, { until: '2024-01-01T01:00:00Z' }, 3_600_000],
  ])('Wait %j sleeps until the right time', async (fields, input, expectedMs) => {
    const { engine, clock } = newEngine();
    const arn = start(engine, single({ Type: 'Wait', ...fields }), input);

    await waitUntil(() => clock.pendingSleeps() > 0);
    const waitMs = (clock.pendingWakeTimes()[0] as number) - clock.now();
    await clock.advance(expectedMs - 1);
    const stillRunning = engine.describeExecution(arn).status;
    await clock.advance(1);
    const result = await engine.waitForExecution(arn);

    expect(waitMs).toBe(expectedMs);
    expect(stillRunning).toBe('RUNNING');
    expect(result.status).toBe('SUCCEEDED');
    await engine.close();
  });

  it('Wait with a timestamp in the past continues at once', async () => {
    const result = await run(single({ Type: 'Wait', Timestamp: '2000-01-01T00:00:00Z' }), { a: 1 });

    expect(result.outputValue).toEqual({ a: 1 });
  });

  it('Wait fails with States.Runtime when SecondsPath does not select a non-negative integer', async () => {
    const result = await run(single({ Type: 'Wait', SecondsPath: '$.delay' }), { delay: 'soon' });

    expect(result.error).toBe('States.Runtime');
  });
});

describe('Parallel state', () => {
  it('outputs an array with one element per branch, in branch order', async () => {
    const result = await run(
      single({
        Type: 'Parallel',
        Branches: [
          { StartAt: 'A', States: { A: { Type: 'Pass', Parameters: { 'first.$': '$.x' }, End: true } } },
          { StartAt: 'B', States: { B: { Type: 'Pass', Result: 'second', End: true } } },
        ],
        ResultPath: '$.results',
      }),
      { x: 1 },
    );

    expect(result.outputValue).toEqual({ x: 1, results: [{ first: 1 }, 'second'] });
    expect(result.history.map((event) => event.type)).toEqual(
      expect.arrayContaining([
        'ParallelStateEntered',
        'ParallelStateStarted',
        'ParallelStateSucceeded',
        'ParallelStateExited',
      ]),
    );
  });

  it('fails as a whole when one branch fails, stopping the others, and can catch that error', async () => {
    const { engine, clock } = newEngine();
    const arn = start(engine, {
      StartAt: 'Both',
      States: {
        Both: {
          Type: 'Parallel',
          Branches: [
            { StartAt: 'Slow', States: { Slow: { Type: 'Wait', Seconds: 3600, End: true } } },
            { StartAt: 'Broken', States: { Broken: { Type: 'Fail', Error: 'BranchError', Cause: 'boom' } } },
          ],
          Catch: [{ ErrorEquals: ['BranchError'], Next: 'Handled' }],
          End: true,
        },
        Handled: { Type: 'Pass', End: true },
      },
    });

    const result = await engine.waitForExecution(arn);

    expect(result.status).toBe('SUCCEEDED');
    expect(JSON.parse(result.output ?? '')).toEqual({ Error: 'BranchError', Cause: 'boom' });
    expect(clock.pendingSleeps()).toBe(0);
    const types = engine.getExecutionHistory({ executionArn: arn }).events.map((event) => event.type);
    expect(types).toContain('ParallelStateFailed');
    await engine.close();
  });

  it('fails the execution with the branch error when nothing catches it', async () => {
    const result = await run(
      single({
        Type: 'Parallel',
        Branches: [{ StartAt: 'Broken', States: { Broken: { Type: 'Fail', Error: 'BranchError' } } }],
      }),
    );

    expect(result).toMatchObject({ status: 'FAILED', error: 'BranchError' });
  });
});

describe('Map state', () => {
  it('runs the processor for each item selected by ItemsPath, with ItemSelector and the Map context', async () => {
    const result = await run(
      single({
        Type: 'Map',
        ItemsPath: '$.photos',
        ItemSelector: {
          'index.$': '$$.Map.Item.Index',
          'photo.$': '$$.Map.Item.Value',
          'album.$': '$.album',
        },
        ItemProcessor: {
          ProcessorConfig: { Mode: 'INLINE' },
          StartAt: 'Tag',
          States: {
            Tag: {
              Type: 'Pass',
              Parameters: { 'tag.$': "States.Format('{}/{}', $.album, $.photo)", 'i.$': '$.index' },
              End: true,
            },
          },
        },
        ResultPath: '$.tags',
      }),
      { album: 'trip', photos: ['a.jpg', 'b.jpg'] },
    );

    expect(result.outputValue).toEqual({
      album: 'trip',
      photos: ['a.jpg', 'b.jpg'],
      tags: [
        { tag: 'trip/a.jpg', i: 0 },
        { tag: 'trip/b.jpg', i: 1 },
      ],
    });
    expect(result.history.find((event) => event.type === 'MapStateStarted')).toMatchObject({
      mapStateStartedEventDetails: { length: 2 },
    });
  });

  it('accepts the legacy Iterator and Parameters fields', async () => {
    const result = await run(
      single({
        Type: 'Map',
        Parameters: { 'n.$': '$$.Map.Item.Value' },
        Iterator: { StartAt: 'Echo', States: { Echo: { Type: 'Pass', End: true } } },
      }),
      [1, 2, 3],
    );

    expect(result.outputValue).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
  });

  it('never runs more than MaxConcurrency iterations at once', async () => {
    let running = 0;
    let peak = 0;
    const integrations = fakeIntegrations({
      invokeFunction: async (_name, payload) => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((resolve) => setImmediate(resolve));
        running--;
        return payload;
      },
    });

    const result = await run(
      single({
        Type: 'Map',
        MaxConcurrency: 2,
        ItemProcessor: { StartAt: 'Work', States: { Work: { Type: 'Task', Resource: LAMBDA, End: true } } },
      }),
      [1, 2, 3, 4, 5, 6],
      { integrations },
    );

    expect(result.outputValue).toEqual([1, 2, 3, 4, 5, 6]);
    expect(peak).toBe(2);
  });

  it('fails when an iteration fails, with the iteration error', async () => {
    const result = await run(
      single({
        Type: 'Map',
        ItemProcessor: {
          StartAt: 'Check',
          States: {
            Check: {
              Type: 'Choice',
              Choices: [{ Variable: '$', NumericEquals: 2, Next: 'Bad' }],
              Default: 'Good',
            },
            Bad: { Type: 'Fail', Error: 'BadItem' },
            Good: { Type: 'Succeed' },
          },
        },
      }),
      [1, 2, 3],
    );

    expect(result).toMatchObject({ status: 'FAILED', error: 'BadItem' });
    expect(result.history.map((event) => event.type)).toEqual(
      expect.arrayContaining(['MapIterationFailed', 'MapStateFailed']),
    );
  });

  it('fails with States.Runtime when ItemsPath does not select an array', async () => {
    const result = await run(
      single({
        Type: 'Map',
        ItemsPath: '$.items',
        ItemProcessor: { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } },
      }),
      { items: 'nope' },
    );

    expect(result.error).toBe('States.Runtime');
  });
});
