import { retryDelayMs } from '../../../local/stepfunctions/retry';
import { fakeIntegrations, newEngine, run, start, waitUntil } from './helpers';

const LAMBDA = 'arn:aws:lambda:eu-west-1:123456789012:function:Flaky';

class TransientError extends Error {
  constructor() {
    super('try again');
    this.name = 'TransientError';
  }
}

function failingTimes(times: number, result: unknown = 'ok') {
  let calls = 0;
  return fakeIntegrations({
    invokeFunction: async () => {
      calls++;
      if (calls <= times) throw new TransientError();
      return result;
    },
  });
}

describe('Retry and Catch', () => {
  it('waits IntervalSeconds × BackoffRate^n between attempts', async () => {
    const integrations = failingTimes(3);
    const { engine, clock } = newEngine({ integrations });
    const arn = start(engine, {
      StartAt: 'Work',
      States: {
        Work: {
          Type: 'Task',
          Resource: LAMBDA,
          Retry: [{ ErrorEquals: ['TransientError'], IntervalSeconds: 2, BackoffRate: 3, MaxAttempts: 3 }],
          End: true,
        },
      },
    });
    const wakeTimes: number[] = [];

    for (let attempt = 1; attempt <= 3; attempt++) {
      await waitUntil(() => integrations.invocations.length === attempt && clock.pendingSleeps() > 0);
      wakeTimes.push((clock.pendingWakeTimes()[0] as number) - clock.now());
      await clock.advance(wakeTimes[wakeTimes.length - 1] as number);
    }
    const result = await engine.waitForExecution(arn);

    expect(wakeTimes).toEqual([2000, 6000, 18000]);
    expect(result.status).toBe('SUCCEEDED');
    expect(integrations.invocations).toHaveLength(4);
    await engine.close();
  });

  it('caps the delay at MaxDelaySeconds and keeps FULL jitter within [0, delay]', () => {
    const retrier = { ErrorEquals: ['States.ALL'], IntervalSeconds: 10, BackoffRate: 2, MaxDelaySeconds: 25 };

    expect([0, 1, 2, 3].map((n) => retryDelayMs(retrier, n))).toEqual([10_000, 20_000, 25_000, 25_000]);
    expect(retryDelayMs({ ...retrier, JitterStrategy: 'FULL' }, 1, () => 0)).toBe(0);
    expect(retryDelayMs({ ...retrier, JitterStrategy: 'FULL' }, 1, () => 0.5)).toBe(10_000);
    expect(retryDelayMs({ ...retrier, JitterStrategy: 'FULL' }, 3, () => 0.999)).toBeLessThanOrEqual(25_000);
  });

  it('uses the defaults: 1 second, 3 attempts, backoff 2.0', () => {
    const retrier = { ErrorEquals: ['States.ALL'] };

    expect([0, 1, 2].map((n) => retryDelayMs(retrier, n))).toEqual([1000, 2000, 4000]);
  });

  it('applies FULL jitter from the injected random source', async () => {
    const integrations = failingTimes(1);
    const { engine, clock } = newEngine({ integrations, random: () => 0.25 });
    const arn = start(engine, {
      StartAt: 'Work',
      States: {
        Work: {
          Type: 'Task',
          Resource: LAMBDA,
          Retry: [{ ErrorEquals: ['States.ALL'], IntervalSeconds: 8, JitterStrategy: 'FULL' }],
          End: true,
        },
      },
    });

    await waitUntil(() => clock.pendingSleeps() > 0);
    const delay = (clock.pendingWakeTimes()[0] as number) - clock.now();
    await clock.advance(delay);

    expect(delay).toBe(2000);
    expect((await engine.waitForExecution(arn)).status).toBe('SUCCEEDED');
    await engine.close();
  });

  it('never retries when MaxAttempts is 0 and uses only the first matching retrier', async () => {
    const integrations = failingTimes(5);

    const result = await run(
      {
        StartAt: 'Work',
        States: {
          Work: {
            Type: 'Task',
            Resource: LAMBDA,
            Retry: [
              { ErrorEquals: ['TransientError'], MaxAttempts: 0 },
              { ErrorEquals: ['States.ALL'], MaxAttempts: 5 },
            ],
            End: true,
          },
        },
      },
      {},
      { integrations },
    );

    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('TransientError');
    expect(integrations.invocations).toHaveLength(1);
  });

  it('evaluates catchers in order and injects the error output at the catcher ResultPath', async () => {
    const integrations = failingTimes(1);

    const result = await run(
      {
        StartAt: 'Work',
        States: {
          Work: {
            Type: 'Task',
            Resource: LAMBDA,
            Catch: [
              { ErrorEquals: ['Other'], Next: 'Wrong' },
              { ErrorEquals: ['TransientError'], ResultPath: '$.failure', Next: 'Recover' },
              { ErrorEquals: ['States.ALL'], Next: 'Wrong' },
            ],
            End: true,
          },
          Wrong: { Type: 'Fail', Error: 'WrongCatcher' },
          Recover: { Type: 'Pass', End: true },
        },
      },
      { photo: 'a.jpg' },
      { integrations },
    );

    expect(result.status).toBe('SUCCEEDED');
    expect(result.outputValue).toEqual({
      photo: 'a.jpg',
      failure: { Error: 'TransientError', Cause: expect.any(String) },
    });
    expect(JSON.parse(result.outputValue.failure.Cause)).toEqual({
      errorType: 'TransientError',
      errorMessage: 'try again',
      trace: expect.any(Array),
    });
  });

  it('catches with States.TaskFailed any task error but not States.Timeout', async () => {
    const { engine, clock } = newEngine({
      integrations: fakeIntegrations({ invokeFunction: () => new Promise(() => undefined) }),
    });
    const arn = start(engine, {
      StartAt: 'Work',
      States: {
        Work: {
          Type: 'Task',
          Resource: LAMBDA,
          TimeoutSeconds: 5,
          Catch: [
            { ErrorEquals: ['States.TaskFailed'], Next: 'Wrong' },
            { ErrorEquals: ['States.Timeout'], Next: 'TimedOut' },
          ],
          End: true,
        },
        Wrong: { Type: 'Fail', Error: 'WrongCatcher' },
        TimedOut: { Type: 'Pass', End: true },
      },
    });

    await waitUntil(() => clock.pendingSleeps() > 0);
    await clock.advance(5000);
    const result = await engine.waitForExecution(arn);

    expect(result.status).toBe('SUCCEEDED');
    expect(JSON.parse(result.output ?? '')).toEqual({ Error: 'States.Timeout' });
    await engine.close();
  });

  it('sees $$.State.RetryCount grow with each retry', async () => {
    const integrations = failingTimes(2);
    const { engine, clock } = newEngine({ integrations });
    const arn = start(engine, {
      StartAt: 'Work',
      States: {
        Work: {
          Type: 'Task',
          Resource: LAMBDA,
          Parameters: { 'retry.$': '$$.State.RetryCount' },
          Retry: [{ ErrorEquals: ['States.ALL'] }],
          End: true,
        },
      },
    });

    await waitUntil(() => clock.pendingSleeps() > 0);
    await clock.advance(60_000);
    await engine.waitForExecution(arn);

    expect(integrations.invocations.map((call) => call.payload)).toEqual([
      { retry: 0 },
      { retry: 1 },
      { retry: 2 },
    ]);
    await engine.close();
  });
});
