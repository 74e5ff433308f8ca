import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../../local/stepfunctions/clock';
import { StepFunctionsEngine } from '../../../local/stepfunctions/engine';
import { fakeIntegrations, newEngine, run, STATE_MACHINE_ARN, single, start, waitUntil } from './helpers';

/**
 * Conformance with the Amazon States Language specification (https://states-language.net/spec.html)
 * and the AWS Step Functions developer guide ("Handling errors", "Choice workflow state"), for the
 * items of issue #14. Each group quotes the sentence it checks; "paraphrase" marks a rule that is
 * stated in other words here.
 */

const LAMBDA = 'arn:aws:lambda:eu-west-1:123456789012:function:Worker';

function named(name: string, message = 'failed'): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

function choiceOn(rule: object) {
  return {
    StartAt: 'Pick',
    States: {
      Pick: { Type: 'Choice', Choices: [{ ...rule, Next: 'Matched' }], Default: 'Unmatched' },
      Matched: { Type: 'Pass', Result: 'matched', End: true },
      Unmatched: { Type: 'Pass', Result: 'unmatched', End: true },
    },
  };
}

describe('item 7: Choice type tests on a Variable that matches nothing', () => {
  // Spec, Choice Rules (paraphrase): a data-test expression compares the value the Variable selects;
  // IsPresent is the one test about whether the path selects anything at all. The other type tests
  // (IsNull, IsNumeric, IsString, IsBoolean, IsTimestamp) need a value, so a Variable that selects
  // nothing is, as for every other comparison, States.Runtime: "An execution failed due to some
  // exception that it could not process." (developer guide, Error names).
  it.each(['IsNull', 'IsNumeric', 'IsString', 'IsBoolean', 'IsTimestamp'])(
    'fails with States.Runtime when %s tests a Variable path that matches nothing',
    async (test) => {
      const asFalse = await run(choiceOn({ Variable: '$.missing', [test]: false }), { other: 1 });
      const asTrue = await run(choiceOn({ Variable: '$.missing', [test]: true }), { other: 1 });

      expect([asFalse.status, asFalse.error]).toEqual(['FAILED', 'States.Runtime']);
      expect([asTrue.status, asTrue.error]).toEqual(['FAILED', 'States.Runtime']);
    },
  );

  it('answers false, not an error, when IsPresent tests a Variable path that matches nothing', async () => {
    const result = await run(choiceOn({ Variable: '$.missing', IsPresent: false }), { other: 1 });

    expect(result.outputValue).toBe('matched');
  });
});

describe('item 8: a ResultSelector path that matches nothing', () => {
  // Spec, Appendix A: "States.ParameterPathFailure: Within a state's "Parameters" field, the attempt to
  // replace a field whose name ends in ".$" using a Path failed." ResultSelector is a Payload Template
  // like Parameters (paraphrase of the spec's "Payload Template" section), so the same catchable error
  // applies; States.Runtime would end the execution past any Catch.
  it('fails the Task with States.ParameterPathFailure, which a Catch handles', async () => {
    const integrations = fakeIntegrations({ invokeFunction: async () => ({ width: 10 }) });
    const definition = {
      StartAt: 'Work',
      States: {
        Work: {
          Type: 'Task',
          Resource: LAMBDA,
          ResultSelector: { 'height.$': '$.height' },
          Catch: [{ ErrorEquals: ['States.ParameterPathFailure'], Next: 'Caught' }],
          End: true,
        },
        Caught: { Type: 'Pass', End: true },
      },
    };

    const result = await run(definition, {}, { integrations });

    expect(result.status).toBe('SUCCEEDED');
    expect(result.outputValue).toEqual({
      Error: 'States.ParameterPathFailure',
      Cause: expect.stringContaining("'$.height'"),
    });
  });
});

