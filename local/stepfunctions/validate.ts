import { COMPARATORS, parseTimestamp } from './choice';
import type {
  Catcher,
  ChoiceRule,
  MapState,
  Retrier,
  State,
  StateMachineBody,
  StateMachineDefinition,
  StateType,
} from './definition';
import { STATE_TYPES } from './definition';
import { StatesErrors, StepFunctionsApiError } from './errors';
import { checkIntrinsic, isIntrinsicExpression } from './intrinsics';
import { isJsonObject } from './json-values';
import { jsonPathProblem, parseReferencePath } from './paths';
import { parseResource } from './resources';

/**
 * Checks a definition before it is registered, and reports every problem at once as
 * InvalidDefinition. JSONata and features the local engine does not implement are
 * refused here, loudly, instead of being ignored at run time.
 */

const COMMON_FIELDS = ['Type', 'Comment', 'QueryLanguage'];
const IO_FIELDS = ['InputPath', 'OutputPath'];
const TRANSITION_FIELDS = ['Next', 'End'];
const ERROR_HANDLING_FIELDS = ['Retry', 'Catch'];

const ALLOWED_FIELDS: Record<StateType, readonly string[]> = {
  Task: [
    ...COMMON_FIELDS,
    ...IO_FIELDS,
    ...TRANSITION_FIELDS,
    ...ERROR_HANDLING_FIELDS,
    'Resource',
    'Parameters',
    'ResultSelector',
    'ResultPath',
    'TimeoutSeconds',
    'TimeoutSecondsPath',
    'HeartbeatSeconds',
    'HeartbeatSecondsPath',
    'Credentials',
  ],
  Pass: [...COMMON_FIELDS, ...IO_FIELDS, ...TRANSITION_FIELDS, 'Result', 'ResultPath', 'Parameters'],
  Choice: [...COMMON_FIELDS, ...IO_FIELDS, 'Choices', 'Default'],
  Wait: [
    ...COMMON_FIELDS,
    ...IO_FIELDS,
    ...TRANSITION_FIELDS,
    'Seconds',
    'Timestamp',
    'SecondsPath',
    'TimestampPath',
  ],
  Succeed: [...COMMON_FIELDS, ...IO_FIELDS],
  Fail: [...COMMON_FIELDS, 'Error', 'ErrorPath', 'Cause', 'CausePath'],
  Parallel: [
    ...COMMON_FIELDS,
    ...IO_FIELDS,
    ...TRANSITION_FIELDS,
    ...ERROR_HANDLING_FIELDS,
    'Branches',
    'Parameters',
    'ResultSelector',
    'ResultPath',
  ],
  Map: [
    ...COMMON_FIELDS,
    ...IO_FIELDS,
    ...TRANSITION_FIELDS,
    ...ERROR_HANDLING_FIELDS,
    'ItemProcessor',
    'Iterator',
    'ItemsPath',
    'ItemSelector',
    'Parameters',
    'MaxConcurrency',
    'MaxConcurrencyPath',
    'ToleratedFailurePercentage',
    'ToleratedFailurePercentagePath',
    'ToleratedFailureCount',
    'ToleratedFailureCountPath',
    'ResultSelector',
    'ResultPath',
  ],
};

/** Fields of the objects inside states: each refuses any other field, as AWS's validation does. */
const RETRIER_FIELDS = [
  'ErrorEquals',
  'IntervalSeconds',
  'MaxAttempts',
  'BackoffRate',
  'MaxDelaySeconds',
  'JitterStrategy',
  'Comment',
];
const CATCHER_FIELDS = ['ErrorEquals', 'Next', 'ResultPath', 'Comment'];
const BRANCH_FIELDS = ['StartAt', 'States', 'Comment'];
const ITEM_PROCESSOR_FIELDS = [...BRANCH_FIELDS, 'ProcessorConfig'];
const PROCESSOR_CONFIG_FIELDS = ['Mode', 'ExecutionType'];

