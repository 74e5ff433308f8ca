/**
 * A Step Functions engine kept busy on a data directory, for the kill test: run as a child process
 * (`node --import tsx busy-engine.ts <dataDir>`), it resumes what the directory holds, then keeps
 * 20 executions running (Task, Map iterations, Parallel branches, Waits) until it is killed.
 */
import { StepFunctionsEngine } from '../../../local/stepfunctions/engine';
import { fakeIntegrations, STATE_MACHINE_ARN } from './helpers';

export const BUSY_DEFINITION = {
  StartAt: 'Work',
  States: {
    Work: {
      Type: 'Task',
      Resource: 'arn:aws:lambda:eu-west-1:123456789012:function:Worker',
      ResultPath: '$.worked',
      Next: 'Each',
    },
    Each: {
      Type: 'Map',
      ItemsPath: '$.items',
      ItemProcessor: {
        StartAt: 'Pause',
        States: {
          Pause: { Type: 'Wait', Seconds: 0, Next: 'Echo' },
          Echo: { Type: 'Pass', End: true },
        },
      },
      ResultPath: '$.each',
      Next: 'Both',
    },
    Both: {
      Type: 'Parallel',
      Branches: [
        { StartAt: 'Left', States: { Left: { Type: 'Pass', Result: 'left', End: true } } },
        { StartAt: 'Right', States: { Right: { Type: 'Wait', Seconds: 0, End: true } } },
      ],
      ResultPath: '$.both',
      End: true,
    },
  },
};

export function busyEngine(dataDir: string): StepFunctionsEngine {
  const engine = new StepFunctionsEngine({
    dataDir,
    integrations: fakeIntegrations({
      invokeFunction: (_name, payload) => new Promise((done) => setImmediate(() => done(payload))),
    }),
  });
  engine.registerStateMachine({ arn: STATE_MACHINE_ARN, name: 'Test', definition: BUSY_DEFINITION });
  return engine;
}

if (require.main === module) {
  const dataDir = process.argv[2] as string;
  const engine = busyEngine(dataDir);
  engine.resume();
  const keepGoing = (): void => {
    const { executionArn } = engine.startExecution({
      stateMachineArn: STATE_MACHINE_ARN,
      input: JSON.stringify({ items: [1, 2, 3, 4, 5], pad: 'x'.repeat(2000) }),
    });
    void engine.waitForExecution(executionArn, { timeoutMs: 60_000 }).then(keepGoing, keepGoing);
  };
  for (let index = 0; index < 20; index++) keepGoing();
  process.stdout.write('busy\n');
}
