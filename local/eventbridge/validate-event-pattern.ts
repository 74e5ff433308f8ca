import { isIP } from 'node:net';
import { InvalidEventPatternError } from './errors';
import type { JsonObject, JsonValue } from './types';

const COMPARISON_OPERATORS = new Set(['<', '<=', '=', '>', '>=']);
const NUMERIC_LIMIT = 5e9;

/**
 * Parses (when given JSON text) and checks an event pattern the way PutRule does.
 * Returns the pattern object; throws InvalidEventPatternError naming the first problem.
 */
export function validateEventPattern(pattern: unknown): JsonObject {
  const parsed = typeof pattern === 'string' ? parsePatternText(pattern) : pattern;
  if (!isPlainObject(parsed)) throw new InvalidEventPatternError('Pattern must be a JSON object');
  checkObject(parsed, '');
  return parsed;
}

/** True when `$or` holds the OR primitive (an array of pattern objects) rather than a field's match values. */
export function isOrPrimitive(value: JsonValue | undefined): value is JsonObject[] {
  return Array.isArray(value) && value.length > 0 && value.every(isPlainObject);
}

export function isPlainObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parsePatternText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new InvalidEventPatternError('Pattern is not valid JSON');
  }
}

function checkObject(node: JsonObject, path: string): void {
  const keys = Object.keys(node);
  if (keys.length === 0) throw new InvalidEventPatternError(`Empty objects are not allowed${at(path)}`);
  for (const key of keys) {
    const value = node[key] as JsonValue;
    const fieldPath = path ? `${path}.${key}` : key;
    if (key === '$or' && isOrPrimitive(value)) checkOr(value, path);
    else if (Array.isArray(value)) checkMatchValues(value, fieldPath);
    else if (isPlainObject(value)) checkObject(value, fieldPath);
    else throw new InvalidEventPatternError(`"${fieldPath}" must be an object or an array`);
  }
}

function checkOr(alternatives: JsonObject[], path: string): void {
  if (alternatives.length < 2) {
    throw new InvalidEventPatternError(`"$or" must hold at least two patterns${at(path)}`);
  }
  for (const alternative of alternatives) checkObject(alternative, path);
}

function checkMatchValues(values: JsonValue[], path: string): void {
  if (values.length === 0) throw new InvalidEventPatternError(`Empty arrays are not allowed at "${path}"`);
  for (const value of values) {
    if (Array.isArray(value)) {
      throw new InvalidEventPatternError(
        `Match value must be String, number, true, false, or null at "${path}"`,
      );
    }
    if (isPlainObject(value)) checkOperator(value, path);
  }
}

function checkOperator(matcher: JsonObject, path: string): void {
  const names = Object.keys(matcher);
  const [name] = names;
  if (name === undefined) throw new InvalidEventPatternError(`Empty objects are not allowed at "${path}"`);
  if (names.length > 1) {
    throw new InvalidEventPatternError(
      `Only one match type is allowed in one object at "${path}": ${names.join(', ')}`,
    );
  }
  const check = OPERATOR_CHECKS[name];
  if (check === undefined) throw new InvalidEventPatternError(`Unrecognized match type ${name} at "${path}"`);
  check(matcher[name] as JsonValue, path);
}

type OperandCheck = (operand: JsonValue, path: string) => void;

const OPERATOR_CHECKS: Record<string, OperandCheck> = {
  prefix: (operand, path) => checkStringOrIgnoreCase('prefix', operand, path),
  suffix: (operand, path) => checkStringOrIgnoreCase('suffix', operand, path),
  'equals-ignore-case': (operand, path) => requireString('equals-ignore-case', operand, path),
  wildcard: (operand, path) => checkWildcard(operand, path),
  'anything-but': (operand, path) => checkAnythingBut(operand, path),
  numeric: (operand, path) => checkNumeric(operand, path),
  exists: (operand, path) => {
    if (typeof operand !== 'boolean') {
      throw new InvalidEventPatternError(`exists match pattern must be either true or false at "${path}"`);
    }
  },
  cidr: (operand, path) => checkCidr(operand, path),
};

const ANYTHING_BUT_CHECKS: Record<string, OperandCheck> = {
  prefix: (operand, path) => checkAffixList('anything-but prefix', operand, path),
  suffix: (operand, path) => checkAffixList('anything-but suffix', operand, path),
  'equals-ignore-case': (operand, path) =>
    checkStringList('anything-but equals-ignore-case', operand, path, () => undefined),
  wildcard: (operand, path) =>
    checkStringList('anything-but wildcard', operand, path, (item) => checkWildcard(item, path)),
};

function checkStringOrIgnoreCase(name: string, operand: JsonValue, path: string): void {
  if (isPlainObject(operand)) {
    const keys = Object.keys(operand);
    if (keys.length !== 1 || keys[0] !== 'equals-ignore-case') {
      throw new InvalidEventPatternError(
        `Unsupported ${name} pattern at "${path}": only equals-ignore-case may modify it`,
      );
    }
    requireString(`${name} equals-ignore-case`, operand['equals-ignore-case'] as JsonValue, path);
  } else {
    requireString(name, operand, path);
  }
}

function requireString(name: string, operand: JsonValue, path: string): void {
  if (typeof operand !== 'string') {
    throw new InvalidEventPatternError(`${name} match pattern must be a string at "${path}"`);
  }
}

