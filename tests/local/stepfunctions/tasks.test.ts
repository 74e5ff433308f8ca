import {
  FunctionTimeoutError,
  LambdaServiceError,
  UnsupportedIntegrationError,
} from '../../../local/stepfunctions/integrations';
import { fakeIntegrations, newEngine, run, single, start, waitUntil } from './helpers';

const LAMBDA = 'arn:aws:lambda:eu-west-1:123456789012:function:Resizer';

function named(name: string, message = 'failed'): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

describe('Task resources', () => {
  it('returns the payload of a plain Lambda function ARN and records Lambda events', async () => {
    const integrations = fakeIntegrations({ invokeFunction: async () => ({ width: 800 }) });

    const result = await run(single({ Type: 'Task', Resource: LAMBDA }), { key: 'a.jpg' }, { integrations });

    expect(result.outputValue).toEqual({ width: 800 });
    expect(integrations.invocations).toEqual([{ name: LAMBDA, payload: { key: 'a.jpg' } }]);
    expect(result.history.map((event) => event.type)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionSucceeded',
      'TaskStateExited',
      'ExecutionSucceeded',
    ]);
  });

  it('wraps the lambda:invoke result like AWS', async () => {
    const integrations = fakeIntegrations({ invokeFunction: async () => ({ ok: true }) });

    const result = await run(
      single({
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke',
        Parameters: { FunctionName: 'Resizer', 'Payload.$': '$' },
      }),
      { key: 'a.jpg' },
      { integrations },
    );

    expect(integrations.invocations).toEqual([{ name: 'Resizer', payload: { key: 'a.jpg' } }]);
    expect(result.outputValue).toEqual({
      ExecutedVersion: '$LATEST',
      Payload: { ok: true },
      StatusCode: 200,
      SdkHttpMetadata: expect.objectContaining({ HttpStatusCode: 200 }),
      SdkResponseMetadata: { RequestId: expect.any(String) },
    });
    expect(result.history.find((event) => event.type === 'TaskScheduled')).toMatchObject({
      taskScheduledEventDetails: { resourceType: 'lambda', resource: 'invoke', region: 'eu-west-1' },
    });
  });

  it('names a function failure by its errorType with the Lambda cause JSON', async () => {
    const integrations = fakeIntegrations({
      invokeFunction: async () => {
        throw named('CorruptImageError', 'not a JPEG');
      },
    });

    const result = await run(
      single({
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke',
        Parameters: { FunctionName: 'Check' },
      }),
      {},
      { integrations },
    );

    expect(result.error).toBe('CorruptImageError');
    expect(JSON.parse(result.cause ?? '')).toEqual({
      errorType: 'CorruptImageError',
      errorMessage: 'not a JPEG',
      trace: expect.any(Array),
    });
    expect(result.history.find((event) => event.type === 'TaskFailed')).toMatchObject({
      taskFailedEventDetails: { error: 'CorruptImageError', resourceType: 'lambda', resource: 'invoke' },
    });
  });

  it('reports a function timeout as Sandbox.Timedout and Lambda service errors as Lambda.*', async () => {
    const timeout = await run(
      single({ Type: 'Task', Resource: LAMBDA }),
      {},
      {
        integrations: fakeIntegrations({
          invokeFunction: async () => {
            throw new FunctionTimeoutError('Task timed out after 3.00 seconds');
          },
        }),
      },
    );
    const missing = await run(
      single({ Type: 'Task', Resource: LAMBDA }),
      {},
      {
        integrations: fakeIntegrations({
          invokeFunction: async () => {
            throw new LambdaServiceError('ResourceNotFoundException', 'Function not found');
          },
        }),
      },
    );

    expect(timeout.error).toBe('Sandbox.Timedout');
    expect(JSON.parse(timeout.cause ?? '')).toMatchObject({ errorType: 'Sandbox.Timedout' });
    expect(missing.error).toBe('Lambda.ResourceNotFoundException');
  });

  it('delegates optimized integrations with a PascalCase action and names their errors per service', async () => {
    const integrations = fakeIntegrations({
      callService: async () => {
        throw named('ConditionalCheckFailedException', 'The conditional request failed');
      },
    });

    const result = await run(
      single({
        Type: 'Task',
        Resource: 'arn:aws:states:::dynamodb:putItem',
        Parameters: { TableName: 'Photos', Item: { pk: { S: 'p1' } } },
      }),
      {},
      { integrations },
    );

    expect(integrations.serviceCalls).toEqual([
      { service: 'dynamodb', action: 'PutItem', params: { TableName: 'Photos', Item: { pk: { S: 'p1' } } } },
    ]);
    expect(result.error).toBe('DynamoDB.ConditionalCheckFailedException');
  });

  it.each([
    ['arn:aws:states:::sns:publish', 'sns', 'Publish', 'NotFoundException', 'SNS.NotFoundException'],
    [
      'arn:aws:states:::dynamodb:updateItem',
      'dynamodb',
      'UpdateItem',
      'InternalServerError',
      'DynamoDB.InternalServerErrorException',
    ],
    [
      'arn:aws:states:::events:putEvents',
      'events',
      'PutEvents',
      'InternalException',
      'EventBridge.InternalException',
    ],
    ['arn:aws:states:::aws-sdk:s3:getObject', 's3', 'GetObject', 'NoSuchKey', 'S3.NoSuchKeyException'],
    [
      'arn:aws:states:::aws-sdk:dynamodb:query',
      'dynamodb',
      'Query',
      'ResourceNotFoundException',
      'DynamoDb.ResourceNotFoundException',
    ],
  ])('calls %s as %s:%s and names %s as %s', async (resource, service, action, thrown, expected) => {
    const integrations = fakeIntegrations({
      callService: async () => {
        throw named(thrown);
      },
    });

    const result = await run(
      single({ Type: 'Task', Resource: resource, Parameters: { A: 1 } }),
      {},
      { integrations },
    );

    expect(integrations.serviceCalls[0]).toMatchObject({ service, action });
    expect(result.error).toBe(expected);
  });

  it('fails the execution with States.Runtime, past any Catch, when the integrations cannot call the service', async () => {
    const integrations = fakeIntegrations({
      callService: async () => {
        throw new UnsupportedIntegrationError("the local runtime has no integration for the service 'sqs'");
      },
    });

    const result = await run(
      {
        StartAt: 'Queue',
        States: {
          Queue: {
            Type: 'Task',
            Resource: 'arn:aws:states:::aws-sdk:sqs:sendMessage',
            Parameters: { QueueUrl: 'q', MessageBody: 'hi' },
            Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Caught' }],
            End: true,
          },
          Caught: { Type: 'Succeed' },
        },
      },
      {},
      { integrations },
    );

    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('States.Runtime');
    expect(result.cause).toBe(
      "The local runtime cannot run the Task Resource 'arn:aws:states:::aws-sdk:sqs:sendMessage': the local runtime has no integration for the service 'sqs'",
    );
  });

  it('refuses to register a definition with a Task the integrations cannot run, naming the state and resource', () => {
    const { engine } = newEngine({
      integrations: fakeIntegrations({
        unsupportedReason: (service, action) =>
          service === 'sqs' ? `no integration for ${service} ${action}` : undefined,
      }),
    });
    const definition = {
      StartAt: 'Save',
      States: {
        Save: { Type: 'Task', Resource: 'arn:aws:states:::dynamodb:putItem', Parameters: {}, Next: 'Each' },
        Each: {
          Type: 'Map',
          ItemProcessor: {
            StartAt: 'Queue',
            States: { Queue: { Type: 'Task', Resource: 'arn:aws:states:::sqs:sendMessage', End: true } },
          },
          End: true,
        },
      },
    };

    const register = () => engine.registerStateMachine({ name: 'Test', definition });

    expect(register).toThrow(
      expect.objectContaining({
        code: 'InvalidDefinition',
        message:
          "Invalid State Machine Definition: the local runtime cannot run state 'Each.ItemProcessor.Queue' (Resource 'arn:aws:states:::sqs:sendMessage'): no integration for sqs SendMessage",
      }),
    );
  });

  it('sends an events:putEvents Detail and an sns:publish Message given as JSON objects as JSON text', async () => {
    const integrations = fakeIntegrations({
      callService: async () => ({ FailedEntryCount: 0, Entries: [] }),
    });

    await run(
      {
        StartAt: 'Announce',
        States: {
          Announce: {
            Type: 'Task',
            Resource: 'arn:aws:states:::events:putEvents',
            Parameters: { Entries: [{ Source: 'app', DetailType: 'done', Detail: { 'id.$': '$.id' } }] },
            ResultPath: null,
            Next: 'Notify',
          },
          Notify: {
            Type: 'Task',
            Resource: 'arn:aws:states:::sns:publish',
            Parameters: { TopicArn: 'arn:aws:sns:us-east-1:123456789012:t', Message: { 'id.$': '$.id' } },
            End: true,
          },
        },
      },
      { id: 'u-1' },
      { integrations },
    );

    expect(integrations.serviceCalls.map((call) => call.params)).toEqual([
      { Entries: [{ Source: 'app', DetailType: 'done', Detail: '{"id":"u-1"}' }] },
      { TopicArn: 'arn:aws:sns:us-east-1:123456789012:t', Message: '{"id":"u-1"}' },
    ]);
  });

  it('fails an events:putEvents task with EventBridge.FailedEntry when an entry was not accepted', async () => {
    const integrations = fakeIntegrations({
      callService: async () => ({
        FailedEntryCount: 1,
        Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }],
      }),
    });

    const result = await run(
      single({ Type: 'Task', Resource: 'arn:aws:states:::events:putEvents', Parameters: { Entries: [] } }),
      {},
      { integrations },
    );

    expect(result.error).toBe('EventBridge.FailedEntry');
  });

  it('returns a service integration result as the task result', async () => {
    const integrations = fakeIntegrations({ callService: async () => ({ Item: { type: { S: 'park' } } }) });

    const result = await run(
      single({
        Type: 'Task',
        Resource: 'arn:aws:states:::dynamodb:getItem',
        Parameters: { TableName: 'Places', Key: { pk: { 'S.$': '$.place' } } },
        ResultSelector: { 'type.$': '$.Item.type.S' },
      }),
      { place: 'p1' },
      { integrations },
    );

    expect(integrations.serviceCalls[0]?.params).toEqual({ TableName: 'Places', Key: { pk: { S: 'p1' } } });
    expect(result.outputValue).toEqual({ type: 'park' });
  });

  it('fails with States.Timeout after TimeoutSeconds and records TaskTimedOut', async () => {
    const { engine, clock } = newEngine({
      integrations: fakeIntegrations({ callService: () => new Promise(() => undefined) }),
    });
    const arn = start(
      engine,
      single({ Type: 'Task', Resource: 'arn:aws:states:::sns:publish', TimeoutSecondsPath: '$.t' }),
      { t: 30 },
    );

    await waitUntil(() => clock.pendingSleeps() > 0);
    await clock.advance(29_999);
    const before = engine.describeExecution(arn).status;
    await clock.advance(1);
    const result = await engine.waitForExecution(arn);

    expect(before).toBe('RUNNING');
    expect(result.error).toBe('States.Timeout');
    expect(engine.getExecutionHistory({ executionArn: arn }).events.map((event) => event.type)).toContain(
      'TaskTimedOut',
    );
    await engine.close();
  });
});

