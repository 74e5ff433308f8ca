import runtimeData from './data/lambda-runtime-deprecations.json';
import policyTemplatesData from './data/sam-policy-templates.json';
import samResourcesData from './data/sam-resources.json';
import type { SpecDb } from './spec-db';

/**
 * SAM policy template name → parameter names: the generated list from the SAM repository
 * (data/sam-policy-templates.json) merged with the spec database's SAMPolicyTemplate type.
 */
export function samPolicyTemplates(spec: SpecDb): ReadonlyMap<string, readonly string[]> {
  const templates = new Map<string, readonly string[]>(Object.entries(policyTemplatesData.templates));
  const function_ = spec.resource('AWS::Serverless::Function');
  const policies = function_?.properties.Policies?.type;
  const stack = policies ? [policies] : [];
  for (let type = stack.pop(); type; type = stack.pop()) {
    if (type.type === 'union') stack.push(...type.types);
    if (type.type === 'array') stack.push(type.element);
    if (type.type !== 'ref') continue;
    const definition = spec.typeDefinition(type.reference.$ref);
    if (definition?.name !== 'SAMPolicyTemplate') continue;
    for (const [name, property] of Object.entries(definition.properties)) {
      if (templates.has(name) || property.type.type !== 'ref') continue;
      const parameters = spec.typeDefinition(property.type.reference.$ref);
      templates.set(name, Object.keys(parameters?.properties ?? {}));
    }
  }
  return templates;
}

export interface RuntimeDeprecation {
  readonly identifier: string;
  readonly name: string;
  /** ISO date (YYYY-MM-DD) from which Lambda deprecates the runtime. */
  readonly deprecated: string;
}

export const runtimeDeprecations: readonly RuntimeDeprecation[] = runtimeData.runtimes;
export const runtimeDataRetrieved: string = runtimeData.retrieved;

/** Days before a scheduled deprecation from which using the runtime is a warning. */
export const RUNTIME_WARNING_DAYS = 180;

/** What the SAM translator accepts (data/sam-resources.json, generated from aws-sam-translator). */
export interface SamResourceData {
  /** SAM resource type → the property names SAM accepts, and those it requires itself. */
  readonly resources: Readonly<
    Record<string, { readonly properties: readonly string[]; readonly required: readonly string[] }>
  >;
  /** SAM resource type → the properties its Globals section accepts. */
  readonly globals: Readonly<Record<string, readonly string[]>>;
  /** SAM schema model name → the properties SAM requires in that nested type. */
  readonly nestedTypeRequired: Readonly<Record<string, readonly string[]>>;
  /** Every Lambda runtime identifier (cfn-lint's Runtime enum). */
  readonly lambdaRuntimes: readonly string[];
}

export const samResourceData: SamResourceData = samResourcesData;
