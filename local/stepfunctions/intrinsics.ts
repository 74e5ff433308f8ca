import { createHash, randomUUID } from 'node:crypto';
import { StatesError, StatesErrors } from './errors';
import { canonicalJson, isJsonObject, jsonEquals } from './json-values';
import { PathNotFoundError, readInputOrContext } from './paths';

/**
 * Intrinsic functions (`States.Format(...)` and friends): a parser for the call syntax
 * and an evaluator. Any misuse is reported as States.IntrinsicFailure.
 */

export type IntrinsicArgument =
  | { kind: 'literal'; value: string | number | boolean | null; raw?: string }
  | { kind: 'path'; path: string }
  | { kind: 'call'; call: IntrinsicCall };

export interface IntrinsicCall {
  name: string;
  args: IntrinsicArgument[];
}

export class IntrinsicSyntaxError extends Error {
  constructor(expression: string, reason: string) {
    super(`Invalid intrinsic function '${expression}': ${reason}`);
    this.name = 'IntrinsicSyntaxError';
  }
}

export function isIntrinsicExpression(text: string): boolean {
  return /^States\.[A-Za-z0-9]+\s*\(/.test(text.trim());
}

const MAX_NESTING = 10;

class IntrinsicParser {
  private position = 0;

  constructor(private readonly text: string) {}

  parse(): IntrinsicCall {
    const call = this.parseCall(1);
    this.skipSpaces();
    if (this.position !== this.text.length) this.fail(`unexpected '${this.text.slice(this.position)}'`);
    return call;
  }

  private fail(reason: string): never {
    throw new IntrinsicSyntaxError(this.text, reason);
  }

  private skipSpaces(): void {
    while (/\s/.test(this.text[this.position] ?? '')) this.position++;
  }

  private parseCall(depth: number): IntrinsicCall {
    if (depth > MAX_NESTING) this.fail(`more than ${MAX_NESTING} nested intrinsic functions`);
    this.skipSpaces();
    const match = /^States\.([A-Za-z0-9]+)\s*\(/.exec(this.text.slice(this.position));
    if (!match?.[1]) this.fail(`expected a States.* function at position ${this.position}`);
    this.position += match[0].length;
    const args: IntrinsicArgument[] = [];
    this.skipSpaces();
    if (this.text[this.position] === ')') {
      this.position++;
      return { name: `States.${match[1]}`, args };
    }
    for (;;) {
      args.push(this.parseArgument(depth));
      this.skipSpaces();
      const separator = this.text[this.position];
      this.position++;
      if (separator === ')') return { name: `States.${match[1]}`, args };
      if (separator !== ',') this.fail(`expected ',' or ')' at position ${this.position - 1}`);
    }
  }

  private parseArgument(depth: number): IntrinsicArgument {
    this.skipSpaces();
    const rest = this.text.slice(this.position);
    const first = rest[0];
    if (first === "'") return this.parseString();
    if (first === '$') return { kind: 'path', path: this.parsePath() };
    if (rest.startsWith('States.')) return { kind: 'call', call: this.parseCall(depth + 1) };
    const number = /^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?=\s*[,)])/.exec(rest);
    if (number) {
      this.position += number[0].length;
      return { kind: 'literal', value: Number(number[0]) };
    }
    const keyword = /^(null|true|false)(?=\s*[,)])/.exec(rest);
    if (keyword?.[1]) {
      this.position += keyword[1].length;
      const values = { null: null, true: true, false: false } as const;
      return { kind: 'literal', value: values[keyword[1] as keyof typeof values] };
    }
    return this.fail(`unexpected argument at position ${this.position}`);
  }

  private parseString(): IntrinsicArgument {
    this.position++;
    let raw = '';
    let value = '';
    for (;;) {
      const char = this.text[this.position];
      if (char === undefined) this.fail('unterminated string literal');
      this.position++;
      if (char === "'") return { kind: 'literal', value, raw };
      if (char === '\\') {
        const escaped = this.text[this.position];
        if (escaped === undefined) this.fail('unterminated escape sequence');
        this.position++;
        raw += `\\${escaped}`;
        value += escaped;
        continue;
      }
      raw += char;
      value += char;
    }
  }

  private parsePath(): string {
    const start = this.position;
    let bracketDepth = 0;
    let quote: string | undefined;
    for (; this.position < this.text.length; this.position++) {
      const char = this.text[this.position];
      if (quote) {
        if (char === '\\') this.position++;
        else if (char === quote) quote = undefined;
        continue;
      }
      if (char === "'" || char === '"') quote = char;
      else if (char === '[' || char === '(') bracketDepth++;
      else if ((char === ']' || char === ')') && bracketDepth > 0) bracketDepth--;
      else if (bracketDepth === 0 && (char === ',' || char === ')')) break;
    }
    return this.text.slice(start, this.position).trim();
  }
}