describe('task tokens', () => {
  const WAIT_FOR_TOKEN = {
    Type: 'Task',
    Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
    Parameters: {
      FunctionName: 'SendApprovalEmail',
      Payload: { 'token.$': '$$.Task.Token', 'report.$': '$.report' },
    },
    ResultPath: '$.approval',
  };

  function tokenOf(integrations: ReturnType<typeof fakeIntegrations>): string {
    return (integrations.invocations[0]?.payload as { token: string } | undefined)?.token as string;
  }

  it('hands out an opaque token with + / and =, and continues with the SendTaskSuccess output', async () => {
    const integrations = fakeIntegrations({ invokeFunction: async () => ({ sent: true }) });
    const { engine } = newEngine({ integrations });
    const arn = start(engine, single(WAIT_FOR_TOKEN), { report: 'r1' });

    await waitUntil(() => integrations.invocations.length === 1);
    const token = tokenOf(integrations);
    await waitUntil(() =>
      engine.getExecutionHistory({ executionArn: arn }).events.some((e) => e.type === 'TaskSubmitted'),
    );
    engine.sendTaskSuccess(token, JSON.stringify({ approved: true }));
    const result = await engine.waitForExecution(arn);

    expect(token).toMatch(/\+/);
    expect(token).toMatch(/\//);
    expect(token).toMatch(/=$/);
    expect(JSON.parse(result.output ?? '')).toEqual({ report: 'r1', approval: { approved: true } });
    await engine.close();
  });

  it('fails the task with the SendTaskFailure error and cause', async () => {
    const integrations = fakeIntegrations();
    const { engine } = newEngine({ integrations });
    const arn = start(engine, single(WAIT_FOR_TOKEN), { report: 'r1' });

    await waitUntil(() => integrations.invocations.length === 1);
    engine.sendTaskFailure(tokenOf(integrations), 'Rejected', 'The reviewer said no');
    const result = await engine.waitForExecution(arn);

    expect(result).toMatchObject({ status: 'FAILED', error: 'Rejected', cause: 'The reviewer said no' });
    await engine.close();
  });

  it('refuses malformed, unknown and already answered tokens, and output that is not JSON', async () => {
    const integrations = fakeIntegrations();
    const { engine } = newEngine({ integrations });
    const arn = start(engine, single(WAIT_FOR_TOKEN), { report: 'r1' });
    await waitUntil(() => integrations.invocations.length === 1);
    const token = tokenOf(integrations);
    const codeOf = (action: () => void) => {
      try {
        action();
      } catch (error) {
        return (error as { code?: string }).code;
      }
      return 'no error';
    };

    const mangled = codeOf(() => engine.sendTaskSuccess(token.replace(/\+/g, ' '), '{}'));
    const unknown = codeOf(() => engine.sendTaskSuccess(`AQ${'A'.repeat(40)}==`, '{}'));
    const badOutput = codeOf(() => engine.sendTaskSuccess(token, 'not json'));
    engine.sendTaskSuccess(token, '{}');
    await engine.waitForExecution(arn);
    const answered = codeOf(() => engine.sendTaskSuccess(token, '{}'));

    expect([mangled, unknown, badOutput, answered]).toEqual([
      'InvalidToken',
      'TaskDoesNotExist',
      'InvalidOutput',
      'TaskTimedOut',
    ]);
    await engine.close();
  });

  it('fails with States.HeartbeatTimeout when no heartbeat arrives in time, and heartbeats keep it alive', async () => {
    const integrations = fakeIntegrations();
    const { engine, clock } = newEngine({ integrations });
    const arn = start(engine, single({ ...WAIT_FOR_TOKEN, HeartbeatSeconds: 60, TimeoutSeconds: 3600 }), {
      report: 'r1',
    });
    await waitUntil(() => integrations.invocations.length === 1 && clock.pendingSleeps() >= 2);
    const token = tokenOf(integrations);

    await clock.advance(50_000);
    engine.sendTaskHeartbeat(token);
    await clock.advance(50_000);
    const afterHeartbeat = engine.describeExecution(arn).status;
    await clock.advance(10_001);
    const result = await engine.waitForExecution(arn);

    expect(afterHeartbeat).toBe('RUNNING');
    expect(result.error).toBe('States.HeartbeatTimeout');
    expect(() => engine.sendTaskSuccess(token, '{}')).toThrow(
      expect.objectContaining({ code: 'TaskTimedOut' }),
    );
    await engine.close();
  });

  it('times a token wait out with States.Timeout', async () => {
    const integrations = fakeIntegrations();
    const { engine, clock } = newEngine({ integrations });
    const arn = start(engine, single({ ...WAIT_FOR_TOKEN, TimeoutSeconds: 7 * 24 * 3600 }), { report: 'r1' });
    await waitUntil(() => integrations.invocations.length === 1 && clock.pendingSleeps() > 0);

    await clock.advance(7 * 24 * 3600 * 1000);
    const result = await engine.waitForExecution(arn);

    expect(result.error).toBe('States.Timeout');
    await engine.close();
  });
});
