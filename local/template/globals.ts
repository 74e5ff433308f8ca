import { TemplateError } from './errors';
import { isRecord, type TemplateDocument } from './types';

/**
 * Sections SAM accepts under `Globals` (the `AWS::Serverless::` suffix) and the properties SAM
 * explicitly refuses there. Other properties are passed through: SAM's list of supported
 * properties keeps growing, and an unknown one is caught by SAM at deploy time anyway.
 */
const GLOBALS_SECTIONS: Readonly<Record<string, readonly string[]>> = {
  Function: ['Role', 'Policies', 'FunctionName', 'Events'],
  Api: ['StageName', 'DefinitionBody'],
  HttpApi: ['StageName', 'DefinitionBody', 'DefinitionUri'],
  SimpleTable: [],
  StateMachine: [],
  LayerVersion: [],
  CapacityProvider: [],
};

/**
 * Properties where the resource value replaces the Globals value instead of being appended
 * to it, even though both are lists (a function has exactly one architecture).
 */
const REPLACED_LISTS: Readonly<Record<string, readonly string[]>> = {
  Function: ['Architectures'],
};

/** SAM treats intrinsic functions as primitives when merging: the resource value wins. */
function isIntrinsic(value: Record<string, unknown>): boolean {
  const keys = Object.keys(value);
  const [key] = keys;
  return (
    keys.length === 1 && key !== undefined && (key === 'Ref' || key === 'Condition' || key.startsWith('Fn::'))
  );
}

function mergeValue(globalValue: unknown, localValue: unknown): unknown {
  if (Array.isArray(globalValue) && Array.isArray(localValue)) return [...globalValue, ...localValue];
  if (
    isRecord(globalValue) &&
    isRecord(localValue) &&
    !isIntrinsic(globalValue) &&
    !isIntrinsic(localValue)
  ) {
    const merged: Record<string, unknown> = { ...globalValue };
    for (const [key, value] of Object.entries(localValue)) {
      merged[key] = key in merged ? mergeValue(merged[key], value) : value;
    }
    return merged;
  }
  return localValue;
}

function mergeProperties(
  section: string,
  globalProperties: Record<string, unknown>,
  localProperties: Record<string, unknown>,
): Record<string, unknown> {
  const replaced = REPLACED_LISTS[section] ?? [];
  const merged: Record<string, unknown> = structuredClone(globalProperties);
  for (const [key, value] of Object.entries(localProperties)) {
    merged[key] = key in merged && !replaced.includes(key) ? mergeValue(merged[key], value) : value;
  }
  return merged;
}

function ignoredGlobals(
  fileName: string,
  logicalId: string,
  resource: Record<string, unknown>,
): '*' | string[] {
  const ignore = resource.IgnoreGlobals;
  if (ignore === undefined) return [];
  if (ignore === '*') return '*';
  if (Array.isArray(ignore) && ignore.every((item) => typeof item === 'string')) return ignore;
  throw new TemplateError(
    { fileName, path: `Resources.${logicalId}.IgnoreGlobals` },
    'IgnoreGlobals must be "*" or a list of property names',
  );
}

function parseGlobals(fileName: string, globals: unknown): Map<string, Record<string, unknown>> {
  if (!isRecord(globals)) {
    throw new TemplateError({ fileName, path: 'Globals' }, 'the Globals section must be a mapping');
  }
  const sections = new Map<string, Record<string, unknown>>();
  for (const [section, properties] of Object.entries(globals)) {
    const refused = GLOBALS_SECTIONS[section];
    if (!refused) {
      throw new TemplateError(
        { fileName, path: `Globals.${section}` },
        `'${section}' is not supported in Globals; use one of ${Object.keys(GLOBALS_SECTIONS).join(', ')}`,
      );
    }
    if (!isRecord(properties)) {
      throw new TemplateError({ fileName, path: `Globals.${section}` }, 'must be a mapping of properties');
    }
    for (const property of Object.keys(properties)) {
      if (refused.includes(property)) {
        throw new TemplateError(
          { fileName, path: `Globals.${section}.${property}` },
          `'${property}' is not a supported property of '${section}' in Globals`,
        );
      }
    }
    sections.set(section, properties);
  }
  return sections;
}

