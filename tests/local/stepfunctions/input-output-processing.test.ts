import { StatesError } from '../../../local/stepfunctions/errors';
import {
  applyInputPath,
  applyOutputPath,
  applyPayloadTemplate,
  applyResultPath,
} from '../../../local/stepfunctions/payload';
import { fakeIntegrations, run, single } from './helpers';

const LAMBDA = 'arn:aws:lambda:eu-west-1:123456789012:function:Adder';

describe('input and output processing (ASL spec examples)', () => {
  it('passes InputPath, then ResultPath, then OutputPath in spec order', async () => {
    const integrations = fakeIntegrations({
      invokeFunction: async (_name, payload) => {
        const { val1, val2 } = payload as { val1: number; val2: number };
        return val1 + val2;
      },
    });
    const input = { title: 'Numbers to add', numbers: { val1: 3, val2: 4 } };

    const result = await run(
      single({ Type: 'Task', Resource: LAMBDA, InputPath: '$.numbers', ResultPath: '$.sum' }),
      input,
      { integrations },
    );

    expect(integrations.invocations[0]?.payload).toEqual({ val1: 3, val2: 4 });
    expect(result.outputValue).toEqual({ title: 'Numbers to add', numbers: { val1: 3, val2: 4 }, sum: 7 });
  });

  it('keeps only the OutputPath selection', async () => {
    const result = await run(single({ Type: 'Pass', Result: 7, ResultPath: '$.sum', OutputPath: '$.sum' }), {
      a: 1,
    });

    expect(result.outputValue).toBe(7);
  });

  it('builds Parameters with static values, paths, slices and the context object', () => {
    const template = {
      flagged: true,
      parts: { 'first.$': '$.vals[0]', 'last3.$': '$.vals[-3:]' },
      'execution.$': '$$.Execution.Id',
      'formatted.$': "States.Format('first is {}', $.vals[0])",
    };

    const result = applyPayloadTemplate(
      template,
      { flagged: 7, vals: [0, 10, 20, 30, 40, 50] },
      { Execution: { Id: 'x' } },
    );

    expect(result).toEqual({
      flagged: true,
      parts: { first: 0, last3: [30, 40, 50] },
      execution: 'x',
      formatted: 'first is 0',
    });
  });

  it('reshapes a task result with ResultSelector before ResultPath', async () => {
    const taskResult = {
      resourceType: 'elasticmapreduce',
      resource: 'createCluster.sync',
      output: { SdkHttpMetadata: { HttpStatusCode: 200 }, ClusterId: 'AKIAIOSFODNN7EXAMPLE' },
    };
    const integrations = fakeIntegrations({ invokeFunction: async () => taskResult });

    const result = await run(
      single({
        Type: 'Task',
        Resource: LAMBDA,
        ResultSelector: { 'ClusterId.$': '$.output.ClusterId', 'ResourceType.$': '$.resourceType' },
        ResultPath: '$.EMROutput',
      }),
      { cluster: 'mine' },
      { integrations },
    );

    expect(result.outputValue).toEqual({
      cluster: 'mine',
      EMROutput: { ClusterId: 'AKIAIOSFODNN7EXAMPLE', ResourceType: 'elasticmapreduce' },
    });
  });

  it('places a result inside the raw input and creates missing objects on the way', () => {
    const input = { master: { detail: [1, 2, 3] } };

    expect(applyResultPath(input, '$.master.detail', 'Hello')).toEqual({ master: { detail: 'Hello' } });
    expect(applyResultPath(input, '$.master.result.sum', 6)).toEqual({
      master: { detail: [1, 2, 3], result: { sum: 6 } },
    });
    expect(input).toEqual({ master: { detail: [1, 2, 3] } });
  });

  it('discards the result with ResultPath null and replaces the input by default', () => {
    expect(applyResultPath({ a: 1 }, null, 'r')).toEqual({ a: 1 });
    expect(applyResultPath({ a: 1 }, undefined, 'r')).toBe('r');
    expect(applyResultPath({ a: 1 }, '$', 'r')).toBe('r');
  });

  it('gives an empty object for InputPath null and OutputPath null', () => {
    expect(applyInputPath({ a: 1 }, null)).toEqual({});
    expect(applyOutputPath({ a: 1 }, null)).toEqual({});
  });

  it('raises States.ResultPathMatchFailure when the result cannot be placed', () => {
    const attempt = () => applyResultPath({ master: 'text' }, '$.master.sum', 6);

    expect(attempt).toThrow(StatesError);
    expect(attempt).toThrow(expect.objectContaining({ error: 'States.ResultPathMatchFailure' }));
  });

  it('raises States.Runtime when InputPath selects nothing, and the execution fails uncaught', async () => {
    const result = await run({
      StartAt: 'Pick',
      States: {
        Pick: {
          Type: 'Task',
          Resource: LAMBDA,
          InputPath: '$.missing',
          Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Caught' }],
          End: true,
        },
        Caught: { Type: 'Succeed' },
      },
    });

    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('States.Runtime');
  });

  it('raises States.ParameterPathFailure when a Parameters path selects nothing', async () => {
    const result = await run(single({ Type: 'Pass', Parameters: { 'x.$': '$.nothing' } }), { a: 1 });

    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('States.ParameterPathFailure');
  });

  it('raises States.Runtime when OutputPath selects nothing', async () => {
    const result = await run(single({ Type: 'Pass', OutputPath: '$.nothing' }), { a: 1 });

    expect(result.error).toBe('States.Runtime');
  });

  it('exposes the context object to Parameters', async () => {
    const result = await run(
      single({
        Type: 'Pass',
        Parameters: {
          'id.$': '$$.Execution.Id',
          'name.$': '$$.Execution.Name',
          'input.$': '$$.Execution.Input',
          'start.$': '$$.Execution.StartTime',
          'role.$': '$$.Execution.RoleArn',
          'machine.$': '$$.StateMachine.Id',
          'machineName.$': '$$.StateMachine.Name',
          'state.$': '$$.State.Name',
          'entered.$': '$$.State.EnteredTime',
          'retries.$': '$$.State.RetryCount',
        },
      }),
      { hello: 'world' },
    );

    expect(result.outputValue).toEqual({
      id: result.executionArn,
      name: result.name,
      input: { hello: 'world' },
      start: result.startDate.toISOString(),
      role: expect.stringContaining('arn:aws:iam::123456789012:role/'),
      machine: result.stateMachineArn,
      machineName: 'Test',
      state: 'Only',
      entered: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      retries: 0,
    });
  });
});
