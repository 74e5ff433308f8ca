import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeadLetterQueue } from '../../../local/eventbridge/dead-letter-queue';
import type { AuthorizationRecord } from '../../../local/iam';
import { type Runtime, startRuntime } from '../../../local/runtime/runtime';

/**
 * The runtime with IAM enforced, on a seeded project (tests/local/iam/project): each function,
 * state machine and rule target lacks one permission, names the wrong resource or is denied
 * explicitly, and is refused as AWS refuses it, with a log line naming the missing statement.
 */

const project = join(__dirname, 'project');

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

jest.setTimeout(120_000);

describe('the local runtime with IAM enforced, on seeded templates', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'iam-enforced-'));
  const lines: string[] = [];
  const decisions: AuthorizationRecord[] = [];
  let runtime: Runtime;

  beforeAll(async () => {
    runtime = await startRuntime({
      root: project,
      configEnvs: ['seeded'],
      dataDir,
      log: (line) => lines.push(line),
      onAuthorization: (record) => decisions.push(record),
    });
  });

  afterAll(async () => {
    await runtime?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const physicalId = (logicalId: string) => {
    const resource = runtime.stacks[0]?.resources[logicalId];
    if (!resource) throw new Error(`${logicalId} not found`);
    return String(resource.physicalId);
  };
  const tableArn = () => `arn:aws:dynamodb:us-east-1:000000000000:table/${physicalId('Table')}`;
  const sessionOf = (functionLogicalId: string) =>
    runtime.access.principal('function', physicalId(functionLogicalId))?.sessionArn;

  /** What a function's invocation failed with (errorType and message, as Lambda reports them). */
  async function failureOf(functionLogicalId: string): Promise<{ name: string; message: string }> {
    try {
      await runtime.functions.invoke(physicalId(functionLogicalId), { id: functionLogicalId });
    } catch (error) {
      return { name: (error as Error).name, message: (error as Error).message };
    }
    throw new Error(`${functionLogicalId} was not refused`);
  }

  async function executionOf(machineLogicalId: string) {
    const { executionArn } = runtime.engine.startExecution({ stateMachineArn: physicalId(machineLogicalId) });
    return until(`${machineLogicalId} to end`, () => {
      const execution = runtime.engine.describeExecution(executionArn);
      return execution.status === 'RUNNING' ? undefined : execution;
    });
  }

  it("signs a function's SDK calls as its own role, which may make the call its policy allows", async () => {
    // Act
    const result = await runtime.functions.invoke(physicalId('AllowedFunction'), { id: 'allowed' });
    // Assert
    expect(result).toEqual({ written: 'allowed' });
    expect(decisions).toContainEqual({
      identity: {
        kind: 'principal',
        principal: runtime.access.principal('function', physicalId('AllowedFunction')),
      },
      action: 'dynamodb:PutItem',
      resource: tableArn(),
      decision: 'Allow',
    });
  });

  it("refuses a function's call whose action its policy lacks, with DynamoDB's AccessDeniedException naming the action, and logs the missing statement", async () => {
    // Act
    const failure = await failureOf('MissingActionFunction');
    // Assert
    expect(failure).toEqual({
      name: 'AccessDeniedException',
      message: `User: ${sessionOf('MissingActionFunction')} is not authorized to perform: dynamodb:PutItem on resource: ${tableArn()} because no identity-based policy allows the dynamodb:PutItem action`,
    });
    expect(lines).toContain(
      `IAM: function ${physicalId('MissingActionFunction')} refused dynamodb:PutItem on ${tableArn()}: no identity-based policy allows it; missing statement {"Effect":"Allow","Action":"dynamodb:PutItem","Resource":"${tableArn()}"}`,
    );
  });

  it("refuses a function's call on a resource other than the one its policy names", async () => {
    // Act
    const failure = await failureOf('WrongResourceFunction');
    // Assert
    expect(failure.name).toBe('AccessDeniedException');
    expect(failure.message).toContain(
      `is not authorized to perform: dynamodb:PutItem on resource: ${tableArn()} because no identity-based policy allows`,
    );
  });

  it("refuses a function's call its policy denies explicitly, naming the explicit deny", async () => {
    // Act
    const failure = await failureOf('DeniedFunction');
    // Assert
    expect(failure).toEqual({
      name: 'AccessDeniedException',
      message: `User: ${sessionOf('DeniedFunction')} is not authorized to perform: dynamodb:PutItem on resource: ${tableArn()} with an explicit deny in an identity-based policy`,
    });
    expect(
      lines.some((line) =>
        line.startsWith(
          `IAM: function ${physicalId('DeniedFunction')} refused dynamodb:PutItem on ${tableArn()}: explicitly denied by`,
        ),
      ),
    ).toBe(true);
  });

  it('fails a Task whose state machine role may not invoke the function with Lambda.AWSLambdaException, as Step Functions reports it', async () => {
    // Act
    const execution = await executionOf('NoInvokeFlow');
    // Assert
    const functionArn = `arn:aws:lambda:us-east-1:000000000000:function:${physicalId('AllowedFunction')}`;
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('Lambda.AWSLambdaException');
    expect(execution.cause).toContain(
      `is not authorized to perform: lambda:InvokeFunction on resource: ${functionArn} because no identity-based policy allows the lambda:InvokeFunction action (Service: AWSLambda; Status Code: 403; Error Code: AccessDeniedException;`,
    );
    expect(
      lines.some((line) =>
        line.startsWith(
          `IAM: stateMachine ${physicalId('NoInvokeFlow').split(':').pop()} refused lambda:InvokeFunction`,
        ),
      ),
    ).toBe(true);
  });

  it("signs a state machine's aws-sdk integration as its role: a call the role lacks fails the task with DynamoDb.AccessDeniedException", async () => {
    // Act
    const execution = await executionOf('NoPutFlow');
    // Assert
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('DynamoDb.AccessDeniedException');
    expect(execution.cause).toContain(
      `not authorized to perform: dynamodb:PutItem on resource: ${tableArn()}`,
    );
  });

  it("sends a rule's event to its dead-letter queue, unretried, when the function's Lambda permissions do not let EventBridge invoke it", async () => {
    // Arrange
    const bus = runtime.buses.get('default');
    if (!bus) throw new Error('no default bus');
    const functionArn = `arn:aws:lambda:us-east-1:000000000000:function:${physicalId('AllowedFunction')}`;
    // Act
    await bus.putEvents([{ Source: 'iam.test.invoke', DetailType: 'invoke', Detail: '{}' }]);
    await bus.drain();
    // Assert
    const letters = new DeadLetterQueue(
      dataDir,
      String(runtime.stacks[0]?.getAtt('InvokeRuleDeadLetters', 'Arn')),
    ).list();
    expect(letters.map((letter) => letter.attributes)).toEqual([
      expect.objectContaining({
        TARGET_ARN: functionArn,
        ERROR_CODE: 'NO_PERMISSIONS',
        ERROR_MESSAGE: expect.stringContaining(
          `events.amazonaws.com is not authorized to perform: lambda:InvokeFunction on resource: ${functionArn}`,
        ),
        RETRY_ATTEMPTS: 0,
      }),
    ]);
    expect(
      lines.some((line) =>
        line.startsWith(`IAM: events.amazonaws.com refused lambda:InvokeFunction on ${functionArn}`),
      ),
    ).toBe(true);
  });

  it('starts no execution for a rule whose target role may not start the state machine, and logs the refusal', async () => {
    // Arrange
    const bus = runtime.buses.get('default');
    if (!bus) throw new Error('no default bus');
    const machineArn = physicalId('RuleStartedFlow');
    // Act
    await bus.putEvents([{ Source: 'iam.test', DetailType: 'start', Detail: '{}' }]);
    await bus.drain();
    // Assert
    expect(runtime.engine.listExecutions({ stateMachineArn: machineArn }).executions).toEqual([]);
    expect(lines).toContain(
      `IAM: eventRuleTarget StartRule/StartFlow refused states:StartExecution on ${machineArn}: no identity-based policy allows it; missing statement {"Effect":"Allow","Action":"states:StartExecution","Resource":"${machineArn}"}`,
    );
  });
});
