/**
 * Turns an ASL definition (JSONPath or JSONata) into the graph the renderer draws: one node
 * per state (Map and Parallel states hold their iterator / branches as nested graphs), a
 * Start and an End node at the top level, and labelled edges for Next, Choice rules,
 * Default, Catch and the end of the execution.
 */
import { truncate, wrap } from './text';

export type NodeKind =
  | 'start'
  | 'end'
  | 'task'
  | 'choice'
  | 'pass'
  | 'wait'
  | 'succeed'
  | 'fail'
  | 'map'
  | 'parallel';
export type EdgeKind = 'next' | 'choice' | 'default' | 'catch' | 'end';

export interface FlowNode {
  /** Unique within its graph: `state:<name>`, `start` or `end`. */
  id: string;
  kind: NodeKind;
  /** The state name (or "Start" / "End"). */
  name: string;
  /** The small second line: the task's resource kind, the Wait duration, … */
  detail?: string;
  /** The state's Comment (shown as a tooltip). */
  comment?: string;
  /** Map: the item processor; Parallel: the branches, left to right. */
  children: FlowGraph[];
}

export interface FlowEdge {
  from: string;
  to: string;
  kind: EdgeKind;
  /** Label lines (empty for a plain Next). */
  label: string[];
}

export interface FlowGraph {
  /** Where the flow begins: `start` at the top level, the StartAt state inside Map and Parallel. */
  root: string;
  nodes: FlowNode[];
  edges: FlowEdge[];
}

/** The definition is not a state machine the renderer can draw. */
export class GraphDefinitionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GraphDefinitionError';
  }
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const stateId = (name: string) => `state:${name}`;

const LABEL_LINE = 34;

/** The graph of a whole state machine, with Start and End nodes. */
export function flowFromDefinition(definition: unknown): FlowGraph {
  return buildGraph(definition, 'the state machine', true);
}

function buildGraph(machine: unknown, where: string, topLevel: boolean): FlowGraph {
  if (!isObject(machine) || typeof machine.StartAt !== 'string' || !isObject(machine.States))
    throw new GraphDefinitionError(`${where} needs a StartAt string and a States object`);
  const states = machine.States;
  const names = Object.keys(states);
  if (!(machine.StartAt in states))
    throw new GraphDefinitionError(`${where} starts at "${machine.StartAt}", which is not one of its states`);

  const nodes: FlowNode[] = [];
  const edges: FlowEdge[] = [];
  const addEdge = (from: string, toName: string, kind: EdgeKind, label: string[]) => {
    if (!(toName in states))
      throw new GraphDefinitionError(
        `"${from.slice(6)}" goes to "${toName}", which is not a state in ${where}`,
      );
    const to = stateId(toName);
    const same = edges.find((e) => e.from === from && e.to === to && e.kind === kind);
    if (same) same.label.push(...label);
    else edges.push({ from, to, kind, label: [...label] });
  };

  if (topLevel) {
    nodes.push({ id: 'start', kind: 'start', name: 'Start', children: [] });
    edges.push({ from: 'start', to: stateId(machine.StartAt), kind: 'next', label: [] });
  }
  for (const name of names) {
    const state = states[name];
    if (!isObject(state) || typeof state.Type !== 'string')
      throw new GraphDefinitionError(`state "${name}" in ${where} has no Type`);
    const id = stateId(name);
    const node = nodeFor(name, state);
    if (typeof state.Comment === 'string' && state.Comment.trim())
      node.comment = truncate(state.Comment.trim(), 300);
    nodes.push(node);

    if (state.Type === 'Choice') {
      for (const rule of Array.isArray(state.Choices) ? state.Choices : []) {
        if (!isObject(rule) || typeof rule.Next !== 'string')
          throw new GraphDefinitionError(`a rule of Choice "${name}" has no Next`);
        addEdge(id, rule.Next, 'choice', wrap(describeRule(rule), LABEL_LINE, 3));
      }
      if (typeof state.Default === 'string') {
        const shared = edges.find((e) => e.from === id && e.to === stateId(state.Default as string));
        if (shared) shared.label.push('Default');
        else addEdge(id, state.Default, 'default', ['Default']);
      }
    }
    if (typeof state.Next === 'string') addEdge(id, state.Next, 'next', []);
    if (Array.isArray(state.Catch)) {
      for (const catcher of state.Catch) {
        if (!isObject(catcher) || typeof catcher.Next !== 'string')
          throw new GraphDefinitionError(`a Catch of "${name}" has no Next`);
        const errors = Array.isArray(catcher.ErrorEquals) ? catcher.ErrorEquals.map(String) : [];
        addEdge(id, catcher.Next, 'catch', catchLabel(errors));
      }
      for (const edge of edges)
        if (edge.from === id && edge.kind === 'catch') edge.label = mergeCatch(edge.label);
    }
    const ends = state.End === true || state.Type === 'Succeed' || state.Type === 'Fail';
    if (ends && topLevel) edges.push({ from: id, to: 'end', kind: 'end', label: [] });
  }
  if (topLevel) nodes.push({ id: 'end', kind: 'end', name: 'End', children: [] });
  return { root: topLevel ? 'start' : stateId(machine.StartAt), nodes, edges };
}