/** Fields whose value the specification says is a Reference Path (ResultPath is checked apart). */
const REFERENCE_PATH_FIELDS = [
  'ItemsPath',
  'TimeoutSecondsPath',
  'HeartbeatSecondsPath',
  'MaxConcurrencyPath',
  'ToleratedFailurePercentagePath',
  'ToleratedFailureCountPath',
  'SecondsPath',
  'TimestampPath',
];

/** Real ASL fields the local engine does not implement, and why. */
const UNSUPPORTED_FIELDS: Record<string, string> = {
  Arguments: 'it belongs to the JSONata query language',
  Output: 'it belongs to the JSONata query language',
  Items: 'it belongs to the JSONata query language',
  Condition: 'it belongs to the JSONata query language',
  Assign: 'workflow variables are not supported by the local engine',
  ItemReader: 'Distributed Map item readers are not supported by the local engine',
  ItemBatcher: 'Distributed Map item batching is not supported by the local engine',
  ResultWriter: 'Distributed Map result writers are not supported by the local engine',
  Label: 'Distributed Map labels are not supported by the local engine',
};

const JITTER_STRATEGIES = ['FULL', 'NONE'];

class DefinitionChecker {
  readonly problems: string[] = [];
  /** Every state name of the machine, nested ones included, with how often it is used. */
  private readonly stateNames = new Map<string, number>();

  report(where: string, problem: string): void {
    this.problems.push(`${where}: ${problem}`);
  }

  checkQueryLanguage(where: string, value: unknown): void {
    if (value === undefined || value === 'JSONPath') return;
    if (value === 'JSONata') {
      this.report(
        where,
        'QueryLanguage "JSONata" is not supported by the local Step Functions engine; only JSONPath definitions can run offline',
      );
    } else {
      this.report(where, `unknown QueryLanguage ${JSON.stringify(value)}`);
    }
  }

  /** State names must be unique within the whole machine, nested branches and item processors included. */
  checkUniqueNames(): void {
    for (const [name, count] of this.stateNames) {
      if (count > 1) this.report('Definition', `state name "${name}" is used more than once`);
    }
  }

  checkFields(where: string, value: Record<string, unknown>, allowed: readonly string[], what: string): void {
    for (const field of Object.keys(value)) {
      const unsupported = UNSUPPORTED_FIELDS[field];
      if (unsupported) this.report(where, `field "${field}" is not supported: ${unsupported}`);
      else if (!allowed.includes(field)) this.report(where, `field "${field}" is not allowed in ${what}`);
    }
  }

  checkBody(body: unknown, where: string, allowedFields?: readonly string[], what?: string): void {
    if (!isJsonObject(body)) {
      this.report(where, 'must be an object with StartAt and States');
      return;
    }
    if (allowedFields && what) this.checkFields(where, body, allowedFields, what);
    const { StartAt, States } = body as Partial<StateMachineBody>;
    if (!isJsonObject(States) || Object.keys(States).length === 0) {
      this.report(where, 'States must be a non-empty object');
      return;
    }
    if (typeof StartAt !== 'string' || !(StartAt in States)) {
      this.report(where, `StartAt ${JSON.stringify(StartAt)} does not name a state`);
    }
    for (const [name, state] of Object.entries(States)) {
      this.stateNames.set(name, (this.stateNames.get(name) ?? 0) + 1);
      if (name.length > 80) this.report(`State "${name}"`, 'state names are at most 80 characters');
      this.checkState(name, state, States as Record<string, State>);
    }
    if (typeof StartAt === 'string' && StartAt in States)
      this.checkReachability(StartAt, States as Record<string, State>, where);
  }

  private checkReachability(startAt: string, states: Record<string, State>, where: string): void {
    const reached = new Set<string>();
    const pending = [startAt];
    while (pending.length > 0) {
      const name = pending.pop() as string;
      if (reached.has(name)) continue;
      reached.add(name);
      const state = states[name];
      if (!isJsonObject(state)) continue;
      for (const next of transitionsOf(state)) if (next in states) pending.push(next);
    }
    for (const name of Object.keys(states)) {
      if (!reached.has(name)) this.report(where, `state "${name}" is not reachable from StartAt`);
    }
  }

