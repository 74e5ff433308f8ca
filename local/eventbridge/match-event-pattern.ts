import { BlockList, isIP } from 'node:net';
import type { JsonObject, JsonValue } from './types';
import { isOrPrimitive, isPlainObject, parseCidr, validateEventPattern } from './validate-event-pattern';

type Leaf = string | number | boolean | null;

/**
 * True when the event matches the pattern, following EventBridge content filtering:
 * every field named in the pattern must match (AND), any listed value may match (OR),
 * an event array matches when any of its elements does, and `$or` picks among sub-patterns.
 * The pattern may be JSON text or an object; it is validated first.
 */
export function matchesEventPattern(pattern: unknown, event: unknown): boolean {
  return matchesObject(validateEventPattern(pattern), event as JsonValue);
}

function matchesObject(pattern: JsonObject, node: JsonValue | undefined): boolean {
  return Object.entries(pattern).every(([key, expected]) => {
    if (key === '$or' && isOrPrimitive(expected)) {
      return expected.some((alternative) => matchesObject(alternative, node));
    }
    const field = isPlainObject(node) ? node[key] : undefined;
    if (Array.isArray(expected)) return matchesField(expected, leavesOf(field));
    return matchesNested(expected as JsonObject, field);
  });
}

/** A nested pattern against an event array matches when one element (at any depth) matches it whole. */
function matchesNested(pattern: JsonObject, field: JsonValue | undefined): boolean {
  if (Array.isArray(field)) {
    const objects = flatten(field).filter(isPlainObject);
    if (objects.length > 0) return objects.some((element) => matchesObject(pattern, element));
  }
  return matchesObject(pattern, field);
}

/** Leaf values of a field: itself when scalar, the scalar elements of an array, nothing for objects or absence. */
function leavesOf(field: JsonValue | undefined): Leaf[] {
  if (field === undefined || isPlainObject(field)) return [];
  if (Array.isArray(field)) return flatten(field).filter((item): item is Leaf => !isPlainObject(item));
  return [field];
}

function flatten(values: JsonValue[]): JsonValue[] {
  return values.flatMap((value) => (Array.isArray(value) ? flatten(value) : [value]));
}

function matchesField(expected: JsonValue[], leaves: Leaf[]): boolean {
  const present = leaves.length > 0;
  return expected.some((matcher) => {
    if (isPlainObject(matcher) && 'exists' in matcher) return present === matcher.exists;
    return leaves.some((leaf) => matchesValue(matcher, leaf));
  });
}

function matchesValue(matcher: JsonValue, leaf: Leaf): boolean {
  if (!isPlainObject(matcher)) return equalsExactly(matcher as Leaf, leaf);
  const [name, operand] = Object.entries(matcher)[0] as [string, JsonValue];
  switch (name) {
    case 'prefix':
      return (
        typeof leaf === 'string' &&
        stringTest(operand, (text, ignoreCase) => fold(leaf, ignoreCase).startsWith(text))
      );
    case 'suffix':
      return (
        typeof leaf === 'string' &&
        stringTest(operand, (text, ignoreCase) => fold(leaf, ignoreCase).endsWith(text))
      );
    case 'equals-ignore-case':
      return typeof leaf === 'string' && leaf.toLowerCase() === (operand as string).toLowerCase();
    case 'wildcard':
      return typeof leaf === 'string' && wildcardToRegExp(operand as string).test(leaf);
    case 'anything-but':
      return !matchesExclusion(operand, leaf);
    case 'numeric':
      return typeof leaf === 'number' && satisfiesNumeric(operand as JsonValue[], leaf);
    case 'cidr':
      return typeof leaf === 'string' && isInCidr(operand as string, leaf);
    default:
      return false;
  }
}

function equalsExactly(expected: Leaf, leaf: Leaf): boolean {
  return expected === leaf;
}

/** Runs a prefix/suffix test, lower-casing both sides when the operand is `{ "equals-ignore-case": text }`. */
function stringTest(operand: JsonValue, test: (text: string, ignoreCase: boolean) => boolean): boolean {
  if (typeof operand === 'string') return test(operand, false);
  const text = (operand as JsonObject)['equals-ignore-case'] as string;
  return test(text.toLowerCase(), true);
}

function fold(text: string, ignoreCase: boolean): string {
  return ignoreCase ? text.toLowerCase() : text;
}

/** True when the leaf is one of the values an anything-but excludes. */
function matchesExclusion(operand: JsonValue, leaf: Leaf): boolean {
  if (Array.isArray(operand)) return operand.some((excluded) => equalsExactly(excluded as Leaf, leaf));
  if (!isPlainObject(operand)) return equalsExactly(operand as Leaf, leaf);
  if (typeof leaf !== 'string') return false;
  const [name, inner] = Object.entries(operand)[0] as [string, JsonValue];
  const patterns = (Array.isArray(inner) ? inner : [inner]) as string[];
  switch (name) {
    case 'prefix':
      return patterns.some((prefix) => leaf.startsWith(prefix));
    case 'suffix':
      return patterns.some((suffix) => leaf.endsWith(suffix));
    case 'equals-ignore-case':
      return patterns.some((text) => text.toLowerCase() === leaf.toLowerCase());
    case 'wildcard':
      return patterns.some((wildcard) => wildcardToRegExp(wildcard).test(leaf));
    default:
      return false;
  }
}

function satisfiesNumeric(comparisons: JsonValue[], value: number): boolean {
  for (let index = 0; index < comparisons.length; index += 2) {
    const bound = comparisons[index + 1] as number;
    const holds = {
      '<': value < bound,
      '<=': value <= bound,
      '=': value === bound,
      '>': value > bound,
      '>=': value >= bound,
    }[comparisons[index] as '<' | '<=' | '=' | '>' | '>='];
    if (!holds) return false;
  }
  return true;
}

/** `*` matches any run of characters; `\*` is a literal asterisk and `\\` a literal backslash. */
export function wildcardToRegExp(wildcard: string): RegExp {
  let source = '';
  for (let index = 0; index < wildcard.length; index++) {
    const char = wildcard[index] as string;
    if (char === '*') source += '.*';
    else if (char === '\\') source += escapeRegExp(wildcard[++index] ?? '\\');
    else source += escapeRegExp(char);
  }
  return new RegExp(`^${source}$`, 's');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function isInCidr(cidr: string, address: string): boolean {
  const range = parseCidr(cidr);
  const family = isIP(address);
  if (!range || family !== range.family) return false;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  const subnet = new BlockList();
  subnet.addSubnet(range.address, range.prefixLength, type);
  return subnet.check(address, type);
}