function nodeFor(name: string, state: Json): FlowNode {
  const node = (kind: NodeKind, detail?: string, children: FlowGraph[] = []): FlowNode =>
    detail === undefined
      ? { id: stateId(name), kind, name, children }
      : { id: stateId(name), kind, name, detail, children };
  switch (state.Type) {
    case 'Task':
      return node('task', resourceKind(state.Resource));
    case 'Choice':
      return node('choice');
    case 'Pass':
      return node('pass', 'Pass');
    case 'Wait':
      return node('wait', waitDetail(state));
    case 'Succeed':
      return node('succeed', 'Succeed');
    case 'Fail':
      return node('fail', typeof state.Error === 'string' ? truncate(`Fail · ${state.Error}`, 40) : 'Fail');
    case 'Map': {
      const processor = state.ItemProcessor ?? state.Iterator;
      return node('map', mapDetail(state), [buildGraph(processor, `the items of Map "${name}"`, false)]);
    }
    case 'Parallel': {
      const branches = Array.isArray(state.Branches) ? state.Branches : [];
      if (branches.length === 0) throw new GraphDefinitionError(`Parallel "${name}" has no Branches`);
      return node(
        'parallel',
        `Parallel · ${branches.length} branch${branches.length === 1 ? '' : 'es'}`,
        branches.map((branch, i) => buildGraph(branch, `branch ${i + 1} of Parallel "${name}"`, false)),
      );
    }
    default:
      throw new GraphDefinitionError(`state "${name}" has an unknown Type ${JSON.stringify(state.Type)}`);
  }
}

const SERVICES: Record<string, string> = {
  lambda: 'Lambda',
  dynamodb: 'DynamoDB',
  events: 'EventBridge',
  sns: 'SNS',
  sqs: 'SQS',
  s3: 'S3',
  states: 'Step Functions',
  ses: 'SES',
  sesv2: 'SES',
  ecs: 'ECS',
  batch: 'Batch',
  glue: 'Glue',
  athena: 'Athena',
  apigateway: 'API Gateway',
  rekognition: 'Rekognition',
  bedrock: 'Bedrock',
  http: 'HTTP',
  codebuild: 'CodeBuild',
  eks: 'EKS',
  sagemaker: 'SageMaker',
  emr: 'EMR',
};

/** "Lambda", "DynamoDB updateItem", "EventBridge putEvents", "SNS publish · wait for token", … */
export function resourceKind(resource: unknown): string {
  if (typeof resource !== 'string') return 'Task';
  const substitution = /^\$\{([^}]+)\}$/.exec(resource);
  if (substitution) {
    const name = substitution[1] ?? '';
    if (/function/i.test(name)) return 'Lambda';
    if (/activity/i.test(name)) return 'Activity';
    if (/statemachine/i.test(name)) return 'Step Functions';
    return 'Task';
  }
  if (/:lambda:.*:function:/.test(resource)) return 'Lambda';
  if (/:states:.*:activity:/.test(resource)) return 'Activity';
  const integration = /^arn:[^:]+:states:::(.+)$/.exec(resource);
  if (!integration) return 'Task';
  const [base = '', pattern] = (integration[1] ?? '').split('.', 2);
  const parts = base.split(':');
  const sdk = parts[0] === 'aws-sdk';
  const service = (sdk ? parts[1] : parts[0]) ?? '';
  const action = (sdk ? parts[2] : parts[1]) ?? '';
  const suffix =
    pattern === 'waitForTaskToken' ? ' · wait for token' : pattern?.startsWith('sync') ? ' · sync' : '';
  return `${SERVICES[service] ?? service} ${action}${suffix}`.trim();
}

function waitDetail(state: Json): string {
  if (state.Seconds !== undefined) return `Wait ${String(state.Seconds)} s`;
  if (typeof state.SecondsPath === 'string') return `Wait ${state.SecondsPath} s`;
  if (state.Timestamp !== undefined) return truncate(`Until ${String(state.Timestamp)}`, 40);
  if (typeof state.TimestampPath === 'string') return `Until ${state.TimestampPath}`;
  return 'Wait';
}