  private checkState(name: string, state: unknown, siblings: Record<string, State>): void {
    const where = `State "${name}"`;
    if (!isJsonObject(state)) {
      this.report(where, 'must be an object');
      return;
    }
    const type = state.Type as StateType;
    if (!STATE_TYPES.includes(type)) {
      this.report(where, `unknown Type ${JSON.stringify(state.Type)}`);
      return;
    }
    this.checkQueryLanguage(where, state.QueryLanguage);
    this.checkFields(where, state, ALLOWED_FIELDS[type], `a ${type} state`);
    this.checkTransition(where, state, siblings);
    this.checkPaths(where, state);
    for (const field of ['Parameters', 'ResultSelector', 'ItemSelector']) {
      if (state[field] !== undefined) this.checkPayloadTemplate(`${where} ${field}`, state[field]);
    }
    if (state.Retry !== undefined) this.checkRetriers(where, state.Retry);
    if (state.Catch !== undefined) this.checkCatchers(where, state.Catch, siblings);
    switch (type) {
      case 'Task':
        this.checkTask(where, state);
        break;
      case 'Choice':
        this.checkChoice(where, state, siblings);
        break;
      case 'Wait':
        this.checkWait(where, state);
        break;
      case 'Fail':
        this.checkExclusive(where, state, 'Error', 'ErrorPath');
        this.checkExclusive(where, state, 'Cause', 'CausePath');
        // ErrorPath and CausePath are a Reference Path or an intrinsic function that gives a string.
        for (const field of ['ErrorPath', 'CausePath']) {
          const value = state[field];
          if (value === undefined) continue;
          if (typeof value === 'string' && isIntrinsicExpression(value))
            this.checkIntrinsicSyntax(where, value);
          else this.checkReferencePath(where, field, value, true);
        }
        break;
      case 'Parallel':
        if (!Array.isArray(state.Branches) || state.Branches.length === 0) {
          this.report(where, 'Branches must be a non-empty array');
        } else {
          state.Branches.forEach((branch, index) => {
            this.checkBody(branch, `${where} branch ${index}`, BRANCH_FIELDS, 'a branch');
          });
        }
        break;
      case 'Map':
        this.checkMap(where, state as unknown as MapState);
        break;
      default:
        break;
    }
  }

  private checkTransition(
    where: string,
    state: Record<string, unknown>,
    siblings: Record<string, State>,
  ): void {
    const type = state.Type as StateType;
    const terminal = type === 'Succeed' || type === 'Fail' || type === 'Choice';
    if (terminal) return;
    const hasNext = state.Next !== undefined;
    const hasEnd = state.End !== undefined;
    if (hasNext && hasEnd) this.report(where, 'has both Next and End');
    else if (!hasNext && state.End !== true) this.report(where, 'needs Next or "End": true');
    if (hasNext && (typeof state.Next !== 'string' || !(state.Next in siblings))) {
      this.report(where, `Next ${JSON.stringify(state.Next)} does not name a state`);
    }
  }

  private checkPaths(where: string, state: Record<string, unknown>): void {
    for (const field of ['InputPath', 'OutputPath']) {
      const value = state[field];
      if (value === undefined || value === null) continue;
      const problem = typeof value === 'string' ? jsonPathProblem(value) : 'must be a string';
      if (problem)
        this.report(where, `${field} ${JSON.stringify(value)} is not a valid JSONPath (${problem})`);
    }
    if (state.ResultPath !== undefined && state.ResultPath !== null)
      this.checkReferencePath(where, 'ResultPath', state.ResultPath);
    for (const field of REFERENCE_PATH_FIELDS) {
      if (state[field] !== undefined) this.checkReferencePath(where, field, state[field], true);
    }
  }