function checkWildcard(operand: JsonValue, path: string): void {
  requireString('wildcard', operand, path);
  const text = operand as string;
  for (let index = 0; index < text.length; index++) {
    const char = text[index];
    if (char === '*' && text[index + 1] === '*') {
      throw new InvalidEventPatternError(`Consecutive wildcard characters are not allowed at "${path}"`);
    }
    if (char === '\\') {
      const escaped = text[index + 1];
      if (escaped !== '*' && escaped !== '\\') {
        throw new InvalidEventPatternError(
          `A backslash may only escape "*" or "\\" in a wildcard pattern at "${path}"`,
        );
      }
      index++;
    }
  }
}

function checkAnythingBut(operand: JsonValue, path: string): void {
  if (typeof operand === 'string' || typeof operand === 'number') return;
  if (Array.isArray(operand)) {
    const allStrings = operand.every((item) => typeof item === 'string');
    const allNumbers = operand.every((item) => typeof item === 'number');
    if (operand.length === 0 || !(allStrings || allNumbers)) {
      throw new InvalidEventPatternError(
        `Inside anything-but list, only all strings or all numbers are allowed at "${path}"`,
      );
    }
    return;
  }
  if (!isPlainObject(operand)) {
    throw new InvalidEventPatternError(
      `anything-but must be a string, a number, a list of them, or an object at "${path}"`,
    );
  }
  const keys = Object.keys(operand);
  const [name] = keys;
  if (keys.length !== 1 || name === undefined) {
    throw new InvalidEventPatternError(`anything-but object must hold exactly one match type at "${path}"`);
  }
  const check = ANYTHING_BUT_CHECKS[name];
  if (check === undefined) {
    throw new InvalidEventPatternError(`Unsupported anything-but pattern: ${name} at "${path}"`);
  }
  check(operand[name] as JsonValue, path);
}

/**
 * `anything-but` `prefix`/`suffix`: a string or a list of strings, none of them empty (EventBridge
 * refuses an empty one, which would exclude every string). A plain `prefix`/`suffix` may be empty.
 */
function checkAffixList(name: string, operand: JsonValue, path: string): void {
  checkStringList(name, operand, path, (item) => {
    if (item === '')
      throw new InvalidEventPatternError(`Null prefix/suffix not allowed in ${name} at "${path}"`);
  });
}

function checkStringList(
  name: string,
  operand: JsonValue,
  path: string,
  checkItem: (item: string) => void,
): void {
  const items = Array.isArray(operand) ? operand : [operand];
  if (items.length === 0 || !items.every((item) => typeof item === 'string')) {
    throw new InvalidEventPatternError(`${name} must be a string or a list of strings at "${path}"`);
  }
  for (const item of items as string[]) checkItem(item);
}

function checkNumeric(operand: JsonValue, path: string): void {
  const invalid = (reason: string) => new InvalidEventPatternError(`numeric ${reason} at "${path}"`);
  if (!Array.isArray(operand) || (operand.length !== 2 && operand.length !== 4)) {
    throw invalid('must be a list of one or two [operator, number] comparisons');
  }
  const comparisons: Array<[string, number]> = [];
  for (let index = 0; index < operand.length; index += 2) {
    const operator = operand[index];
    const value = operand[index + 1];
    if (typeof operator !== 'string' || !COMPARISON_OPERATORS.has(operator)) {
      throw invalid(`operator must be one of < <= = > >=, got ${JSON.stringify(operator)}`);
    }
    if (typeof value !== 'number' || !Number.isFinite(value)) throw invalid(`${operator} needs a number`);
    if (Math.abs(value) > NUMERIC_LIMIT) throw invalid(`values must be between -5.0e9 and 5.0e9`);
    comparisons.push([operator, value]);
  }
  const [lower, upper] = comparisons;
  if (!upper || !lower) return;
  if (lower[0] === '=' || upper[0] === '=') throw invalid('"=" cannot be combined with another comparison');
  if (!lower[0].startsWith('>') || !upper[0].startsWith('<')) {
    throw invalid('a range must be a lower bound (> or >=) followed by an upper bound (< or <=)');
  }
  if (lower[1] >= upper[1]) throw invalid('range bottom must be lower than its top');
}

function checkCidr(operand: JsonValue, path: string): void {
  if (typeof operand !== 'string' || parseCidr(operand) === undefined) {
    throw new InvalidEventPatternError(`Nonstandard IP address: ${JSON.stringify(operand)} at "${path}"`);
  }
}

/** Splits "10.0.0.0/24" (or a bare address) into address, family and prefix length; undefined when malformed. */
export function parseCidr(
  text: string,
): { address: string; family: 4 | 6; prefixLength: number } | undefined {
  const [address = '', length, extra] = text.split('/');
  const family = isIP(address);
  if (extra !== undefined || (family !== 4 && family !== 6)) return undefined;
  const maxLength = family === 4 ? 32 : 128;
  if (length === undefined) return { address, family, prefixLength: maxLength };
  if (!/^\d{1,3}$/.test(length) || Number(length) > maxLength) return undefined;
  return { address, family, prefixLength: Number(length) };
}

function at(path: string): string {
  return path ? ` at "${path}"` : '';
}