describe('item 9: heartbeats and timeouts', () => {
  // Developer guide, Error names: "States.Timeout: A Task state either ran longer than the
  // TimeoutSeconds value, or failed to send a heartbeat for a period longer than the
  // HeartbeatSeconds value." Spec, Appendix A: "States.HeartbeatTimeout: A Task State failed to
  // heartbeat for a time longer than the "HeartbeatSeconds" value." So a missed heartbeat is reported
  // as States.HeartbeatTimeout and is matched by States.Timeout.
  const CALLBACK = {
    Type: 'Task',
    Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
    Parameters: { FunctionName: LAMBDA, Payload: { 'token.$': '$$.Task.Token' } },
    HeartbeatSeconds: 60,
    TimeoutSeconds: 3600,
  };

  it('lets a Catch on States.Timeout handle a missed heartbeat, reporting States.HeartbeatTimeout', async () => {
    const integrations = fakeIntegrations();
    const { engine, clock } = newEngine({ integrations });
    const arn = start(engine, {
      StartAt: 'Wait for approval',
      States: {
        'Wait for approval': {
          ...CALLBACK,
          Catch: [{ ErrorEquals: ['States.Timeout'], Next: 'Timed out' }],
          End: true,
        },
        'Timed out': { Type: 'Pass', End: true },
      },
    });
    await waitUntil(() => integrations.invocations.length === 1 && clock.pendingSleeps() >= 2);

    await clock.advance(60_001);
    const result = await engine.waitForExecution(arn);

    expect(result.status).toBe('SUCCEEDED');
    expect(JSON.parse(result.output as string)).toEqual({
      Error: 'States.HeartbeatTimeout',
      Cause: expect.stringContaining('60'),
    });
    await engine.close();
  });

  it('retries a missed heartbeat with a Retry on States.Timeout', async () => {
    const integrations = fakeIntegrations();
    const { engine, clock } = newEngine({ integrations });
    const arn = start(
      engine,
      single({
        ...CALLBACK,
        Retry: [{ ErrorEquals: ['States.Timeout'], MaxAttempts: 1, IntervalSeconds: 1 }],
      }),
    );
    await waitUntil(() => integrations.invocations.length === 1 && clock.pendingSleeps() >= 2);

    await clock.advance(60_001);
    await waitUntil(() => clock.pendingSleeps() === 1 && integrations.invocations.length === 1);
    await clock.advance(1_000);
    await waitUntil(() => integrations.invocations.length === 2);

    expect(engine.describeExecution(arn).status).toBe('RUNNING');
    await engine.close();
  });

  it('does not let States.TaskFailed match a missed heartbeat, as it does not match States.Timeout', async () => {
    // Developer guide: "States.TaskFailed: A Task state failed during the execution. When used in a
    // retry or catch, States.TaskFailed acts as a wildcard that matches any known error name except for
    // States.Timeout." A missed heartbeat is a States.Timeout (above).
    const integrations = fakeIntegrations();
    const { engine, clock } = newEngine({ integrations });
    const arn = start(engine, {
      StartAt: 'Wait for approval',
      States: {
        'Wait for approval': {
          ...CALLBACK,
          Catch: [{ ErrorEquals: ['States.TaskFailed'], Next: 'Caught' }],
          End: true,
        },
        Caught: { Type: 'Pass', End: true },
      },
    });
    await waitUntil(() => integrations.invocations.length === 1 && clock.pendingSleeps() >= 2);

    await clock.advance(60_001);
    const result = await engine.waitForExecution(arn);

    expect([result.status, result.error]).toEqual(['FAILED', 'States.HeartbeatTimeout']);
    await engine.close();
  });

  it('applies HeartbeatSeconds to a plain Lambda task, which has no token to heartbeat with', async () => {
    // Spec, Task State (paraphrase): HeartbeatSeconds is a field of every Task state, and when more
    // time than HeartbeatSeconds passes between heartbeats from the task, the state fails with a
    // timeout. A task with no token can send no heartbeat, so it must finish within HeartbeatSeconds
    // (as a Lambda task with HeartbeatSeconds does on AWS).
    const integrations = fakeIntegrations({ invokeFunction: () => new Promise(() => undefined) });
    const { engine, clock } = newEngine({ integrations });
    const arn = start(engine, single({ Type: 'Task', Resource: LAMBDA, HeartbeatSeconds: 30 }));
    await waitUntil(() => integrations.invocations.length === 1 && clock.pendingSleeps() >= 1);

    await clock.advance(30_001);
    const result = await engine.waitForExecution(arn);

    expect([result.status, result.error]).toEqual(['FAILED', 'States.HeartbeatTimeout']);
    expect(result.cause).toContain('30');
    await engine.close();
  });
});

describe('item 10: StringMatches with an open escape', () => {
  // Spec, Choice Rules (paraphrase): StringMatches takes a pattern in which "*" is the only wildcard and
  // a backslash escapes "*" or "\" to match it literally. A pattern that ends inside an escape has no
  // meaning, so evaluating it is a run-time error (States.Runtime), not a silent literal backslash.
  it('fails with States.Runtime when the pattern ends with a lone backslash', async () => {
    const result = await run(choiceOn({ Variable: '$.name', StringMatches: 'photo\\' }), {
      name: 'photo\\',
    });

    expect([result.status, result.error]).toEqual(['FAILED', 'States.Runtime']);
  });

  it('still matches an escaped backslash at the end of the pattern', async () => {
    const result = await run(choiceOn({ Variable: '$.name', StringMatches: 'photo\\\\' }), {
      name: 'photo\\',
    });

    expect(result.outputValue).toBe('matched');
  });
});