  /** A Reference Path selects one node; `allowContext` accepts a `$$.` path into the context object. */
  private checkReferencePath(where: string, field: string, value: unknown, allowContext = false): void {
    try {
      if (typeof value !== 'string') throw new Error('must be a string');
      parseReferencePath(value, allowContext);
    } catch (error) {
      this.report(
        where,
        `${field} ${JSON.stringify(value)} is not a valid reference path (${(error as Error).message})`,
      );
    }
  }

  private checkPayloadTemplate(where: string, template: unknown): void {
    if (Array.isArray(template)) {
      for (const item of template) this.checkPayloadTemplate(where, item);
      return;
    }
    if (!isJsonObject(template)) return;
    const keys = Object.keys(template);
    for (const key of keys) {
      if (key.endsWith('.$') && keys.includes(key.slice(0, -2))) {
        this.report(where, `duplicate field "${key.slice(0, -2)}" after renaming "${key}" to strip ".$"`);
      }
    }
    for (const [key, value] of Object.entries(template)) {
      if (!key.endsWith('.$')) {
        this.checkPayloadTemplate(where, value);
        continue;
      }
      if (typeof value !== 'string' || !(value.startsWith('$') || isIntrinsicExpression(value))) {
        this.report(where, `the value of "${key}" must be a path or an intrinsic function`);
      } else if (isIntrinsicExpression(value)) {
        this.checkIntrinsicSyntax(where, value);
      } else {
        const problem = jsonPathProblem(value);
        if (problem)
          this.report(
            where,
            `the value of "${key}", ${JSON.stringify(value)}, is not a valid JSONPath (${problem})`,
          );
      }
    }
  }

  private checkIntrinsicSyntax(where: string, expression: string): void {
    try {
      checkIntrinsic(expression);
    } catch (error) {
      this.report(where, (error as Error).message);
    }
  }

  private checkErrorEquals(where: string, errorEquals: unknown, isLast: boolean): void {
    if (
      !Array.isArray(errorEquals) ||
      errorEquals.length === 0 ||
      !errorEquals.every((e) => typeof e === 'string')
    ) {
      this.report(where, 'ErrorEquals must be a non-empty array of error names');
      return;
    }
    if (errorEquals.includes(StatesErrors.All) && (errorEquals.length > 1 || !isLast)) {
      this.report(where, 'States.ALL must appear alone, in the last retrier or catcher');
    }
  }

  private checkRetriers(where: string, retry: unknown): void {
    if (!Array.isArray(retry)) {
      this.report(where, 'Retry must be an array');
      return;
    }
    retry.forEach((retrier: Retrier, index) => {
      const at = `${where} Retry[${index}]`;
      if (!isJsonObject(retrier)) {
        this.report(at, 'a Retrier must be an object');
        return;
      }
      this.checkFields(at, retrier, RETRIER_FIELDS, 'a Retrier');
      this.checkErrorEquals(at, retrier.ErrorEquals, index === retry.length - 1);
      const { IntervalSeconds, MaxAttempts, BackoffRate, MaxDelaySeconds, JitterStrategy } = retrier;
      if (IntervalSeconds !== undefined && !(Number.isInteger(IntervalSeconds) && IntervalSeconds >= 1)) {
        this.report(at, 'IntervalSeconds must be a positive integer');
      }
      if (MaxAttempts !== undefined && !(Number.isInteger(MaxAttempts) && MaxAttempts >= 0)) {
        this.report(at, 'MaxAttempts must be a non-negative integer');
      }
      if (BackoffRate !== undefined && !(typeof BackoffRate === 'number' && BackoffRate >= 1)) {
        this.report(at, 'BackoffRate must be a number not less than 1.0');
      }
      if (MaxDelaySeconds !== undefined && !(Number.isInteger(MaxDelaySeconds) && MaxDelaySeconds > 0)) {
        this.report(at, 'MaxDelaySeconds must be a positive integer');
      }
      if (JitterStrategy !== undefined && !JITTER_STRATEGIES.includes(JitterStrategy)) {
        this.report(at, 'JitterStrategy must be FULL or NONE');
      }
    });
  }

