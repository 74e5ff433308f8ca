import { parseParameterOverrides } from '../template';

/**
 * `npm start -- --parameter-overrides …`, in the SAM CLI's syntax: `Key=Value` pairs separated by
 * spaces, a value with spaces in double or single quotes (`Key="a b"`, `Key='a b'`; a backslash
 * escapes only a space or a quote, as in the SAM CLI, so `C:\\dir` stays as written), or the long form
 * `ParameterKey=Key,ParameterValue=Value`. Several stacks run at once, so a pair may name its stack
 * by config env: `backend:JwtIssuer=https://…` sets the parameter of that stack only, while a plain
 * `Key=Value` sets it in every running stack whose template declares `Key`. A key no running stack
 * declares (or a stack that is not running) is an error rather than a silently ignored typo.
 */

export class ParameterOverridesError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ParameterOverridesError';
  }
}

export interface ParsedParameterOverrides {
  /** Pairs without a stack: for every running stack that declares them. */
  readonly all: Readonly<Record<string, string>>;
  /** Pairs for one stack, by config env (`backend`, `workflow-v4`, `gdpr`, …). */
  readonly byStack: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

/** What node:util parseArgs reports with `tokens: true` (the parts used here). */
export type ArgumentToken =
  | { kind: 'option'; name: string; value?: string | undefined }
  | { kind: 'positional'; value: string }
  | { kind: 'option-terminator' };

/**
 * The values of `--parameter-overrides`: every argument after it up to the next option, as the
 * SAM CLI takes them (`--parameter-overrides A=1 B=2`), or one quoted string (`"A=1 B=2"`).
 * Any other positional argument is an error.
 */
export function parameterOverrideArguments(tokens: readonly ArgumentToken[]): string[] {
  const values: string[] = [];
  let collecting = false;
  for (const token of tokens) {
    if (token.kind === 'option') {
      collecting = token.name === 'parameter-overrides';
      if (collecting && token.value !== undefined) values.push(token.value);
    } else if (token.kind === 'positional') {
      if (!collecting) {
        throw new ParameterOverridesError(
          `unexpected argument '${token.value}' (npm start -- --help lists the options)`,
        );
      }
      values.push(token.value);
    }
  }
  return values;
}

/** Splits at unquoted whitespace; quotes and backslashes stay for the pair parser. */
function splitPairs(text: string): string[] {
  const pairs: string[] = [];
  let current = '';
  let quote: string | undefined;
  for (let index = 0; index < text.length; index++) {
    const char = text.charAt(index);
    if (char === '\\' && index + 1 < text.length) {
      current += char + text.charAt(index + 1);
      index++;
    } else if (char === '"' || char === "'") {
      if (quote === undefined) quote = char;
      else if (quote === char) quote = undefined;
      current += char;
    } else if (/\s/.test(char) && quote === undefined) {
      if (current) pairs.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  if (quote !== undefined)
    throw new ParameterOverridesError(`unterminated quote in --parameter-overrides: ${text}`);
  if (current) pairs.push(current);
  return pairs;
}

const STACK_PREFIX = /^([a-z][a-z0-9-]*):(?=[A-Za-z0-9]+=|ParameterKey=)/;

/** Parses one or more `--parameter-overrides` values; throws ParameterOverridesError when malformed. */
export function parseCliParameterOverrides(values: readonly string[]): ParsedParameterOverrides {
  const all: Record<string, string> = {};
  const byStack: Record<string, Record<string, string>> = {};
  for (const pair of values.flatMap(splitPairs)) {
    const stack = STACK_PREFIX.exec(pair)?.[1];
    const body = stack === undefined ? pair : pair.slice(stack.length + 1);
    if (!/^(?:[A-Za-z0-9]+=|ParameterKey=[A-Za-z0-9]+,ParameterValue=)/.test(body)) {
      throw new ParameterOverridesError(
        `malformed --parameter-overrides pair '${pair}': expected Key=Value, stack:Key=Value or ParameterKey=Key,ParameterValue=Value`,
      );
    }
    let parsed: Record<string, string>;
    try {
      parsed = parseParameterOverrides(body);
    } catch (error) {
      throw new ParameterOverridesError(
        `malformed --parameter-overrides pair '${pair}': ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    if (stack === undefined) Object.assign(all, parsed);
    else byStack[stack] = { ...byStack[stack], ...parsed };
  }
  return { all, byStack };
}

/**
 * The overrides each running stack gets, from what the stacks' templates declare (config env →
 * parameter names). Throws ParameterOverridesError for a stack that is not running or a
 * parameter nobody declares.
 */
export function assignParameterOverrides(
  parsed: ParsedParameterOverrides,
  declared: Readonly<Record<string, readonly string[]>>,
): Record<string, Record<string, string>> {
  const stacks = Object.keys(declared);
  const assigned: Record<string, Record<string, string>> = {};
  for (const [key, value] of Object.entries(parsed.all)) {
    const takers = stacks.filter((stack) => declared[stack]?.includes(key));
    if (takers.length === 0) {
      throw new ParameterOverridesError(
        `--parameter-overrides: no running stack declares the parameter ${key} (stacks: ${stacks.join(', ')})`,
      );
    }
    for (const stack of takers) assigned[stack] = { ...assigned[stack], [key]: value };
  }
  for (const [stack, pairs] of Object.entries(parsed.byStack)) {
    const names = declared[stack];
    if (!names) {
      throw new ParameterOverridesError(
        `--parameter-overrides: the stack '${stack}' is not running (stacks: ${stacks.join(', ')})`,
      );
    }
    for (const key of Object.keys(pairs)) {
      if (!names.includes(key)) {
        throw new ParameterOverridesError(
          `--parameter-overrides: the stack '${stack}' declares no parameter ${key} (it declares ${names.join(', ') || 'none'})`,
        );
      }
    }
    assigned[stack] = { ...assigned[stack], ...pairs };
  }
  return assigned;
}
