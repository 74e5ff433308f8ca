import { isIP } from 'node:net';

/**
 * IAM condition operators (Condition blocks of policy statements), as the IAM User Guide's
 * "IAM JSON policy elements: Condition operators" defines them.
 */

/** A request context value: single-valued keys hold a string, multivalued keys an array. */
export type ContextValue = string | number | boolean | readonly (string | number | boolean)[];
/** Request context keys (case-insensitive, as in AWS), e.g. `aws:SourceArn`, `s3:prefix`. */
export type RequestContext = Readonly<Record<string, ContextValue | undefined>>;

export class IamPolicyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IamPolicyError';
  }
}

/** Compiled wildcard patterns (policies are few and fixed, requests many). */
const compiled = new Map<string, RegExp>();

/** `*` and `?` wildcards (case-sensitive unless `ignoreCase`). */
export function globMatches(pattern: string, value: string, ignoreCase = false): boolean {
  const cacheKey = `${ignoreCase ? 'i' : 's'}${pattern}`;
  let regex = compiled.get(cacheKey);
  if (!regex) {
    const source = pattern
      .split('')
      .map((char) => (char === '*' ? '.*' : char === '?' ? '.' : char.replace(/[.+^${}()|[\]\\/-]/g, '\\$&')))
      .join('');
    regex = new RegExp(`^${source}$`, ignoreCase ? 'is' : 's');
    if (compiled.size < 10_000) compiled.set(cacheKey, regex);
  }
  return regex.test(value);
}

/** ARN matching of ArnLike/ArnEquals: each of the six colon-delimited parts matched on its own. */
function arnMatches(pattern: string, value: string): boolean {
  const split = (arn: string) => {
    const parts = arn.split(':');
    return parts.length < 6 ? undefined : [...parts.slice(0, 5), parts.slice(5).join(':')];
  };
  const p = split(pattern);
  const v = split(value);
  if (!p || !v) return false;
  return p.every((part, index) => globMatches(part, v[index] as string));
}

function toNumber(text: string): number | undefined {
  if (text.trim() === '') return undefined;
  const number = Number(text);
  return Number.isFinite(number) ? number : undefined;
}

/** ISO 8601 dates or epoch seconds, as IAM accepts both. */
function toDate(text: string): number | undefined {
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const time = Date.parse(text);
  return Number.isNaN(time) ? undefined : time;
}

function addressBits(address: string): { bits: bigint; width: number } | undefined {
  const version = isIP(address);
  if (version === 4) {
    return {
      bits: address.split('.').reduce((sum, part) => (sum << 8n) + BigInt(Number(part)), 0n),
      width: 32,
    };
  }
  if (version === 6) {
    const [head = '', tail] = address.split('::');
    const groups = (text: string) => (text === '' ? [] : text.split(':'));
    const left = groups(head);
    const right = tail === undefined ? [] : groups(tail);
    const all = [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
    return {
      bits: all.reduce((sum, group) => (sum << 16n) + BigInt(Number.parseInt(group, 16)), 0n),
      width: 128,
    };
  }
  return undefined;
}

function inCidr(cidr: string, address: string): boolean {
  const [base = '', prefixText] = cidr.split('/');
  const network = addressBits(base);
  const value = addressBits(address);
  if (!network || !value || network.width !== value.width) return false;
  const prefix = prefixText === undefined ? network.width : Number(prefixText);
  const shift = BigInt(network.width - prefix);
  return network.bits >> shift === value.bits >> shift;
}

type Matcher = (policyValue: string, requestValue: string) => boolean;

const numeric =
  (compare: (a: number, b: number) => boolean): Matcher =>
  (policy, request) => {
    const a = toNumber(request);
    const b = toNumber(policy);
    return a !== undefined && b !== undefined && compare(a, b);
  };
const date =
  (compare: (a: number, b: number) => boolean): Matcher =>
  (policy, request) => {
    const a = toDate(request);
    const b = toDate(policy);
    return a !== undefined && b !== undefined && compare(a, b);
  };

/** Each operator: how one policy value matches one request value, and whether it is negated. */
const OPERATORS: Readonly<Record<string, { match: Matcher; negated?: boolean }>> = {
  StringEquals: { match: (p, r) => p === r },
  StringNotEquals: { match: (p, r) => p === r, negated: true },
  StringEqualsIgnoreCase: { match: (p, r) => p.toLowerCase() === r.toLowerCase() },
  StringNotEqualsIgnoreCase: { match: (p, r) => p.toLowerCase() === r.toLowerCase(), negated: true },
  StringLike: { match: (p, r) => globMatches(p, r) },
  StringNotLike: { match: (p, r) => globMatches(p, r), negated: true },
  NumericEquals: { match: numeric((a, b) => a === b) },
  NumericNotEquals: { match: numeric((a, b) => a === b), negated: true },
  NumericLessThan: { match: numeric((a, b) => a < b) },
  NumericLessThanEquals: { match: numeric((a, b) => a <= b) },
  NumericGreaterThan: { match: numeric((a, b) => a > b) },
  NumericGreaterThanEquals: { match: numeric((a, b) => a >= b) },
  DateEquals: { match: date((a, b) => a === b) },
  DateNotEquals: { match: date((a, b) => a === b), negated: true },
  DateLessThan: { match: date((a, b) => a < b) },
  DateLessThanEquals: { match: date((a, b) => a <= b) },
  DateGreaterThan: { match: date((a, b) => a > b) },
  DateGreaterThanEquals: { match: date((a, b) => a >= b) },
  Bool: { match: (p, r) => p.toLowerCase() === r.toLowerCase() },
  BinaryEquals: { match: (p, r) => p === r },
  IpAddress: { match: (p, r) => inCidr(p, r) },
  NotIpAddress: { match: (p, r) => inCidr(p, r), negated: true },
  ArnEquals: { match: arnMatches },
  ArnLike: { match: arnMatches },
  ArnNotEquals: { match: arnMatches, negated: true },
  ArnNotLike: { match: arnMatches, negated: true },
};

/** The value of a context key; keys compare case-insensitively. */
export function contextValue(context: RequestContext, key: string): ContextValue | undefined {
  const wanted = key.toLowerCase();
  for (const [name, value] of Object.entries(context)) if (name.toLowerCase() === wanted) return value;
  return undefined;
}

function asStrings(value: ContextValue | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return (Array.isArray(value) ? value : [value]).map(String);
}

/**
 * Replaces the policy variables `${aws:username}`, `${s3:prefix}`, … by their context values, and
 * `${*}`, `${?}`, `${$}` by the literal characters. Undefined when a variable has no value (the
 * pattern then matches nothing) or a multivalued one.
 */
export function substituteVariables(text: string, context: RequestContext): string | undefined {
  // Most ARNs and values hold no variable: skip the replace, which every authorization runs per pattern.
  if (!text.includes('${')) return text;
  let missing = false;
  const replaced = text.replace(/\$\{([^}]+)\}/g, (_, inner: string) => {
    if (inner === '*' || inner === '?' || inner === '$') return inner;
    const [key = '', fallback] = inner.split(/\s*,\s*/);
    const value = contextValue(context, key.trim());
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
      return String(value);
    const defaulted = fallback?.match(/^'(.*)'$/)?.[1];
    if (defaulted !== undefined) return defaulted;
    missing = true;
    return '';
  });
  return missing ? undefined : replaced;
}