  private checkCatchers(where: string, catchers: unknown, siblings: Record<string, State>): void {
    if (!Array.isArray(catchers)) {
      this.report(where, 'Catch must be an array');
      return;
    }
    catchers.forEach((catcher: Catcher, index) => {
      const at = `${where} Catch[${index}]`;
      if (!isJsonObject(catcher)) {
        this.report(at, 'a Catcher must be an object');
        return;
      }
      this.checkFields(at, catcher, CATCHER_FIELDS, 'a Catcher');
      this.checkErrorEquals(at, catcher.ErrorEquals, index === catchers.length - 1);
      if (typeof catcher.Next !== 'string' || !(catcher.Next in siblings)) {
        this.report(at, `Next ${JSON.stringify(catcher.Next)} does not name a state`);
      }
      if (catcher.ResultPath !== undefined && catcher.ResultPath !== null) {
        this.checkReferencePath(at, 'ResultPath', catcher.ResultPath);
      }
    });
  }

  private checkExclusive(where: string, state: Record<string, unknown>, a: string, b: string): void {
    if (state[a] !== undefined && state[b] !== undefined)
      this.report(where, `${a} and ${b} are mutually exclusive`);
  }

  private checkTask(where: string, state: Record<string, unknown>): void {
    if (typeof state.Resource !== 'string') {
      this.report(where, 'Resource must be a string');
    } else {
      try {
        parseResource(state.Resource);
      } catch (error) {
        this.report(where, (error as Error).message);
      }
    }
    this.checkExclusive(where, state, 'TimeoutSeconds', 'TimeoutSecondsPath');
    this.checkExclusive(where, state, 'HeartbeatSeconds', 'HeartbeatSecondsPath');
    for (const field of ['TimeoutSeconds', 'HeartbeatSeconds']) {
      const value = state[field];
      if (value !== undefined && !(Number.isInteger(value) && (value as number) > 0)) {
        this.report(where, `${field} must be a positive integer`);
      }
    }
    const { TimeoutSeconds, HeartbeatSeconds } = state as {
      TimeoutSeconds?: number;
      HeartbeatSeconds?: number;
    };
    if (
      TimeoutSeconds !== undefined &&
      HeartbeatSeconds !== undefined &&
      HeartbeatSeconds >= TimeoutSeconds
    ) {
      this.report(where, 'HeartbeatSeconds must be smaller than TimeoutSeconds');
    }
  }

  private checkWait(where: string, state: Record<string, unknown>): void {
    const given = ['Seconds', 'Timestamp', 'SecondsPath', 'TimestampPath'].filter(
      (field) => state[field] !== undefined,
    );
    if (given.length !== 1) {
      this.report(where, 'exactly one of Seconds, Timestamp, SecondsPath or TimestampPath is required');
    }
    if (state.Seconds !== undefined && !(Number.isInteger(state.Seconds) && (state.Seconds as number) >= 0)) {
      this.report(where, 'Seconds must be a non-negative integer');
    }
    if (state.Timestamp !== undefined && parseTimestamp(state.Timestamp) === undefined) {
      this.report(where, `Timestamp ${JSON.stringify(state.Timestamp)} is not an RFC 3339 timestamp`);
    }
  }

  private checkChoice(where: string, state: Record<string, unknown>, siblings: Record<string, State>): void {
    if (!Array.isArray(state.Choices) || state.Choices.length === 0) {
      this.report(where, 'Choices must be a non-empty array');
      return;
    }
    state.Choices.forEach((rule: ChoiceRule, index) => {
      const at = `${where} Choices[${index}]`;
      if (typeof rule?.Next !== 'string' || !(rule.Next in siblings)) {
        this.report(at, `Next ${JSON.stringify(rule?.Next)} does not name a state`);
      }
      this.checkChoiceRule(at, rule, true);
    });
    if (state.Default !== undefined && (typeof state.Default !== 'string' || !(state.Default in siblings))) {
      this.report(where, `Default ${JSON.stringify(state.Default)} does not name a state`);
    }
  }

