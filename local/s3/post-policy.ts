/** POST policy documents (browser-based uploads): decoding, expiry and condition checks as S3 applies them. */
import { invalidPolicyDocument, policyDenied, S3RequestError } from './errors';

export type PolicyCondition =
  | { kind: 'eq'; field: string; label: string; value: string }
  | { kind: 'starts-with'; field: string; label: string; prefix: string }
  | { kind: 'content-length-range'; min: number; max: number };

export interface PostPolicy {
  expiration: Date;
  conditions: PolicyCondition[];
}

/** What the form submitted: field names lower-cased, `key` already has `${filename}` substituted. */
export interface SubmittedForm {
  fields: Map<string, string>;
  bucket: string;
}

/** Form fields that never need a policy condition. */
const FIELDS_EXEMPT_FROM_POLICY = new Set(['x-amz-signature', 'file', 'policy']);

export function decodePostPolicy(base64Policy: string): PostPolicy {
  let document: unknown;
  try {
    document = JSON.parse(Buffer.from(base64Policy, 'base64').toString('utf8'));
  } catch {
    throw invalidPolicyDocument('Invalid JSON.');
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw invalidPolicyDocument('Invalid JSON.');
  }
  const { expiration, conditions } = document as { expiration?: unknown; conditions?: unknown };
  if (expiration === undefined) throw invalidPolicyDocument('Policy missing expiration.');
  const expiresAt = typeof expiration === 'string' ? new Date(expiration) : undefined;
  if (!expiresAt || Number.isNaN(expiresAt.getTime())) {
    throw invalidPolicyDocument(`Invalid 'expiration' value: '${String(expiration)}'`);
  }
  if (conditions === undefined) throw invalidPolicyDocument('Policy missing conditions.');
  if (!Array.isArray(conditions)) throw invalidPolicyDocument("Invalid 'conditions' value: must be a list.");
  return { expiration: expiresAt, conditions: conditions.map(parseCondition) };
}

/** `$Content-Type` → field `content-type` (form field names are case-insensitive), label `Content-Type`. */
function fieldReference(reference: unknown, condition: unknown): { field: string; label: string } {
  if (typeof reference !== 'string' || !reference.startsWith('$') || reference.length < 2) {
    throw invalidPolicyDocument(`Invalid condition: ${JSON.stringify(condition)}`);
  }
  return { field: reference.slice(1).toLowerCase(), label: reference.slice(1) };
}

function toLength(value: unknown, condition: unknown): number {
  const length = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof length !== 'number' || !Number.isSafeInteger(length) || length < 0) {
    throw invalidPolicyDocument(`Invalid 'content-length-range' condition: ${JSON.stringify(condition)}`);
  }
  return length;
}

function parseCondition(condition: unknown): PolicyCondition {
  if (Array.isArray(condition)) {
    const [operator, first, second] = condition as unknown[];
    if (condition.length !== 3 || typeof operator !== 'string') {
      throw invalidPolicyDocument(`Invalid condition: ${JSON.stringify(condition)}`);
    }
    switch (operator.toLowerCase()) {
      case 'eq':
        if (typeof second !== 'string')
          throw invalidPolicyDocument(`Invalid condition: ${JSON.stringify(condition)}`);
        return { kind: 'eq', ...fieldReference(first, condition), value: second };
      case 'starts-with':
        if (typeof second !== 'string')
          throw invalidPolicyDocument(`Invalid condition: ${JSON.stringify(condition)}`);
        return { kind: 'starts-with', ...fieldReference(first, condition), prefix: second };
      case 'content-length-range':
        return {
          kind: 'content-length-range',
          min: toLength(first, condition),
          max: toLength(second, condition),
        };
      default:
        throw invalidPolicyDocument(`Unknown condition: ${operator}`);
    }
  }
  if (typeof condition === 'object' && condition !== null) {
    const entries = Object.entries(condition);
    const [entry] = entries;
    if (entries.length !== 1 || !entry || typeof entry[1] !== 'string') {
      throw invalidPolicyDocument(`Invalid Simple-Condition: ${JSON.stringify(condition)}`);
    }
    return { kind: 'eq', field: entry[0].toLowerCase(), label: entry[0], value: entry[1] };
  }
  throw invalidPolicyDocument(`Invalid condition: ${JSON.stringify(condition)}`);
}

/** The largest allowed upload size, or undefined when the policy has no content-length-range. */
export function maxAllowedSize(policy: PostPolicy): number | undefined {
  const maxima = policy.conditions.flatMap((c) => (c.kind === 'content-length-range' ? [c.max] : []));
  return maxima.length > 0 ? Math.max(...maxima) : undefined;
}

export function checkNotExpired(policy: PostPolicy, now: Date): void {
  if (now.getTime() > policy.expiration.getTime()) throw policyDenied('Policy expired.');
}

function describe(condition: PolicyCondition): string {
  const parts =
    condition.kind === 'content-length-range'
      ? [condition.kind, condition.min, condition.max]
      : [condition.kind, `$${condition.label}`, condition.kind === 'eq' ? condition.value : condition.prefix];
  return `[${parts.map((part) => JSON.stringify(part)).join(', ')}]`;
}

function submittedValue(form: SubmittedForm, field: string): string {
  return field === 'bucket' ? form.bucket : (form.fields.get(field) ?? '');
}

function holds(condition: PolicyCondition, form: SubmittedForm): boolean {
  if (condition.kind === 'content-length-range') return true;
  const value = submittedValue(form, condition.field);
  if (condition.kind === 'eq') return value === condition.value;
  if (condition.field === 'content-type') {
    return value.split(',').every((member) => member.trim().startsWith(condition.prefix));
  }
  return value.startsWith(condition.prefix);
}

/** Every eq/starts-with condition must hold and every submitted field must be covered by a condition. */
export function checkFieldConditions(policy: PostPolicy, form: SubmittedForm): void {
  for (const condition of policy.conditions) {
    if (!holds(condition, form)) throw policyDenied(`Policy Condition failed: ${describe(condition)}`);
  }
  const covered = new Set(
    policy.conditions.flatMap((c) => (c.kind === 'content-length-range' ? [] : [c.field])),
  );
  const extra = [...form.fields.keys()].filter(
    (name) => !FIELDS_EXEMPT_FROM_POLICY.has(name) && !name.startsWith('x-ignore-') && !covered.has(name),
  );
  if (extra.length > 0) throw policyDenied(`Extra input fields: ${extra.join(', ')}`);
}

/** Every content-length-range condition must hold for the real file size. */
export function checkContentLength(policy: PostPolicy, size: number): void {
  for (const condition of policy.conditions) {
    if (condition.kind !== 'content-length-range') continue;
    if (size > condition.max) {
      throw new S3RequestError(
        'EntityTooLarge',
        400,
        'Your proposed upload exceeds the maximum allowed size',
        {
          ProposedSize: size,
          MaxSizeAllowed: condition.max,
        },
      );
    }
    if (size < condition.min) {
      throw new S3RequestError(
        'EntityTooSmall',
        400,
        'Your proposed upload is smaller than the minimum allowed size',
        {
          ProposedSize: size,
          MinSizeAllowed: condition.min,
        },
      );
    }
  }
}
