import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
  TaskDoesNotExist,
} from '@aws-sdk/client-sfn';
import { handleStepFunctionsRequest } from '../../../local/stepfunctions/api';
import { ManualClock } from '../../../local/stepfunctions/clock';
import { StepFunctionsEngine } from '../../../local/stepfunctions/engine';
import { fakeIntegrations, STATE_MACHINE_ARN, waitUntil } from './helpers';

describe('Step Functions JSON API through the AWS SDK', () => {
  const integrations = fakeIntegrations();
  const engine = new StepFunctionsEngine({ clock: new ManualClock(), integrations });
  let server: Server;
  let client: SFNClient;

  beforeAll(async () => {
    engine.registerStateMachine({
      arn: STATE_MACHINE_ARN,
      name: 'Test',
      definition: {
        StartAt: 'Ask',
        States: {
          Ask: {
            Type: 'Task',
            Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
            Parameters: { FunctionName: 'Notify', Payload: { 'token.$': '$$.Task.Token' } },
            End: true,
          },
        },
      },
    });
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const target = String(request.headers['x-amz-target'] ?? '');
        const result = handleStepFunctionsRequest(engine, target, Buffer.concat(chunks).toString('utf8'));
        response.writeHead(result.statusCode, result.headers).end(result.body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    client = new SFNClient({
      endpoint: `http://127.0.0.1:${port}`,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  });

  afterAll(async () => {
    client.destroy();
    await engine.close();
    await new Promise((resolve) => server.close(resolve));
  });

  function tokenFor(index: number): Promise<string> {
    return waitUntil(
      () => (integrations.invocations[index]?.payload as { token?: string } | undefined)?.token,
    );
  }

  it('starts, describes, lists and completes an execution with a task token', async () => {
    const started = await client.send(
      new StartExecutionCommand({ stateMachineArn: STATE_MACHINE_ARN, name: 'sdk-1', input: '{"a":1}' }),
    );
    const token = await tokenFor(0);
    await client.send(new SendTaskHeartbeatCommand({ taskToken: token }));
    await client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"ok":true}' }));
    await engine.waitForExecution(started.executionArn as string);

    const described = await client.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
    const listed = await client.send(new ListExecutionsCommand({ stateMachineArn: STATE_MACHINE_ARN }));
    const history = await client.send(new GetExecutionHistoryCommand({ executionArn: started.executionArn }));

    expect(started.startDate).toBeInstanceOf(Date);
    expect(described).toMatchObject({
      status: 'SUCCEEDED',
      name: 'sdk-1',
      output: '{"ok":true}',
      input: '{"a":1}',
    });
    expect(listed.executions?.map((execution) => execution.name)).toContain('sdk-1');
    expect(history.events?.[0]).toMatchObject({ id: 1, type: 'ExecutionStarted' });
    expect(history.events?.[0]?.timestamp).toBeInstanceOf(Date);
  });

  it('fails a task and stops an execution', async () => {
    const failed = await client.send(
      new StartExecutionCommand({ stateMachineArn: STATE_MACHINE_ARN, name: 'sdk-2' }),
    );
    await client.send(
      new SendTaskFailureCommand({ taskToken: await tokenFor(1), error: 'Rejected', cause: 'no' }),
    );
    const stopped = await client.send(
      new StartExecutionCommand({ stateMachineArn: STATE_MACHINE_ARN, name: 'sdk-3' }),
    );
    await tokenFor(2);
    await client.send(new StopExecutionCommand({ executionArn: stopped.executionArn, error: 'Manual' }));
    await engine.waitForExecution(failed.executionArn as string);

    const failedDescription = await client.send(
      new DescribeExecutionCommand({ executionArn: failed.executionArn }),
    );
    const stoppedDescription = await client.send(
      new DescribeExecutionCommand({ executionArn: stopped.executionArn }),
    );

    expect(failedDescription).toMatchObject({ status: 'FAILED', error: 'Rejected', cause: 'no' });
    expect(stoppedDescription).toMatchObject({ status: 'ABORTED', error: 'Manual' });
  });

  it('describes and lists state machines', async () => {
    const described = await client.send(
      new DescribeStateMachineCommand({ stateMachineArn: STATE_MACHINE_ARN }),
    );
    const listed = await client.send(new ListStateMachinesCommand({}));

    expect(described).toMatchObject({ name: 'Test', type: 'STANDARD', status: 'ACTIVE' });
    expect(JSON.parse(described.definition ?? '')).toMatchObject({ StartAt: 'Ask' });
    expect(listed.stateMachines?.map((machine) => machine.stateMachineArn)).toEqual([STATE_MACHINE_ARN]);
  });

  it('answers errors with AWS error types the SDK turns into exceptions', async () => {
    const unknownExecution = client.send(
      new DescribeExecutionCommand({
        executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:Test:none',
      }),
    );
    const unknownToken = client.send(
      new SendTaskSuccessCommand({ taskToken: `AQ${'B'.repeat(40)}==`, output: '{}' }),
    );

    await expect(unknownExecution).rejects.toBeInstanceOf(ExecutionDoesNotExist);
    await expect(unknownToken).rejects.toBeInstanceOf(TaskDoesNotExist);
  });

  it('refuses unknown operations and malformed bodies', () => {
    expect(
      JSON.parse(handleStepFunctionsRequest(engine, 'AWSStepFunctions.CreateActivity', '{}').body),
    ).toMatchObject({
      __type: 'UnknownOperationException',
    });
    expect(handleStepFunctionsRequest(engine, 'AWSStepFunctions.DescribeExecution', '{').statusCode).toBe(
      400,
    );
    expect(
      JSON.parse(handleStepFunctionsRequest(engine, 'AWSStepFunctions.DescribeExecution', '{}').body),
    ).toMatchObject({
      __type: 'ValidationException',
    });
  });
});