/**
 * One operator block `{ "<key>": value | [values] }` against the request context. Keys are ANDed,
 * values of one key ORed; negated operators match when no value matches. A missing key fails a
 * positive operator and passes a negated one (as AWS evaluates them), passes with `…IfExists`.
 * `ForAnyValue:` / `ForAllValues:` compare a multivalued key's set of values.
 */
export function operatorMatches(operatorName: string, block: unknown, context: RequestContext): boolean {
  const qualifier = /^(ForAnyValue|ForAllValues):/.exec(operatorName)?.[1];
  let name = qualifier ? operatorName.slice(qualifier.length + 1) : operatorName;
  const ifExists = name.endsWith('IfExists') && name !== 'IfExists';
  if (ifExists) name = name.slice(0, -'IfExists'.length);
  if (typeof block !== 'object' || block === null || Array.isArray(block))
    throw new IamPolicyError(`condition operator ${operatorName} must map condition keys to values`);

  return Object.entries(block as Record<string, unknown>).every(([key, raw]) => {
    const policyValues = (Array.isArray(raw) ? raw : [raw]).map(String);
    const requestValues = asStrings(contextValue(context, key));
    if (name === 'Null') {
      const absent = requestValues === undefined || requestValues.length === 0;
      return policyValues.some((value) => (value.toLowerCase() === 'true') === absent);
    }
    const operator = OPERATORS[name];
    if (!operator) throw new IamPolicyError(`condition operator ${operatorName} is not supported`);
    const resolved = policyValues
      .map((value) => substituteVariables(value, context))
      .filter((value): value is string => value !== undefined);
    const matchesOne = (requestValue: string) =>
      resolved.some((value) => operator.match(value, requestValue));

    if (qualifier === 'ForAllValues') {
      if (!requestValues || requestValues.length === 0) return true;
      return requestValues.every((value) => (operator.negated ? !matchesOne(value) : matchesOne(value)));
    }
    if (qualifier === 'ForAnyValue') {
      if (!requestValues || requestValues.length === 0) return false;
      return requestValues.some((value) => (operator.negated ? !matchesOne(value) : matchesOne(value)));
    }
    if (requestValues === undefined) return ifExists || operator.negated === true;
    const anyMatch = requestValues.some(matchesOne);
    return operator.negated ? !anyMatch : anyMatch;
  });
}

/** A statement's whole Condition element: every operator block must match. */
export function conditionMatches(condition: unknown, context: RequestContext): boolean {
  if (condition === undefined) return true;
  if (typeof condition !== 'object' || condition === null || Array.isArray(condition))
    throw new IamPolicyError('Condition must map condition operators to blocks');
  return Object.entries(condition as Record<string, unknown>).every(([operator, block]) =>
    operatorMatches(operator, block, context),
  );
}