function mapDetail(state: Json): string {
  const processor = isObject(state.ItemProcessor) ? state.ItemProcessor : {};
  const config = isObject(processor.ProcessorConfig) ? processor.ProcessorConfig : {};
  const mode = config.Mode === 'DISTRIBUTED' ? 'Distributed map' : 'Map';
  if (typeof state.ItemsPath === 'string') return truncate(`${mode} over ${state.ItemsPath}`, 44);
  if (isObject(state.ItemReader))
    return truncate(`${mode} over ${resourceKind(state.ItemReader.Resource)}`, 44);
  return mode;
}

/** Error names of a Catch: one per line, a long dotted name split after its prefix, at most three. */
function catchLabel(errors: string[]): string[] {
  const lines: string[] = [];
  for (const error of errors.slice(0, 3)) {
    const dot = error.indexOf('.');
    if (error.length > 30 && dot > 0 && dot < error.length - 1) {
      lines.push(error.slice(0, dot + 1), truncate(error.slice(dot + 1), 34));
    } else lines.push(truncate(error, 34));
  }
  if (errors.length > 3) lines.push(`+${errors.length - 3} more`);
  return lines;
}

/** Several Catches to the same state: keep the label short. */
function mergeCatch(lines: string[]): string[] {
  return lines.length > 5 ? [...lines.slice(0, 4), '…'] : lines;
}

const COMPARISON =
  /^(String|Numeric|Boolean|Timestamp)(Equals|LessThanEquals|GreaterThanEquals|LessThan|GreaterThan|Matches)(Path)?$/;
const OPERATORS: Record<string, string> = {
  Equals: '==',
  LessThan: '<',
  GreaterThan: '>',
  LessThanEquals: '<=',
  GreaterThanEquals: '>=',
  Matches: 'matches',
};
const TESTS: Record<string, [string, string]> = {
  IsPresent: ['is present', 'is missing'],
  IsNull: ['is null', 'is not null'],
  IsString: ['is a string', 'is not a string'],
  IsNumeric: ['is a number', 'is not a number'],
  IsBoolean: ['is a boolean', 'is not a boolean'],
  IsTimestamp: ['is a timestamp', 'is not a timestamp'],
};

/** A short readable form of a Choice rule: `$.verdict.accepted == true`, `$.type in ("a", "b")`, … */
export function describeRule(rule: Json, negate = false): string {
  if (typeof rule.Condition === 'string') {
    const text = rule.Condition.replace(/^\{%\s*/, '').replace(/\s*%\}$/, '');
    return negate ? `not (${text})` : text;
  }
  if (isObject(rule.Not)) return describeRule(rule.Not, !negate);
  const compound = Array.isArray(rule.And) ? 'and' : Array.isArray(rule.Or) ? 'or' : undefined;
  if (compound) {
    const parts = ((compound === 'and' ? rule.And : rule.Or) as unknown[]).filter(isObject);
    const text = (compound === 'or' && sameVariableEquals(parts)) || joinRules(parts, compound);
    return negate ? `not (${text})` : text;
  }
  const variable = typeof rule.Variable === 'string' ? rule.Variable : '?';
  for (const [key, value] of Object.entries(rule)) {
    const test = TESTS[key];
    if (test) return `${variable} ${test[(value === true) !== negate ? 0 : 1]}`;
    const match = COMPARISON.exec(key);
    if (!match) continue;
    const [, type, comparison = 'Equals', path] = match;
    const shown = path || type === 'Numeric' || type === 'Boolean' ? String(value) : JSON.stringify(value);
    const text = `${variable} ${OPERATORS[comparison] ?? comparison} ${shown}`;
    if (!negate) return text;
    return comparison === 'Equals' ? text.replace(' == ', ' != ') : `not (${text})`;
  }
  return negate ? 'not (?)' : '?';
}

/** Or of equality tests on one variable: `$.type in ("restaurant", "cafe", "bar")`. */
function sameVariableEquals(parts: Json[]): string | undefined {
  const variable = parts[0]?.Variable;
  if (typeof variable !== 'string' || parts.length < 2) return undefined;
  const values: string[] = [];
  for (const part of parts) {
    const keys = Object.keys(part).filter((k) => k !== 'Variable');
    const key = keys[0];
    if (
      part.Variable !== variable ||
      keys.length !== 1 ||
      !key ||
      !/^(String|Numeric|Boolean)Equals$/.test(key)
    )
      return undefined;
    values.push(key === 'StringEquals' ? JSON.stringify(part[key]) : String(part[key]));
  }
  return `${variable} in (${values.join(', ')})`;
}

function joinRules(parts: Json[], operator: string): string {
  return parts
    .map((part) => {
      const text = describeRule(part);
      return Array.isArray(part.And) || Array.isArray(part.Or) ? `(${text})` : text;
    })
    .join(` ${operator} `);
}
