import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  findExecution,
  formatExecution,
  formatExecutionList,
  pathThroughStates,
  readExecutions,
  uploadOutcome,
} from '../../../local/runtime/execution-report';
import { ManualClock } from '../../../local/stepfunctions/clock';
import { StepFunctionsEngine } from '../../../local/stepfunctions/engine';
import type { ExecutionRecord } from '../../../local/stepfunctions/execution-record';

const ARN = 'arn:aws:states:us-east-1:000000000000:stateMachine:Photos';

const definition = {
  StartAt: 'Check dimensions',
  States: {
    'Check dimensions': {
      Type: 'Task',
      Resource: 'arn:aws:lambda:us-east-1:000000000000:function:check',
      Retry: [{ ErrorEquals: ['ThrottledError'], IntervalSeconds: 1, MaxAttempts: 2 }],
      Next: 'Resize',
    },
    Resize: {
      Type: 'Task',
      Resource: 'arn:aws:lambda:us-east-1:000000000000:function:resize',
      Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Record failure' }],
      Next: 'Done',
    },
    'Record failure': { Type: 'Pass', Next: 'Done' },
    Done: { Type: 'Succeed' },
  },
};

describe('execution report (npm run local -- executions)', () => {
  let dataDir: string;

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'execution-report-'));
    let checks = 0;
    const clock = new ManualClock();
    const engine = new StepFunctionsEngine({
      clock,
      dataDir: join(dataDir, 'stepfunctions'),
      integrations: {
        invokeFunction: async (name) => {
          if (name.endsWith(':check')) {
            checks += 1;
            if (checks === 1) throw Object.assign(new Error('slow down'), { name: 'ThrottledError' });
            return { ok: true };
          }
          throw Object.assign(new Error('truncated JPEG'), { name: 'CorruptImageError' });
        },
        callService: async () => ({}),
      },
    });
    engine.registerStateMachine({ arn: ARN, name: 'Photos', definition: JSON.stringify(definition) });
    const { executionArn } = engine.startExecution({
      stateMachineArn: ARN,
      name: 'upload-0001',
      input: '{}',
    });
    await clock.advance(5000);
    await engine.waitForExecution(executionArn, { timeoutMs: 5000 });
    await engine.close();
  });

  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('reads what a runtime persisted and lists it with status and state machine', () => {
    const records = readExecutions(dataDir);

    expect(records.map((record) => [record.name, record.status])).toEqual([['upload-0001', 'SUCCEEDED']]);
    expect(formatExecutionList(records)).toMatch(/Photos\s+SUCCEEDED\s+\S+ m?s\s+upload-0001/);
  });

  it('shows the path through the states with retries and caught errors', () => {
    const record = findExecution(readExecutions(dataDir), 'upload-');

    const path = pathThroughStates(record);

    expect(path.map((state) => state.name)).toEqual(['Check dimensions', 'Resize', 'Record failure', 'Done']);
    expect(path[0]?.retries).toBe(1);
    expect(path[1]?.error).toBe('CorruptImageError');
    expect(formatExecution(record)).toContain('2. Resize  (');
    expect(formatExecution(record)).toContain('error CorruptImageError, caught');
  });

  it('says clearly when an id matches nothing', () => {
    expect(() => findExecution(readExecutions(dataDir), 'nope')).toThrow('No execution named nope');
  });

  it('reports no executions for a fresh data directory', () => {
    expect(readExecutions(join(dataDir, 'missing'))).toEqual([]);
    expect(formatExecutionList([])).toBe('No executions yet.');
  });
});

describe('upload outcome of an image-workflow execution', () => {
  const uploadComplete = JSON.stringify({ detail: { uploadId: '0192f3a0-7b1c-7d2e-8f3a-4b5c6d7e8f90' } });
  const record = (fields: Partial<ExecutionRecord>) =>
    ({ input: uploadComplete, status: 'SUCCEEDED', ...fields }) as ExecutionRecord;

  it.each([
    ['a published photo', { output: JSON.stringify({ images: { tileKey: 't' } }) }, 'PROCESSED'],
    [
      'a rejection, with its reason',
      { output: JSON.stringify({ verdict: { accepted: false, rejection: { reason: 'IMAGE_TOO_SMALL' } } }) },
      'REJECTED IMAGE_TOO_SMALL',
    ],
    [
      'a failed execution, with its error',
      { status: 'FAILED', error: 'States.Timeout' },
      'FAILED States.Timeout',
    ],
    ['a duplicate stopped at its claim', { output: uploadComplete }, 'already final'],
  ] as const)('names %s and the upload id', (_name, fields, outcome) => {
    expect(uploadOutcome(record(fields as Partial<ExecutionRecord>))).toEqual({
      outcome,
      uploadId: '0192f3a0-7b1c-7d2e-8f3a-4b5c6d7e8f90',
    });
  });

  it('leaves both empty for an execution whose input is not an upload', () => {
    expect(uploadOutcome(record({ input: '{}' }))).toEqual({ outcome: '', uploadId: '' });
  });
});
