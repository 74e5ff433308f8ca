import { IamPolicyError } from './conditions';
import managedData from './data/aws-managed-policies.json';
import templateData from './data/sam-policy-templates.json';
import type { PolicyDocument } from './evaluate';

/** Where the stack's pseudo parameters come from while expanding a policy template. */
export interface StackScope {
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
}

interface TemplateEntry {
  readonly Definition: PolicyDocument;
  readonly Parameters: Readonly<Record<string, unknown>>;
}

const TEMPLATES = (templateData as unknown as { templates: Record<string, TemplateEntry> }).templates;
const MANAGED = (managedData as unknown as { policies: Record<string, { document: PolicyDocument }> })
  .policies;

export function isPolicyTemplate(name: string): boolean {
  return Object.hasOwn(TEMPLATES, name);
}

function pseudo(name: string, scope: StackScope): string | undefined {
  if (name === 'AWS::Partition') return scope.partition;
  if (name === 'AWS::Region') return scope.region;
  if (name === 'AWS::AccountId') return scope.accountId;
  return undefined;
}

/**
 * A SAM policy template expanded as aws-sam-translator expands it: its Definition with each
 * `Ref` to a template parameter replaced by the given value and `Fn::Sub` evaluated (the
 * definitions use only `Ref` and `Fn::Sub`). Every parameter the template declares is required.
 */
export function expandPolicyTemplate(name: string, parameters: unknown, scope: StackScope): PolicyDocument {
  const template = TEMPLATES[name];
  if (!template) throw new IamPolicyError(`${name} is not a SAM policy template known to local/iam/data`);
  const given = (typeof parameters === 'object' && parameters !== null ? parameters : {}) as Record<
    string,
    unknown
  >;
  for (const parameter of Object.keys(template.Parameters)) {
    if (given[parameter] === undefined)
      throw new IamPolicyError(`policy template ${name} needs its ${parameter} parameter`);
    if (typeof given[parameter] !== 'string' && typeof given[parameter] !== 'number')
      throw new IamPolicyError(`policy template ${name}: ${parameter} must resolve to a string`);
  }
  const resolve = (node: unknown, variables: Record<string, string>): unknown => {
    if (Array.isArray(node)) return node.map((item) => resolve(item, variables));
    if (typeof node !== 'object' || node === null) return node;
    const record = node as Record<string, unknown>;
    if (typeof record.Ref === 'string' && Object.keys(record).length === 1) {
      const value = given[record.Ref] ?? pseudo(record.Ref, scope);
      if (value === undefined) throw new IamPolicyError(`policy template ${name}: unknown Ref ${record.Ref}`);
      return String(value);
    }
    if (record['Fn::Sub'] !== undefined && Object.keys(record).length === 1) {
      const sub = record['Fn::Sub'];
      const [text, bindings] = Array.isArray(sub) ? sub : [sub, {}];
      const local: Record<string, string> = { ...variables };
      for (const [key, value] of Object.entries(bindings as Record<string, unknown>))
        local[key] = String(resolve(value, variables));
      return String(text).replace(/\$\{([^}!]+)\}/g, (match, key: string) => {
        const value =
          local[key] ?? (given[key] === undefined ? undefined : String(given[key])) ?? pseudo(key, scope);
        if (value === undefined)
          throw new IamPolicyError(`policy template ${name}: cannot substitute ${match}`);
        return value;
      });
    }
    const key = Object.keys(record).find((candidate) => candidate.startsWith('Fn::'));
    if (key) throw new IamPolicyError(`policy template ${name}: ${key} is not supported`);
    return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, resolve(v, variables)]));
  };
  return resolve(template.Definition, {}) as PolicyDocument;
}

/** The document of an AWS managed policy kept in local/iam/data, by ARN (partition `aws`). */
export function managedPolicyDocument(arn: string): PolicyDocument | undefined {
  return MANAGED[arn.replace(/^arn:aws-[a-z-]+:/, 'arn:aws:')]?.document;
}

/** SAM accepts a managed policy by name as well as by ARN (`AWSXrayWriteOnlyAccess`). */
export function managedPolicyArn(nameOrArn: string, partition: string): string {
  if (nameOrArn.startsWith('arn:')) return nameOrArn;
  const known = Object.keys(MANAGED).find((arn) => arn.endsWith(`/${nameOrArn}`));
  return (known ?? `arn:aws:iam::aws:policy/${nameOrArn}`).replace(/^arn:aws:/, `arn:${partition}:`);
}