  private checkChoiceRule(where: string, rule: unknown, topLevel: boolean): void {
    if (!isJsonObject(rule)) {
      this.report(where, 'a choice rule must be an object');
      return;
    }
    if (!topLevel && rule.Next !== undefined) this.report(where, 'nested choice rules cannot have Next');
    const combinators = ['And', 'Or', 'Not'].filter((key) => rule[key] !== undefined);
    const comparators = COMPARATORS.filter((key) => rule[key] !== undefined);
    const known = new Set(['Next', 'Comment', 'Variable', 'And', 'Or', 'Not', ...COMPARATORS]);
    for (const key of Object.keys(rule)) {
      if (!known.has(key)) this.report(where, `unknown field "${key}" in a choice rule`);
    }
    if (combinators.length + comparators.length !== 1) {
      this.report(where, 'a choice rule needs exactly one comparison operator, or one of And, Or, Not');
      return;
    }
    if (combinators.length === 1) {
      const key = combinators[0] as 'And' | 'Or' | 'Not';
      if (rule.Variable !== undefined) this.report(where, `${key} cannot be combined with Variable`);
      if (key === 'Not') this.checkChoiceRule(`${where} Not`, rule.Not, false);
      else if (!Array.isArray(rule[key]) || (rule[key] as unknown[]).length === 0)
        this.report(where, `${key} must be a non-empty array`);
      else
        (rule[key] as unknown[]).forEach((nested, index) => {
          this.checkChoiceRule(`${where} ${key}[${index}]`, nested, false);
        });
      return;
    }
    // "The values of Variable and Path fields in a comparison must be valid Reference Paths."
    this.checkReferencePath(where, 'Variable', rule.Variable, true);
    const comparator = comparators[0] as string;
    const value = rule[comparator];
    if (comparator.endsWith('Path')) {
      this.checkReferencePath(where, comparator, value, true);
    } else if (comparator.startsWith('Is') && typeof value !== 'boolean') {
      this.report(where, `${comparator} must be true or false`);
    } else if (!comparator.endsWith('Path') && !comparator.startsWith('Is')) {
      const expectedType = comparator.startsWith('Numeric')
        ? 'number'
        : comparator.startsWith('Boolean')
          ? 'boolean'
          : 'string';
      if (typeof value !== expectedType) this.report(where, `${comparator} must be a ${expectedType}`);
      else if (comparator.startsWith('Timestamp') && parseTimestamp(value) === undefined)
        this.report(where, `${comparator} ${JSON.stringify(value)} is not an RFC 3339 timestamp`);
    }
  }

  private checkMap(where: string, state: MapState): void {
    const hasProcessor = state.ItemProcessor !== undefined;
    const hasIterator = state.Iterator !== undefined;
    if (hasProcessor === hasIterator)
      this.report(where, 'exactly one of ItemProcessor or Iterator is required');
    this.checkExclusive(where, state as unknown as Record<string, unknown>, 'ItemSelector', 'Parameters');
    this.checkExclusive(
      where,
      state as unknown as Record<string, unknown>,
      'MaxConcurrency',
      'MaxConcurrencyPath',
    );
    if (
      state.MaxConcurrency !== undefined &&
      !(Number.isInteger(state.MaxConcurrency) && state.MaxConcurrency >= 0)
    ) {
      this.report(where, 'MaxConcurrency must be a non-negative integer');
    }
    this.checkTolerance(where, state as unknown as Record<string, unknown>);
    const processor = state.ItemProcessor ?? state.Iterator;
    if (isJsonObject(processor)) {
      const config = processor.ProcessorConfig;
      if (
        config !== undefined &&
        (!isJsonObject(config) || !['INLINE', 'DISTRIBUTED', undefined].includes(config.Mode as string))
      ) {
        this.report(where, 'ProcessorConfig.Mode must be INLINE or DISTRIBUTED');
      } else if (config !== undefined) {
        this.checkFields(`${where} ProcessorConfig`, config, PROCESSOR_CONFIG_FIELDS, 'a ProcessorConfig');
      }
      if (state.ItemProcessor !== undefined)
        this.checkBody(processor, `${where} ItemProcessor`, ITEM_PROCESSOR_FIELDS, 'an ItemProcessor');
      else this.checkBody(processor, `${where} Iterator`, BRANCH_FIELDS, 'an Iterator');
    } else if (processor !== undefined) {
      this.report(where, 'ItemProcessor must be an object');
    }
  }

