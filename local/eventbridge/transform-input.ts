import { JSONPath } from 'jsonpath-plus';
import { EventBridgeApiError } from './errors';
import type { EventBridgeEvent, JsonValue, TargetInputConfig } from './types';

/** What a predefined `<aws.events.*>` variable needs to know about the rule and the event's arrival. */
export interface TransformContext {
  ruleName: string;
  ruleArn: string;
  /** ISO 8601 time at which the bus accepted the event. */
  ingestionTime: string;
}

const PREDEFINED_VARIABLES = [
  'aws.events.rule-arn',
  'aws.events.rule-name',
  'aws.events.event',
  'aws.events.event.json',
  'aws.events.event.ingestion-time',
];
const MAX_VARIABLES = 100;
const PLACEHOLDER = /<([^<>\s]+)>/g;

/** Refuses a target input configuration that PutTargets would refuse. */
export function validateTargetInput(target: TargetInputConfig): void {
  const configured = [target.input, target.inputPath, target.inputTransformer].filter(
    (item) => item !== undefined,
  );
  if (configured.length > 1) {
    throw invalidTarget('Only one of Input, InputPath and InputTransformer may be set on a target');
  }
  if (target.input !== undefined) {
    try {
      JSON.parse(target.input);
    } catch {
      throw invalidTarget('Input must be valid JSON text');
    }
  }
  if (target.inputPath !== undefined) requireJsonPath('InputPath', target.inputPath);
  const pathsMap = target.inputTransformer?.inputPathsMap ?? {};
  const names = Object.keys(pathsMap);
  if (names.length > MAX_VARIABLES)
    throw invalidTarget(`InputPathsMap may define at most ${MAX_VARIABLES} variables`);
  for (const name of names) {
    if (PREDEFINED_VARIABLES.includes(name)) throw invalidTarget(`InputPathsMap cannot redefine ${name}`);
    requireJsonPath(`InputPathsMap.${name}`, pathsMap[name] as string);
  }
}

/**
 * The text EventBridge hands to a target for a matched event: the constant `input`, the part of the
 * event selected by `inputPath`, the filled `inputTransformer` template, or else the whole event as JSON.
 */
export function transformInput(
  target: TargetInputConfig,
  event: EventBridgeEvent,
  context: TransformContext,
): string {
  if (target.input !== undefined) return target.input;
  if (target.inputPath !== undefined) return JSON.stringify(selectPath(target.inputPath, event) ?? null);
  if (target.inputTransformer === undefined) return JSON.stringify(event);
  const variables = resolveVariables(target.inputTransformer.inputPathsMap ?? {}, event, context);
  return fillTemplate(target.inputTransformer.inputTemplate, variables);
}

function resolveVariables(
  pathsMap: Record<string, string>,
  event: EventBridgeEvent,
  context: TransformContext,
): Map<string, JsonValue | undefined> {
  const { detail: _detail, ...eventWithoutDetail } = event;
  const variables = new Map<string, JsonValue | undefined>([
    ['aws.events.rule-arn', context.ruleArn],
    ['aws.events.rule-name', context.ruleName],
    ['aws.events.event', eventWithoutDetail as JsonValue],
    ['aws.events.event.json', event as unknown as JsonValue],
    ['aws.events.event.ingestion-time', context.ingestionTime],
  ]);
  for (const [name, path] of Object.entries(pathsMap)) variables.set(name, selectPath(path, event));
  return variables;
}

/** One value for a definite path, the list of matches for a path with wildcards, undefined when nothing matches. */
function selectPath(path: string, event: EventBridgeEvent): JsonValue | undefined {
  const matches = JSONPath({
    path,
    json: event as unknown as JsonValue[],
    wrap: true,
    eval: false,
  }) as JsonValue[];
  if (matches.length === 0) return undefined;
  return isDefinitePath(path) ? matches[0] : matches;
}

function isDefinitePath(path: string): boolean {
  return !/\*|\.\.|,|\?\(|:/.test(path);
}

interface PlaceholderSite {
  start: number;
  end: number;
  name: string;
  insideString: boolean;
}

/**
 * Substitutes `<name>` placeholders. When the template is JSON, a placeholder outside quotes becomes
 * a JSON value (a missing one becomes null) and one inside quotes becomes text (a missing one is empty,
 * objects lose their quotes). Any other template is plain text: values go in as text, missing ones empty.
 */
function fillTemplate(template: string, variables: Map<string, JsonValue | undefined>): string {
  const sites = findPlaceholders(template, variables);
  const isJson = parsesAsJson(substitute(template, sites, (site) => (site.insideString ? '' : 'null')));
  return substitute(template, sites, (site) => {
    const value = variables.get(site.name);
    if (!isJson) return asPlainText(value);
    return site.insideString ? asTextInsideJsonString(value) : JSON.stringify(value ?? null);
  });
}

function findPlaceholders(
  template: string,
  variables: Map<string, JsonValue | undefined>,
): PlaceholderSite[] {
  const sites: PlaceholderSite[] = [];
  for (const match of template.matchAll(PLACEHOLDER)) {
    const name = match[1] as string;
    if (!variables.has(name)) continue;
    const start = match.index ?? 0;
    sites.push({
      start,
      end: start + match[0].length,
      name,
      insideString: isInsideJsonString(template, start),
    });
  }
  return sites;
}

/** Whether an unescaped, unclosed double quote precedes this position. */
function isInsideJsonString(template: string, position: number): boolean {
  let inside = false;
  for (let index = 0; index < position; index++) {
    const char = template[index];
    if (inside && char === '\\') index++;
    else if (char === '"') inside = !inside;
  }
  return inside;
}

function substitute(
  template: string,
  sites: PlaceholderSite[],
  render: (site: PlaceholderSite) => string,
): string {
  let output = '';
  let cursor = 0;
  for (const site of sites) {
    output += template.slice(cursor, site.start) + render(site);
    cursor = site.end;
  }
  return output + template.slice(cursor);
}

function parsesAsJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function asPlainText(value: JsonValue | undefined): string {
  if (value === undefined) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function asTextInsideJsonString(value: JsonValue | undefined): string {
  if (value === undefined) return '';
  if (typeof value === 'object' && value !== null)
    return escapeForJsonString(JSON.stringify(value).replaceAll('"', ''));
  return escapeForJsonString(String(value));
}

function escapeForJsonString(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}

function requireJsonPath(field: string, path: string): void {
  if (typeof path !== 'string' || !path.startsWith('$'))
    throw invalidTarget(`${field} must be a JSONPath starting with $`);
}

function invalidTarget(message: string): EventBridgeApiError {
  return new EventBridgeApiError('ValidationException', message);
}
