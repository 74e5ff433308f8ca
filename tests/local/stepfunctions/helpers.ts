import { ManualClock } from '../../../local/stepfunctions/clock';
import { StepFunctionsEngine, type StepFunctionsEngineOptions } from '../../../local/stepfunctions/engine';
import type { Integrations } from '../../../local/stepfunctions/integrations';

export const STATE_MACHINE_ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:Test';

/** Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs` of real time. */
export async function waitUntil<T>(check: () => T | undefined | false, timeoutMs = 2000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error('Condition not met before the deadline');
    await new Promise((resolve) => setImmediate(resolve));
  }
}

export function fakeIntegrations(overrides: Partial<Integrations> = {}): Integrations & {
  invocations: Array<{ name: string; payload: unknown }>;
  serviceCalls: Array<{ service: string; action: string; params: unknown }>;
} {
  const invocations: Array<{ name: string; payload: unknown }> = [];
  const serviceCalls: Array<{ service: string; action: string; params: unknown }> = [];
  return {
    invocations,
    serviceCalls,
    invokeFunction: async (name, payload, options) => {
      invocations.push({ name, payload });
      return overrides.invokeFunction ? overrides.invokeFunction(name, payload, options) : payload;
    },
    callService: async (service, action, params, options) => {
      serviceCalls.push({ service, action, params });
      return overrides.callService ? overrides.callService(service, action, params, options) : {};
    },
    ...(overrides.unsupportedReason ? { unsupportedReason: overrides.unsupportedReason } : {}),
  };
}

export function newEngine(options: StepFunctionsEngineOptions = {}) {
  const clock = (options.clock as ManualClock | undefined) ?? new ManualClock();
  const engine = new StepFunctionsEngine({ ...options, clock });
  return { engine, clock };
}

/** Registers `definition`, starts one execution with `input`, and returns its ARN. */
export function start(
  engine: StepFunctionsEngine,
  definition: object,
  input: unknown = {},
  name?: string,
): string {
  engine.registerStateMachine({ arn: STATE_MACHINE_ARN, name: 'Test', definition });
  return engine.startExecution({ stateMachineArn: STATE_MACHINE_ARN, input: JSON.stringify(input), name })
    .executionArn;
}

/** Runs `definition` to completion (no clock movement needed) and returns the description. */
export async function run(definition: object, input: unknown = {}, options: StepFunctionsEngineOptions = {}) {
  const { engine } = newEngine(options);
  const arn = start(engine, definition, input);
  const result = await engine.waitForExecution(arn, { timeoutMs: 2000 });
  const history = engine.getExecutionHistory({ executionArn: arn, maxResults: 1000 }).events;
  await engine.close();
  return {
    ...result,
    outputValue: result.output === undefined ? undefined : JSON.parse(result.output),
    history,
  };
}

/** A one-state machine around `state`. */
export function single(state: object): object {
  return { StartAt: 'Only', States: { Only: { ...state, End: true } } };
}