/** Event types whose API SAM creates implicitly when the event names no API of its own. */
const IMPLICIT_APIS = [
  {
    eventType: 'HttpApi',
    apiProperty: 'ApiId',
    logicalId: 'ServerlessHttpApi',
    type: 'AWS::Serverless::HttpApi',
  },
  {
    eventType: 'Api',
    apiProperty: 'RestApiId',
    logicalId: 'ServerlessRestApi',
    type: 'AWS::Serverless::Api',
  },
] as const;

function functionEvents(resource: Record<string, unknown>): Record<string, unknown>[] {
  if (resource.Type !== 'AWS::Serverless::Function' || !isRecord(resource.Properties)) return [];
  const events = resource.Properties.Events;
  return isRecord(events) ? Object.values(events).filter(isRecord) : [];
}

/**
 * Adds the APIs SAM creates for function events that name no API (`ServerlessHttpApi`,
 * `ServerlessRestApi`), as SAM does before it applies Globals.
 */
function addImplicitApis(resources: Record<string, unknown>): void {
  for (const api of IMPLICIT_APIS) {
    if (api.logicalId in resources) continue;
    const needed = Object.values(resources).some(
      (resource) =>
        isRecord(resource) &&
        functionEvents(resource).some(
          (event) =>
            event.Type === api.eventType &&
            !(isRecord(event.Properties) && api.apiProperty in event.Properties),
        ),
    );
    if (needed) {
      const properties = api.type === 'AWS::Serverless::Api' ? { StageName: 'Prod' } : {};
      resources[api.logicalId] = {
        Type: api.type,
        Properties: properties,
        Metadata: { SamImplicitApi: true },
      };
    }
  }
}

/**
 * Applies the SAM `Globals` section the way the SAM transform does and returns a new template
 * without it: scalars and intrinsics from the resource win, maps merge recursively, lists are
 * Globals entries followed by the resource's (except `Function.Architectures`, which the resource
 * replaces). Honours the `IgnoreGlobals` resource attribute. Like SAM, it first adds the implicit
 * `ServerlessHttpApi` / `ServerlessRestApi` resources (marked `Metadata.SamImplicitApi`) so that
 * Globals apply to them too. Returns a new template; the input is not modified.
 */
export function applySamGlobals(template: TemplateDocument, fileName = 'template'): TemplateDocument {
  const { Globals: globals, ...rest } = structuredClone(template);
  const resources = rest.Resources;
  if (isRecord(resources)) addImplicitApis(resources);
  if (globals === undefined || !isRecord(resources)) return rest;
  const sections = parseGlobals(fileName, globals);
  for (const [logicalId, resource] of Object.entries(resources)) {
    if (!isRecord(resource) || typeof resource.Type !== 'string') continue;
    if (!resource.Type.startsWith('AWS::Serverless::')) continue;
    const section = resource.Type.slice('AWS::Serverless::'.length);
    const globalProperties = sections.get(section);
    if (!globalProperties) continue;
    const ignore = ignoredGlobals(fileName, logicalId, resource);
    if (ignore === '*') continue;
    for (const property of ignore) {
      if (!(property in globalProperties)) {
        throw new TemplateError(
          { fileName, path: `Resources.${logicalId}.IgnoreGlobals` },
          `'${property}' is not set in Globals.${section}`,
        );
      }
    }
    const applicable = Object.fromEntries(
      Object.entries(globalProperties).filter(([key]) => !ignore.includes(key)),
    );
    const local = resource.Properties === undefined ? {} : resource.Properties;
    if (!isRecord(local)) continue;
    resource.Properties = mergeProperties(section, applicable, local);
  }
  return rest;
}