export function parseIntrinsic(expression: string): IntrinsicCall {
  return new IntrinsicParser(expression.trim()).parse();
}

function fail(call: IntrinsicCall, reason: string): never {
  throw new StatesError(StatesErrors.IntrinsicFailure, `Invalid arguments in ${call.name}: ${reason}`);
}

function expectCount(call: IntrinsicCall, values: unknown[], min: number, max = min): void {
  if (values.length < min || values.length > max) {
    const expected = min === max ? `${min}` : `${min} to ${max}`;
    fail(call, `expected ${expected} argument(s), received ${values.length}`);
  }
}

function expectString(call: IntrinsicCall, value: unknown, what: string): string {
  if (typeof value !== 'string') fail(call, `${what} must be a string`);
  return value;
}

function expectArray(call: IntrinsicCall, value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) fail(call, `${what} must be an array`);
  return value;
}

function expectInteger(call: IntrinsicCall, value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) fail(call, `${what} must be an integer`);
  return value;
}

const MAX_ENCODING_INPUT = 10_000;
const MAX_RANGE_LENGTH = 1000;
const HASH_ALGORITHMS: Record<string, string> = {
  MD5: 'md5',
  'SHA-1': 'sha1',
  'SHA-256': 'sha256',
  'SHA-384': 'sha384',
  'SHA-512': 'sha512',
};

