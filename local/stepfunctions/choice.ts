import type { ChoiceRule, ChoiceState } from './definition';
import { StatesError, StatesErrors } from './errors';
import { InvalidPathError, PathNotFoundError, readInputOrContext } from './paths';

/** Choice rules: data-test expressions, And/Or/Not, and the pick of the next state. */

type Kind = 'String' | 'Numeric' | 'Boolean' | 'Timestamp';
type Operator = 'Equals' | 'LessThan' | 'GreaterThan' | 'LessThanEquals' | 'GreaterThanEquals';

const KINDS: readonly Kind[] = ['String', 'Numeric', 'Boolean', 'Timestamp'];
const OPERATORS: readonly Operator[] = [
  'Equals',
  'LessThan',
  'GreaterThan',
  'LessThanEquals',
  'GreaterThanEquals',
];
const TYPE_TESTS = ['IsNull', 'IsPresent', 'IsNumeric', 'IsString', 'IsBoolean', 'IsTimestamp'] as const;

/** Every comparator field name a Choice rule may use. */
export const COMPARATORS: readonly string[] = [
  ...KINDS.flatMap((kind) =>
    OPERATORS.filter((op) => kind !== 'Boolean' || op === 'Equals').flatMap((op) => [
      `${kind}${op}`,
      `${kind}${op}Path`,
    ]),
  ),
  'StringMatches',
  ...TYPE_TESTS,
];

/** RFC 3339 timestamps with an uppercase T, as Step Functions accepts them. */
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

export function parseTimestamp(value: unknown): number | undefined {
  if (typeof value !== 'string' || !TIMESTAMP.test(value)) return undefined;
  const time = Date.parse(value);
  return Number.isNaN(time) ? undefined : time;
}

/**
 * StringMatches: `*` matches any run of characters; `\*` and `\\` are literal. A pattern that
 * ends inside an escape (a lone trailing `\`) is States.Runtime.
 */
export function matchesWildcard(value: string, pattern: string): boolean {
  let regex = '';
  for (let index = 0; index < pattern.length; index++) {
    const char = pattern[index] as string;
    if (char === '\\') {
      if (index + 1 === pattern.length) {
        throw new StatesError(
          StatesErrors.Runtime,
          `The StringMatches pattern ${JSON.stringify(pattern)} ends with an open escape (a lone '\\')`,
        );
      }
      regex += escapeRegex(pattern[index + 1] as string);
      index++;
    } else if (char === '*') {
      regex += '[\\s\\S]*';
    } else {
      regex += escapeRegex(char);
    }
  }
  return new RegExp(`^${regex}$`).test(value);
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

function compare(kind: Kind, operator: Operator, left: unknown, right: unknown): boolean {
  let a: number | string | boolean;
  let b: number | string | boolean;
  if (kind === 'Timestamp') {
    const leftTime = parseTimestamp(left);
    const rightTime = parseTimestamp(right);
    if (leftTime === undefined || rightTime === undefined) return false;
    a = leftTime;
    b = rightTime;
  } else {
    const jsType = { String: 'string', Numeric: 'number', Boolean: 'boolean' }[kind];
    if (typeof left !== jsType || typeof right !== jsType) return false;
    a = left as string | number | boolean;
    b = right as string | number | boolean;
  }
  switch (operator) {
    case 'Equals':
      return a === b;
    case 'LessThan':
      return a < b;
    case 'GreaterThan':
      return a > b;
    case 'LessThanEquals':
      return a <= b;
    case 'GreaterThanEquals':
      return a >= b;
  }
}

function readVariable(path: string, input: unknown, context: unknown): { found: boolean; value?: unknown } {
  try {
    return { found: true, value: readInputOrContext(path, input, context) };
  } catch (error) {
    if (error instanceof PathNotFoundError || error instanceof InvalidPathError) return { found: false };
    throw error;
  }
}

function runtimeError(path: string): StatesError {
  return new StatesError(
    StatesErrors.Runtime,
    `Invalid path '${path}': The choice state's condition path references an invalid value.`,
  );
}

function evaluateTypeTest(
  test: (typeof TYPE_TESTS)[number],
  expected: unknown,
  found: boolean,
  value: unknown,
) {
  const actual = (() => {
    switch (test) {
      case 'IsPresent':
        return found;
      case 'IsNull':
        return value === null;
      case 'IsNumeric':
        return typeof value === 'number';
      case 'IsString':
        return typeof value === 'string';
      case 'IsBoolean':
        return typeof value === 'boolean';
      case 'IsTimestamp':
        return parseTimestamp(value) !== undefined;
    }
  })();
  return actual === expected;
}

/** True when `rule` holds for `input`. */
export function evaluateChoiceRule(rule: ChoiceRule, input: unknown, context: unknown): boolean {
  if (rule.And) return rule.And.every((nested) => evaluateChoiceRule(nested, input, context));
  if (rule.Or) return rule.Or.some((nested) => evaluateChoiceRule(nested, input, context));
  if (rule.Not) return !evaluateChoiceRule(rule.Not, input, context);
  const variablePath = rule.Variable;
  if (typeof variablePath !== 'string')
    throw new StatesError(StatesErrors.Runtime, 'A Choice rule has no Variable');
  const comparator = COMPARATORS.find((name) => name in rule);
  if (!comparator) throw new StatesError(StatesErrors.Runtime, 'A Choice rule has no comparison operator');
  const variable = readVariable(variablePath, input, context);
  const typeTest = TYPE_TESTS.find((test) => test === comparator);
  // Only IsPresent may look at a path that matches nothing; every other test needs a value.
  if (!variable.found && typeTest !== 'IsPresent') throw runtimeError(variablePath);
  if (typeTest) return evaluateTypeTest(typeTest, rule[comparator], variable.found, variable.value);
  let expected = rule[comparator];
  if (comparator.endsWith('Path')) {
    const other = readVariable(String(expected), input, context);
    if (!other.found) throw runtimeError(String(expected));
    expected = other.value;
  }
  if (comparator === 'StringMatches') {
    return typeof variable.value === 'string' && matchesWildcard(variable.value, String(expected));
  }
  const name = comparator.replace(/Path$/, '');
  const kind = KINDS.find((candidate) => name.startsWith(candidate)) as Kind;
  const operator = name.slice(kind.length) as Operator;
  return compare(kind, operator, variable.value, expected);
}

/** The next state of a Choice state for `input`; States.NoChoiceMatched when nothing matches. */
export function chooseNextState(state: ChoiceState, input: unknown, context: unknown): string {
  for (const rule of state.Choices) {
    if (evaluateChoiceRule(rule, input, context)) return rule.Next as string;
  }
  if (state.Default) return state.Default;
  throw new StatesError(StatesErrors.NoChoiceMatched, 'No Choice Rules matched and no Default was specified');
}