  private checkTolerance(where: string, state: Record<string, unknown>): void {
    this.checkExclusive(where, state, 'ToleratedFailurePercentage', 'ToleratedFailurePercentagePath');
    this.checkExclusive(where, state, 'ToleratedFailureCount', 'ToleratedFailureCountPath');
    const percentage = state.ToleratedFailurePercentage;
    if (
      percentage !== undefined &&
      !(typeof percentage === 'number' && percentage >= 0 && percentage <= 100)
    ) {
      this.report(where, 'ToleratedFailurePercentage must be a number from 0 to 100');
    }
    const count = state.ToleratedFailureCount;
    if (count !== undefined && !(Number.isInteger(count) && (count as number) >= 0)) {
      this.report(where, 'ToleratedFailureCount must be a non-negative integer');
    }
  }
}

/** Names of the states a state can move to: Next, Default, the Choices' and Catchers' Next. */
export function transitionsOf(state: Record<string, unknown>): string[] {
  const targets: unknown[] = [state.Next, state.Default];
  if (Array.isArray(state.Choices))
    for (const rule of state.Choices) targets.push((rule as ChoiceRule)?.Next);
  if (Array.isArray(state.Catch)) for (const catcher of state.Catch) targets.push((catcher as Catcher)?.Next);
  return targets.filter((target): target is string => typeof target === 'string');
}

/** Parses and validates a definition; throws StepFunctionsApiError('InvalidDefinition') listing every problem. */
export function parseDefinition(definition: string | object): StateMachineDefinition {
  let parsed: unknown = definition;
  if (typeof definition === 'string') {
    try {
      parsed = JSON.parse(definition);
    } catch (error) {
      throw new StepFunctionsApiError(
        'InvalidDefinition',
        `Invalid State Machine Definition: not JSON (${(error as Error).message})`,
      );
    }
  }
  const problems = definitionProblems(parsed);
  if (problems.length > 0) {
    throw new StepFunctionsApiError(
      'InvalidDefinition',
      `Invalid State Machine Definition: ${problems.join('; ')}`,
    );
  }
  return structuredClone(parsed) as unknown as StateMachineDefinition;
}

/**
 * Every problem registration would refuse in a parsed definition, each as `<where>: <problem>`
 * (`State "<name>" …` when it is about a state). `npm run validate` reports the same list.
 */
export function definitionProblems(parsed: unknown): string[] {
  const checker = new DefinitionChecker();
  if (!isJsonObject(parsed)) {
    checker.report('Definition', 'must be a JSON object');
  } else {
    checker.checkQueryLanguage('Definition', parsed.QueryLanguage);
    const allowedTopLevel = ['StartAt', 'States', 'Comment', 'Version', 'TimeoutSeconds', 'QueryLanguage'];
    for (const field of Object.keys(parsed)) {
      if (!allowedTopLevel.includes(field))
        checker.report('Definition', `field "${field}" is not allowed at the top level`);
    }
    const timeout = parsed.TimeoutSeconds;
    if (timeout !== undefined && !(Number.isInteger(timeout) && (timeout as number) > 0)) {
      checker.report('Definition', 'TimeoutSeconds must be a positive integer');
    }
    checker.checkBody(parsed, 'Definition');
    checker.checkUniqueNames();
  }
  return checker.problems;
}