describe('item 11: CreateStateMachine refuses what the specification forbids', () => {
  const engine = new StepFunctionsEngine({ clock: new ManualClock() });
  const register = (definition: object) =>
    engine.registerStateMachine({ arn: STATE_MACHINE_ARN, name: 'Test', definition });
  const ITEMS = { StartAt: 'Each', States: { Each: { Type: 'Pass', End: true } } };

  it.each([
    [
      // Spec, Payload Template: a field whose name ends in ".$" "is renamed to strip the ".$" suffix";
      // (paraphrase) a template in which that renaming makes two fields of the same name is invalid,
      // and AWS refuses it at CreateStateMachine.
      'a Payload Template with duplicate field names after ".$" renaming',
      single({ Type: 'Pass', Parameters: { x: 1, 'x.$': '$.a' } }),
      /duplicate field "x"/,
    ],
    [
      // Spec, Map State (paraphrase): the value of "ItemsPath" is a Reference Path, which selects a
      // single node (no "..", "*", filters, slices or unions).
      'a Map ItemsPath that is not a Reference Path',
      single({ Type: 'Map', ItemsPath: '$..items', ItemProcessor: ITEMS }),
      /ItemsPath "\$\.\.items" is not a valid reference path/,
    ],
    [
      // Spec, Task State (paraphrase): TimeoutSecondsPath and HeartbeatSecondsPath are Reference Paths
      // that select a positive integer; so are the other *Path fields listed below.
      'a TimeoutSecondsPath that is not a Reference Path',
      single({ Type: 'Task', Resource: LAMBDA, TimeoutSecondsPath: '$.a[*]' }),
      /TimeoutSecondsPath "\$\.a\[\*\]" is not a valid reference path/,
    ],
    [
      'a HeartbeatSecondsPath, MaxConcurrencyPath or Wait SecondsPath that is not a Reference Path',
      {
        StartAt: 'A',
        States: {
          A: { Type: 'Task', Resource: LAMBDA, HeartbeatSecondsPath: '$..h', Next: 'B' },
          B: { Type: 'Map', MaxConcurrencyPath: '$.m[0:1]', ItemProcessor: ITEMS, Next: 'C' },
          C: { Type: 'Wait', SecondsPath: '$.s[?(@.x)]', End: true },
        },
      },
      /HeartbeatSecondsPath .*MaxConcurrencyPath .*SecondsPath/,
    ],
    [
      // Spec, Paths (paraphrase): a Path is a string beginning with "$" in JsonPath syntax; a ".$" field
      // holding one that does not parse is refused at registration, not discovered at run time.
      'an invalid JSONPath in a ".$" field',
      single({ Type: 'Pass', Parameters: { 'x.$': '$.a[?(' } }),
      /"x\.\$", "\$\.a\[\?\(", is not a valid JSONPath/,
    ],
    [
      // Spec, States: "State names MUST be unique within the scope of the whole state machine."
      'a state name repeated inside a Parallel branch',
      {
        StartAt: 'Work',
        States: {
          Work: {
            Type: 'Parallel',
            Branches: [{ StartAt: 'Work', States: { Work: { Type: 'Pass', End: true } } }],
            End: true,
          },
        },
      },
      /state name "Work" is used more than once/,
    ],
    [
      'a state name repeated inside a Map item processor',
      {
        StartAt: 'Each',
        States: { Each: { Type: 'Map', ItemProcessor: ITEMS, Next: 'Done' }, Done: { Type: 'Succeed' } },
      },
      /state name "Each" is used more than once/,
    ],
    [
      // AWS's own validation refuses any field a Retrier, Catcher, state, branch or item processor does
      // not define (CreateStateMachine answers InvalidDefinition with SCHEMA_VALIDATION_FAILED).
      'an unknown field in a Retrier',
      single({ Type: 'Task', Resource: LAMBDA, Retry: [{ ErrorEquals: ['X'], MaxAttempt: 2 }] }),
      /Retry\[0\]: field "MaxAttempt" is not allowed in a Retrier/,
    ],
    [
      'an unknown field in a Catcher',
      {
        StartAt: 'A',
        States: {
          A: {
            Type: 'Task',
            Resource: LAMBDA,
            Catch: [{ ErrorEquals: ['X'], Next: 'B', Nxt: 'B' }],
            End: true,
          },
          B: { Type: 'Succeed' },
        },
      },
      /Catch\[0\]: field "Nxt" is not allowed in a Catcher/,
    ],
    [
      'an unknown field in a Map ItemProcessor',
      single({ Type: 'Map', ItemProcessor: { ...ITEMS, Mode: 'INLINE' } }),
      /field "Mode" is not allowed in an ItemProcessor/,
    ],
    [
      'an unknown field in a Parallel branch',
      single({ Type: 'Parallel', Branches: [{ ...ITEMS, TimeoutSeconds: 5 }] }),
      /field "TimeoutSeconds" is not allowed in a branch/,
    ],
    [
      // Developer guide, Fail state (paraphrase): ErrorPath and CausePath are reference paths that select
      // a string, or intrinsic functions that return one.
      'a Fail CausePath that is neither a Reference Path nor an intrinsic function',
      { StartAt: 'A', States: { A: { Type: 'Fail', Error: 'Failed', CausePath: '$.causes[*]' } } },
      /CausePath "\$\.causes\[\*\]" is not a valid reference path/,
    ],
    [
      // Spec, Timestamps: "These are strings which MUST conform to the RFC3339 profile of ISO 8601, with
      // the further restrictions that an uppercase "T" character MUST be used to separate date and time,
      // and an uppercase "Z" character MUST be present in the absence of a numeric time zone offset".
      'a Wait Timestamp or a Choice Timestamp comparison that is not an RFC 3339 timestamp',
      {
        StartAt: 'A',
        States: {
          A: { Type: 'Wait', Timestamp: '2026-12-06 10:00:00', Next: 'B' },
          B: {
            Type: 'Choice',
            Choices: [{ Variable: '$.at', TimestampLessThan: '2026-12-06t10:00:00z', Next: 'C' }],
            Default: 'C',
          },
          C: { Type: 'Succeed' },
        },
      },
      /Timestamp "2026-12-06 10:00:00" is not an RFC 3339 timestamp.*TimestampLessThan "2026-12-06t10:00:00z" is not/,
    ],
    [
      // AWS checks an intrinsic function's argument count when the state machine is created, as
      // asl-validator does; the local engine used to find out only when the state ran.
      'an intrinsic function called with the wrong number of arguments',
      single({ Type: 'Pass', Parameters: { 'id.$': 'States.UUID($.seed)' } }),
      /States\.UUID takes 0 argument\(s\), not 1/,
    ],
  ])('refuses %s with InvalidDefinition', (_label, definition, message) => {
    let error: { code?: string; message?: string } | undefined;
    try {
      register(definition);
    } catch (caught) {
      error = caught as { code?: string; message?: string };
    }

    expect(error?.code).toBe('InvalidDefinition');
    expect(error?.message).toMatch(message);
  });
});

