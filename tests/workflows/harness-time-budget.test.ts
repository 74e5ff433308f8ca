/**
 * The worst-case duration of every image workflow, computed from its ASL. An execution that times
 * out cannot catch it, so "Record failure" would never run and the upload would stay PROCESSING:
 * the longest path (every task attempt running to the state's TimeoutSeconds, every retrier using
 * all its retries with its longest back-off, "Record failure" included) must end well inside the
 * execution's TimeoutSeconds, which EXPRESS workflows cap at 300 s.
 */
import type { WorkflowVersion } from './harness';
import { functionTimeouts, stateMachineAsl } from './local-engine';

const VERSIONS: WorkflowVersion[] = ['v1', 'v2', 'v3', 'v4'];
/** Longest an EXPRESS execution may run. */
const EXPRESS_LIMIT_SECONDS = 300;
/** Left for what the sum leaves out: state transitions, a cold start's init, service latency. */
const MARGIN_SECONDS = 30;
/** What the Lambda service answers for a transient failure of the invocation itself. */
const LAMBDA_TRANSIENT_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'Lambda.ClientExecutionTimeoutException',
];

interface Retrier {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  MaxAttempts?: number;
  BackoffRate?: number;
  MaxDelaySeconds?: number;
}

interface State {
  Type: string;
  Resource?: string;
  TimeoutSeconds?: number;
  Retry?: Retrier[];
  Catch?: Array<{ Next: string }>;
  Choices?: Array<{ Next: string }>;
  Default?: string;
  Next?: string;
  End?: boolean;
}

interface Definition {
  StartAt: string;
  TimeoutSeconds?: number;
  States: Record<string, State>;
}

/**
 * Longest a Task state can take: one attempt plus every retry of every retrier (each retrier
 * counts its own attempts, so alternating errors use them all), each attempt running until the
 * state's TimeoutSeconds, each back-off at its capped maximum (FULL jitter only shortens it).
 */
function taskWorstCaseSeconds(name: string, state: State): number {
  if (state.TimeoutSeconds === undefined) {
    throw new Error(`Task "${name}" has no TimeoutSeconds: its worst case is unbounded`);
  }
  let attempts = 1;
  let backOff = 0;
  for (const retrier of state.Retry ?? []) {
    const retries = retrier.MaxAttempts ?? 3;
    attempts += retries;
    for (let retry = 0; retry < retries; retry++) {
      const delay = (retrier.IntervalSeconds ?? 1) * (retrier.BackoffRate ?? 2) ** retry;
      backOff += Math.min(delay, retrier.MaxDelaySeconds ?? Number.POSITIVE_INFINITY);
    }
  }
  return attempts * state.TimeoutSeconds + backOff;
}

function successors(state: State): string[] {
  return [
    ...(state.Next ? [state.Next] : []),
    ...(state.Default ? [state.Default] : []),
    ...(state.Choices ?? []).map((choice) => choice.Next),
    ...(state.Catch ?? []).map((catcher) => catcher.Next),
  ];
}

/** The longest path from StartAt to an end, in worst-case seconds, and the states on it. */
function worstCase(definition: Definition): { seconds: number; path: string[] } {
  const longest = new Map<string, { seconds: number; path: string[] }>();
  const onStack = new Set<string>();
  const visit = (name: string): { seconds: number; path: string[] } => {
    const known = longest.get(name);
    if (known) return known;
    if (onStack.has(name)) throw new Error(`"${name}" is on a loop: the worst case depends on the data`);
    const state = definition.States[name];
    if (!state) throw new Error(`No state "${name}"`);
    if (!['Task', 'Choice', 'Pass', 'Succeed', 'Fail'].includes(state.Type)) {
      throw new Error(`State "${name}" is a ${state.Type}, which this calculation does not handle`);
    }
    onStack.add(name);
    const own = state.Type === 'Task' ? taskWorstCaseSeconds(name, state) : 0;
    const afters = successors(state).map(visit);
    let after = afters[0] ?? { seconds: 0, path: [] };
    for (const next of afters) if (next.seconds > after.seconds) after = next;
    onStack.delete(name);
    const result = { seconds: own + after.seconds, path: [name, ...after.path] };
    longest.set(name, result);
    return result;
  };
  return visit(definition.StartAt);
}

const definitionOf = (version: WorkflowVersion) =>
  stateMachineAsl(`workflow-${version}.yaml`) as unknown as Definition;

const tasksOf = (definition: Definition) =>
  Object.entries(definition.States).filter(([, state]) => state.Type === 'Task');

/** `${ResizeFunctionArn}` → `ResizeFunction`; undefined for service integrations. */
const functionOf = (state: State) => /^\$\{(\w+Function)Arn\}$/.exec(state.Resource ?? '')?.[1];

