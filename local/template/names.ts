import { createHash } from 'node:crypto';

const UPPER_ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const LOWER_ALPHANUMERIC = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** Deterministic pseudo-random characters derived from `seed` (stands in for CloudFormation's random ids). */
export function stableToken(
  seed: string,
  length: number,
  alphabet: 'upper' | 'lower' | 'hex' = 'upper',
): string {
  let output = '';
  let counter = 0;
  while (output.length < length) {
    const digest = createHash('sha256').update(`${seed}#${counter}`).digest();
    for (const byte of digest) {
      if (output.length >= length) break;
      if (alphabet === 'hex') output += byte.toString(16).padStart(2, '0').slice(0, 1);
      else output += (alphabet === 'upper' ? UPPER_ALPHANUMERIC : LOWER_ALPHANUMERIC)[byte % 36];
    }
    counter += 1;
  }
  return output;
}

/** A deterministic UUID-shaped id (version 4 layout) derived from `seed`. */
export function stableUuid(seed: string): string {
  const hex = createHash('sha256').update(seed).digest('hex');
  const variant = ((Number.parseInt(hex.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export interface GeneratedNameOptions {
  readonly stackName: string;
  readonly logicalId: string;
  /** Seed that makes the suffix unique (defaults to stack + logical id). */
  readonly seed?: string;
  readonly maxLength: number;
  readonly lowerCase?: boolean;
  /** Leave the stack name out (`<LogicalId>-<suffix>`), as CloudFormation does for some types. */
  readonly withoutStackName?: boolean;
  readonly suffixLength?: number;
}

/**
 * The physical name CloudFormation generates when a template gives none:
 * `<stack>-<LogicalId>-<SUFFIX>`, stack name and logical id shortened to fit `maxLength`.
 */
export function generatedName(options: GeneratedNameOptions): string {
  const suffixLength = options.suffixLength ?? 12;
  const suffix = stableToken(
    options.seed ?? `${options.stackName}/${options.logicalId}`,
    suffixLength,
    options.lowerCase ? 'lower' : 'upper',
  );
  const parts = options.withoutStackName ? [options.logicalId] : [options.stackName, options.logicalId];
  const budget = options.maxLength - suffixLength - parts.length;
  let stackPart = options.withoutStackName ? '' : options.stackName;
  let idPart = options.logicalId;
  if (stackPart.length + idPart.length > budget) {
    if (options.withoutStackName) {
      idPart = idPart.slice(0, budget);
    } else {
      idPart = idPart.slice(0, Math.max(budget - stackPart.length, Math.ceil(budget / 2)));
      stackPart = stackPart.slice(0, budget - idPart.length).replace(/-+$/, '');
    }
  }
  const name = [stackPart, idPart, suffix].filter((part) => part !== '').join('-');
  return options.lowerCase ? name.toLowerCase() : name;
}