describe('item 12: tolerated failures of a Map', () => {
  // Developer guide, Error names: "States.ExceedToleratedFailureThreshold: A Map state failed because
  // the number of failed items exceeded the threshold specified in the state machine definition."
  // (paraphrase) The threshold is ToleratedFailureCount (a count of items) or
  // ToleratedFailurePercentage (a share of all items); the Map fails when either is exceeded.
  const failOdd = () =>
    fakeIntegrations({
      invokeFunction: async (_name, payload) => {
        if ((payload as number) % 2 === 1) throw named('OddError', `odd ${payload}`);
        return payload;
      },
    });
  const mapOf = (tolerance: object) =>
    single({
      Type: 'Map',
      ...tolerance,
      ItemProcessor: { StartAt: 'Work', States: { Work: { Type: 'Task', Resource: LAMBDA, End: true } } },
    });

  it('succeeds within ToleratedFailureCount, with each failed item as its Error and Cause', async () => {
    const result = await run(mapOf({ ToleratedFailureCount: 2 }), [0, 1, 2, 3], { integrations: failOdd() });

    expect(result.status).toBe('SUCCEEDED');
    expect(result.outputValue).toEqual([
      0,
      { Error: 'OddError', Cause: expect.stringContaining('odd 1') },
      2,
      { Error: 'OddError', Cause: expect.stringContaining('odd 3') },
    ]);
  });

  it('fails with States.ExceedToleratedFailureThreshold when more items fail than ToleratedFailureCount', async () => {
    const result = await run(mapOf({ ToleratedFailureCount: 1 }), [0, 1, 2, 3], { integrations: failOdd() });

    expect([result.status, result.error]).toEqual(['FAILED', 'States.ExceedToleratedFailureThreshold']);
    expect(result.cause).toContain('ToleratedFailureCount');
  });

  it('compares the failed share with ToleratedFailurePercentage', async () => {
    const within = await run(mapOf({ ToleratedFailurePercentage: 50 }), [0, 1, 2, 3], {
      integrations: failOdd(),
    });
    const beyond = await run(mapOf({ ToleratedFailurePercentage: 49 }), [0, 1, 2, 3], {
      integrations: failOdd(),
    });

    expect(within.status).toBe('SUCCEEDED');
    expect([beyond.status, beyond.error]).toEqual(['FAILED', 'States.ExceedToleratedFailureThreshold']);
  });

  it('reads the thresholds from the state input with the Path forms', async () => {
    const input = { items: [0, 1, 2, 3], count: 2, percent: 10 };
    const byCount = await run(mapOf({ ItemsPath: '$.items', ToleratedFailureCountPath: '$.count' }), input, {
      integrations: failOdd(),
    });
    const byPercent = await run(
      mapOf({ ItemsPath: '$.items', ToleratedFailurePercentagePath: '$.percent' }),
      input,
      { integrations: failOdd() },
    );

    expect(byCount.status).toBe('SUCCEEDED');
    expect(byPercent.error).toBe('States.ExceedToleratedFailureThreshold');
  });

  it('still counts an item that failed before a restart against ToleratedFailureCount', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sfn-tolerance-'));
    const definition = single({
      Type: 'Map',
      ToleratedFailureCount: 1,
      ItemProcessor: {
        StartAt: 'Kind?',
        States: {
          'Kind?': {
            Type: 'Choice',
            Choices: [{ Variable: '$.kind', StringEquals: 'fail', Next: 'Item failed' }],
            Default: 'Wait for answer',
          },
          'Item failed': { Type: 'Fail', Error: 'ItemFailed' },
          'Wait for answer': {
            Type: 'Task',
            Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
            Parameters: { FunctionName: LAMBDA, Payload: { 'token.$': '$$.Task.Token' } },
            End: true,
          },
        },
      },
    });
    const integrationsA = fakeIntegrations();
    const engineA = new StepFunctionsEngine({
      dataDir,
      clock: new ManualClock(),
      integrations: integrationsA,
    });
    const arn = start(engineA, definition, [{ kind: 'fail' }, { kind: 'wait' }]);
    await waitUntil(() => integrationsA.invocations.length === 1);
    const token = (integrationsA.invocations[0]?.payload as { token: string } | undefined)?.token as string;
    await engineA.close();

    const engineB = new StepFunctionsEngine({
      dataDir,
      clock: new ManualClock(),
      integrations: fakeIntegrations(),
    });
    engineB.resume();
    await waitUntil(() => {
      try {
        engineB.sendTaskFailure(token, 'AnswerFailed');
        return true;
      } catch {
        return false;
      }
    });
    const result = await engineB.waitForExecution(arn);
    await engineB.close();
    rmSync(dataDir, { recursive: true, force: true });

    expect([result.status, result.error]).toEqual(['FAILED', 'States.ExceedToleratedFailureThreshold']);
  });

  it('lets a Catch handle States.ExceedToleratedFailureThreshold', async () => {
    const definition = {
      StartAt: 'Each',
      States: {
        Each: {
          Type: 'Map',
          ToleratedFailureCount: 0,
          ItemProcessor: { StartAt: 'Work', States: { Work: { Type: 'Task', Resource: LAMBDA, End: true } } },
          Catch: [{ ErrorEquals: ['States.ExceedToleratedFailureThreshold'], Next: 'Too many' }],
          End: true,
        },
        'Too many': { Type: 'Pass', Result: 'caught', End: true },
      },
    };

    const result = await run(definition, [1], { integrations: failOdd() });

    expect(result.outputValue).toBe('caught');
  });

  it('refuses a tolerance outside its bounds, or both a value and its Path', () => {
    const engine = new StepFunctionsEngine({ clock: new ManualClock() });
    const register = (tolerance: object) => () =>
      engine.registerStateMachine({ arn: STATE_MACHINE_ARN, name: 'Test', definition: mapOf(tolerance) });

    expect(register({ ToleratedFailurePercentage: 101 })).toThrow(/ToleratedFailurePercentage must be/);
    expect(register({ ToleratedFailureCount: -1 })).toThrow(/ToleratedFailureCount must be/);
    expect(register({ ToleratedFailureCount: 1, ToleratedFailureCountPath: '$.n' })).toThrow(
      /mutually exclusive/,
    );
  });
});