/** A deterministic generator (mulberry32) for MathRandom with a seed. */
function seededRandom(seed: number): number {
  let t = (seed + 0x6d2b79f5) | 0;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

function format(call: IntrinsicCall, template: string, values: unknown[]): string {
  let output = '';
  let next = 0;
  for (let index = 0; index < template.length; index++) {
    const char = template[index];
    if (char === '\\' && index + 1 < template.length) {
      output += template[index + 1];
      index++;
    } else if (char === '{' && template[index + 1] === '}') {
      if (next >= values.length) fail(call, 'more {} placeholders than arguments');
      const value = values[next++];
      if (typeof value === 'object' && value !== null) fail(call, 'only strings, numbers, booleans and null');
      output += typeof value === 'string' ? value : JSON.stringify(value);
      index++;
    } else {
      output += char;
    }
  }
  if (next !== values.length) fail(call, 'more arguments than {} placeholders');
  return output;
}

type Implementation = (call: IntrinsicCall, values: unknown[], templateRaw: string | undefined) => unknown;

/** How many arguments each fixed-arity function takes ([min, max]); checked at registration too. */
const ARITY: Record<string, readonly [number, number]> = {
  'States.StringToJson': [1, 1],
  'States.JsonToString': [1, 1],
  'States.ArrayPartition': [2, 2],
  'States.ArrayContains': [2, 2],
  'States.ArrayRange': [3, 3],
  'States.ArrayGetItem': [2, 2],
  'States.ArrayLength': [1, 1],
  'States.ArrayUnique': [1, 1],
  'States.Base64Encode': [1, 1],
  'States.Base64Decode': [1, 1],
  'States.Hash': [2, 2],
  'States.JsonMerge': [3, 3],
  'States.MathRandom': [2, 3],
  'States.MathAdd': [2, 2],
  'States.StringSplit': [2, 2],
  'States.UUID': [0, 0],
};

const IMPLEMENTATIONS: Record<string, Implementation> = {
  'States.Format': (call, values, templateRaw) => {
    if (values.length < 1) fail(call, 'a format string is required');
    const template = templateRaw ?? expectString(call, values[0], 'the format string');
    return format(call, template, values.slice(1));
  },
  'States.StringToJson': (call, values) => {
    const text = expectString(call, values[0], 'the argument');
    try {
      return JSON.parse(text);
    } catch {
      return fail(call, 'the argument is not valid JSON');
    }
  },
  'States.JsonToString': (_call, values) => {
    return JSON.stringify(values[0]);
  },
  'States.Array': (_call, values) => values,
  'States.ArrayPartition': (call, values) => {
    const array = expectArray(call, values[0], 'the first argument');
    const size = expectInteger(call, values[1], 'the chunk size');
    if (size <= 0) fail(call, 'the chunk size must be greater than 0');
    const chunks: unknown[][] = [];
    for (let index = 0; index < array.length; index += size) chunks.push(array.slice(index, index + size));
    return chunks;
  },
  'States.ArrayContains': (call, values) => {
    return expectArray(call, values[0], 'the first argument').some((item) => jsonEquals(item, values[1]));
  },
  'States.ArrayRange': (call, values) => {
    const start = expectInteger(call, values[0], 'the start');
    const end = expectInteger(call, values[1], 'the end');
    const step = expectInteger(call, values[2], 'the step');
    if (step === 0) fail(call, 'the step must not be 0');
    const range: number[] = [];
    for (let value = start; step > 0 ? value <= end : value >= end; value += step) {
      range.push(value);
      if (range.length > MAX_RANGE_LENGTH) fail(call, `the range has more than ${MAX_RANGE_LENGTH} items`);
    }
    return range;
  },
  'States.ArrayGetItem': (call, values) => {
    const array = expectArray(call, values[0], 'the first argument');
    const index = expectInteger(call, values[1], 'the index');
    if (index < 0 || index >= array.length) fail(call, `index ${index} is out of bounds`);
    return array[index];
  },
  'States.ArrayLength': (call, values) => {
    return expectArray(call, values[0], 'the argument').length;
  },
  'States.ArrayUnique': (call, values) => {
    const seen = new Set<string>();
    return expectArray(call, values[0], 'the argument').filter((item) => {
      const key = canonicalJson(item);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  },
  'States.Base64Encode': (call, values) => {
    const text = expectString(call, values[0], 'the argument');
    if (text.length > MAX_ENCODING_INPUT) fail(call, `the input exceeds ${MAX_ENCODING_INPUT} characters`);
    return Buffer.from(text, 'utf8').toString('base64');
  },
  'States.Base64Decode': (call, values) => {
    const text = expectString(call, values[0], 'the argument');
    if (text.length > MAX_ENCODING_INPUT) fail(call, `the input exceeds ${MAX_ENCODING_INPUT} characters`);
    if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(text)) {
      fail(call, 'the argument is not valid base64');
    }
    return Buffer.from(text, 'base64').toString('utf8');
  },
  'States.Hash': (call, values) => {
    const data = values[0];
    if (data === null || data === undefined) fail(call, 'the data must not be null');
    const algorithm = HASH_ALGORITHMS[expectString(call, values[1], 'the algorithm')];
    if (!algorithm) fail(call, `the algorithm must be one of ${Object.keys(HASH_ALGORITHMS).join(', ')}`);
    const text = typeof data === 'string' ? data : JSON.stringify(data);
    if (text.length > MAX_ENCODING_INPUT) fail(call, `the input exceeds ${MAX_ENCODING_INPUT} characters`);
    return createHash(algorithm).update(text, 'utf8').digest('hex');
  },
  'States.JsonMerge': (call, values) => {
    const [left, right, deep] = values;
    if (!isJsonObject(left) || !isJsonObject(right)) fail(call, 'both values to merge must be JSON objects');
    if (deep !== false) fail(call, 'only the shallow merge (false) is supported');
    return { ...left, ...right };
  },
  'States.MathRandom': (call, values) => {
    const start = expectInteger(call, values[0], 'the start');
    const end = expectInteger(call, values[1], 'the end');
    if (end <= start) fail(call, 'the end must be greater than the start');
    const fraction =
      values.length === 3 ? seededRandom(expectInteger(call, values[2], 'the seed')) : Math.random();
    return start + Math.floor(fraction * (end - start));
  },
  'States.MathAdd': (call, values) => {
    return (
      expectInteger(call, values[0], 'the first number') + expectInteger(call, values[1], 'the second number')
    );
  },
  'States.StringSplit': (call, values) => {
    const text = expectString(call, values[0], 'the string');
    const delimiters = expectString(call, values[1], 'the delimiter');
    if (delimiters.length === 0) return [text];
    const tokens: string[] = [];
    let token = '';
    for (const char of text) {
      if (delimiters.includes(char)) {
        if (token) tokens.push(token);
        token = '';
      } else {
        token += char;
      }
    }
    if (token) tokens.push(token);
    return tokens;
  },
  'States.UUID': (_call, _values) => {
    return randomUUID();
  },
};

export const INTRINSIC_FUNCTION_NAMES: readonly string[] = Object.keys(IMPLEMENTATIONS);

function evaluateArgument(argument: IntrinsicArgument, input: unknown, context: unknown): unknown {
  if (argument.kind === 'literal') return argument.value;
  if (argument.kind === 'call') return evaluateCall(argument.call, input, context);
  try {
    return readInputOrContext(argument.path, input, context);
  } catch (error) {
    const reason = error instanceof PathNotFoundError ? 'was not found' : 'is not a valid path';
    throw new StatesError(StatesErrors.IntrinsicFailure, `The path '${argument.path}' ${reason}`);
  }
}

function evaluateCall(call: IntrinsicCall, input: unknown, context: unknown): unknown {
  const implementation = IMPLEMENTATIONS[call.name];
  if (!implementation) {
    throw new StatesError(StatesErrors.IntrinsicFailure, `Unknown intrinsic function ${call.name}`);
  }
  const values = call.args.map((argument) => evaluateArgument(argument, input, context));
  const arity = ARITY[call.name];
  if (arity) expectCount(call, values, arity[0], arity[1]);
  const first = call.args[0];
  const templateRaw = first?.kind === 'literal' && typeof first.raw === 'string' ? first.raw : undefined;
  return implementation(call, values, templateRaw);
}

/** Evaluates an intrinsic expression against the state input and the context object. */
export function evaluateIntrinsic(expression: string, input: unknown, context: unknown): unknown {
  let call: IntrinsicCall;
  try {
    call = parseIntrinsic(expression);
  } catch (error) {
    throw new StatesError(StatesErrors.IntrinsicFailure, (error as Error).message);
  }
  return evaluateCall(call, input, context);
}

/** Throws IntrinsicSyntaxError for a malformed expression, an unknown function or a wrong argument count. */
export function checkIntrinsic(expression: string): void {
  const visit = (call: IntrinsicCall): void => {
    if (!IMPLEMENTATIONS[call.name])
      throw new IntrinsicSyntaxError(expression, `unknown function ${call.name}`);
    const arity = ARITY[call.name];
    if (arity && (call.args.length < arity[0] || call.args.length > arity[1])) {
      const expected = arity[0] === arity[1] ? `${arity[0]}` : `${arity[0]} to ${arity[1]}`;
      throw new IntrinsicSyntaxError(
        expression,
        `${call.name} takes ${expected} argument(s), not ${call.args.length}`,
      );
    }
    for (const argument of call.args) if (argument.kind === 'call') visit(argument.call);
  };
  visit(parseIntrinsic(expression));
}