describe('worst-case duration of the image workflows', () => {
  it.each(VERSIONS)(
    '%s: the longest path, retries and Record failure included, ends 30 s before the execution timeout',
    (version) => {
      const definition = definitionOf(version);
      const timeout = definition.TimeoutSeconds ?? Number.POSITIVE_INFINITY;

      const { seconds, path } = worstCase(definition);

      expect(timeout).toBeLessThanOrEqual(EXPRESS_LIMIT_SECONDS);
      const limit = timeout - MARGIN_SECONDS;
      // On failure, the message names the path that breaks the budget.
      expect(seconds <= limit ? 'within' : `${seconds} s > ${limit} s: ${path.join(' -> ')}`).toBe('within');
    },
  );

  it.each(VERSIONS)(
    // The margin covers the invoke round trip, not a cold start's init phase (outside the function
    // Timeout, up to 10 s; well under a second for these functions): a task can still time out on
    // an unusually slow cold start, and then goes to Record failure like any other timeout.
    "%s: every task state outlasts its function's Timeout, so a warm function is never abandoned while running",
    (version) => {
      const timeouts = functionTimeouts(`workflow-${version}.yaml`);
      const lambdaTasks = tasksOf(definitionOf(version)).filter(([, state]) => functionOf(state));

      expect(lambdaTasks.length).toBeGreaterThan(0);
      for (const [name, state] of lambdaTasks) {
        const fn = functionOf(state) as string;
        expect({ name, fn, known: fn in timeouts }).toEqual({ name, fn, known: true });
        expect({ name, outlasts: (state.TimeoutSeconds ?? 0) > (timeouts[fn] ?? 0) }).toEqual({
          name,
          outlasts: true,
        });
      }
    },
  );

  it.each(VERSIONS)(
    "%s: every task invoking a function retries the Lambda service's transient errors",
    (version) => {
      const lambdaTasks = tasksOf(definitionOf(version)).filter(([, state]) => functionOf(state));

      for (const [name, state] of lambdaTasks) {
        const retried = (state.Retry ?? []).flatMap((retrier) => retrier.ErrorEquals);
        expect({ name, retried }).toEqual({ name, retried: expect.arrayContaining(LAMBDA_TRANSIENT_ERRORS) });
      }
    },
  );

  describe('the calculation', () => {
    it('counts every attempt at TimeoutSeconds and every back-off at its cap, across all retriers', () => {
      const task: State = {
        Type: 'Task',
        TimeoutSeconds: 10,
        Retry: [
          { ErrorEquals: ['A'], IntervalSeconds: 1, MaxAttempts: 3, BackoffRate: 2, MaxDelaySeconds: 3 },
          { ErrorEquals: ['B'], IntervalSeconds: 5, MaxAttempts: 1 },
        ],
      };

      // 1 + 3 + 1 attempts of 10 s; back-offs 1 + 2 + 3 (capped) and 5.
      expect(taskWorstCaseSeconds('Task', task)).toBe(61);
    });

    it('follows the longest path, through catchers to the failure recorder', () => {
      const retryOnce: Retrier[] = [{ ErrorEquals: ['States.ALL'], IntervalSeconds: 1, MaxAttempts: 1 }];
      const definition: Definition = {
        StartAt: 'Work',
        TimeoutSeconds: 300,
        States: {
          Work: {
            Type: 'Task',
            TimeoutSeconds: 10,
            Retry: retryOnce,
            Catch: [{ Next: 'Record' }],
            Next: 'Ok?',
          },
          'Ok?': { Type: 'Choice', Choices: [{ Next: 'Done' }], Default: 'Announce' },
          Announce: { Type: 'Task', TimeoutSeconds: 2, Catch: [{ Next: 'Failed' }], Next: 'Done' },
          Record: { Type: 'Task', TimeoutSeconds: 5, Catch: [{ Next: 'Failed' }], Next: 'Failed' },
          Done: { Type: 'Succeed' },
          Failed: { Type: 'Fail' },
        },
      };

      expect(worstCase(definition)).toEqual({ seconds: 26, path: ['Work', 'Record', 'Failed'] });
    });

    it('refuses a task without TimeoutSeconds, whose worst case is unbounded', () => {
      const definition: Definition = { StartAt: 'Work', States: { Work: { Type: 'Task', End: true } } };

      expect(() => worstCase(definition)).toThrow('Task "Work" has no TimeoutSeconds');
    });

    it("fails v4's budget when Resize is given the retries it used to have", () => {
      const definition = definitionOf('v4');
      const resize = definition.States.Resize as State;
      resize.Retry = [
        {
          ErrorEquals: ['Lambda.TooManyRequestsException'],
          IntervalSeconds: 1,
          MaxAttempts: 4,
          MaxDelaySeconds: 15,
        },
        { ErrorEquals: ['ThrottlingException'], IntervalSeconds: 2, MaxAttempts: 5, MaxDelaySeconds: 30 },
      ];

      expect(worstCase(definition).seconds).toBeGreaterThan(
        (definition.TimeoutSeconds ?? 0) - MARGIN_SECONDS,
      );
    });
  });
});
