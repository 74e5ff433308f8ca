import { systemClock } from '../../../local/stepfunctions/clock';
import { fakeIntegrations, newEngine, start } from './helpers';

/**
 * A local function that has to wait for one of the machine's execution slots would not have waited
 * in AWS (Lambda scales out): the task's TimeoutSeconds counts from when the function starts.
 */
const definition = {
  StartAt: 'Work',
  States: {
    Work: {
      Type: 'Task',
      Resource: 'arn:aws:lambda:eu-west-1:123456789012:function:Worker',
      TimeoutSeconds: 1,
      End: true,
    },
  },
};

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function runWith(queueMs: number, reportQueue: boolean) {
  const integrations = fakeIntegrations({
    invokeFunction: (_name, payload, options) => {
      const started = sleep(queueMs);
      if (reportQueue) options.onQueued?.(started);
      return started.then(() => sleep(200)).then(() => payload);
    },
  });
  const { engine } = newEngine({ integrations, clock: systemClock });
  const arn = start(engine, definition, { photo: 1 });
  const result = await engine.waitForExecution(arn, { timeoutMs: 10_000 });
  await engine.close();
  return result;
}

describe('a Task whose function waits for a local execution slot', () => {
  it('succeeds when the function runs within TimeoutSeconds after it starts, however long it was queued', async () => {
    const result = await runWith(1500, true);

    expect([result.status, result.output]).toEqual(['SUCCEEDED', '{"photo":1}']);
  });

  it('times out as before when the wait is not reported as a queue', async () => {
    const result = await runWith(1500, false);

    expect([result.status, result.error]).toEqual(['FAILED', 'States.Timeout']);
  });
});
