import { TemplateError } from './errors';
import type { ResolvedParameter } from './parameters';
import { modelFor, type ResourceContext, type ResourceModel, type ResourceTypeModel } from './resource-model';
import { intrinsicName, isRecord } from './types';

/** What `{ "Ref": "AWS::NoValue" }` resolves to: removed from the enclosing map or list. */
export const NO_VALUE: unique symbol = Symbol('AWS::NoValue');

export interface StackIdentity {
  readonly fileName: string;
  readonly stackName: string;
  readonly stackId: string;
  readonly region: string;
  readonly accountId: string;
  readonly partition: string;
  readonly urlSuffix: string;
}

export interface ResolverInput extends StackIdentity {
  readonly resources: Readonly<Record<string, Record<string, unknown>>>;
  readonly parameters: ReadonlyMap<string, ResolvedParameter>;
  readonly mappings: Readonly<Record<string, unknown>>;
  readonly conditions: Readonly<Record<string, unknown>>;
  readonly imports: ReadonlyMap<string, string>;
  readonly model: ResourceModel;
  readonly resourceLines: Readonly<Record<string, number>>;
}

interface ResourceEntry {
  readonly type: string;
  readonly declaration: Record<string, unknown>;
  /** Created by SAM rather than declared (e.g. a function's `<Id>Role`). */
  readonly implicit: boolean;
}

const CONDITION_FUNCTIONS = new Set(['Fn::Equals', 'Fn::And', 'Fn::Or', 'Fn::Not']);
const SUB_VARIABLE = /\$\{([^}]*)\}/g;

function scalarToString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/** Types whose SAM transform adds an execution role `<LogicalId>Role` unless `Role` is given. */
const TYPES_WITH_IMPLICIT_ROLE = new Set(['AWS::Serverless::Function', 'AWS::Serverless::StateMachine']);

/**
 * Evaluates conditions and intrinsic functions of one stack. Values are computed lazily and
 * cached; a value that needs itself (through names, Refs or attributes) is a circular reference.
 */
export class StackResolver {
  private readonly conditionValues = new Map<string, boolean>();
  private readonly conditionChain: string[] = [];
  private readonly valueCache = new Map<string, unknown>();
  private readonly valueChain: string[] = [];
  private inConditions = false;
  /** Export names read through Fn::ImportValue. */
  readonly importedNames = new Set<string>();

  constructor(private readonly input: ResolverInput) {}

  get fileName(): string {
    return this.input.fileName;
  }

  fail(path: string, detail: string): never {
    const logicalId = /^Resources\.([^.[]+)/.exec(path)?.[1];
    const line = logicalId === undefined ? undefined : this.input.resourceLines[logicalId];
    throw new TemplateError({ fileName: this.input.fileName, path, line }, detail);
  }

  /** Resolves every intrinsic function in `value`; may return `NO_VALUE`. */
  resolve(value: unknown, path: string): unknown {
    if (Array.isArray(value)) {
      return value
        .map((item, index) => this.resolve(item, `${path}[${index}]`))
        .filter((item) => item !== NO_VALUE);
    }
    if (!isRecord(value)) return value;
    const fn = intrinsicName(value);
    if (fn !== undefined) return this.intrinsic(fn, value[fn], path);
    const resolved: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      if (key.startsWith('Fn::')) this.fail(`${path}.${key}`, `${key} is not supported by the local runtime`);
      const result = this.resolve(item, `${path}.${key}`);
      if (result !== NO_VALUE) resolved[key] = result;
    }
    return resolved;
  }

  condition(name: string, path: string): boolean {
    const cached = this.conditionValues.get(name);
    if (cached !== undefined) return cached;
    if (!(name in this.input.conditions))
      this.fail(path, `condition '${name}' is not declared in Conditions`);
    if (this.conditionChain.includes(name)) {
      this.fail(`Conditions.${name}`, `circular condition: ${[...this.conditionChain, name].join(' → ')}`);
    }
    this.conditionChain.push(name);
    const outerScope = this.inConditions;
    this.inConditions = true;
    try {
      const value = this.evaluateCondition(this.input.conditions[name], `Conditions.${name}`);
      this.conditionValues.set(name, value);
      return value;
    } finally {
      this.inConditions = outerScope;
      this.conditionChain.pop();
    }
  }

  /** Declared resources whose Condition holds (those CloudFormation would create). */
  isLive(logicalId: string): boolean {
    const declaration = this.input.resources[logicalId];
    if (!declaration) return false;
    const condition = declaration.Condition;
    if (condition === undefined) return true;
    if (typeof condition !== 'string')
      this.fail(`Resources.${logicalId}.Condition`, 'Condition must be a name');
    return this.condition(condition, `Resources.${logicalId}.Condition`);
  }

  ref(name: string, path: string): unknown {
    const parameter = this.input.parameters.get(name);
    if (parameter) return Array.isArray(parameter.value) ? [...parameter.value] : parameter.value;
    if (name.startsWith('AWS::')) return this.pseudoParameter(name, path);
    const { entry, model } = this.referencedResource(name, path, 'Ref');
    return this.cached(`Ref ${name}`, path, () => model.ref(this.context(name, entry, path)));
  }

  getAtt(logicalId: string, attribute: string, path: string): unknown {
    if (this.input.parameters.has(logicalId)) {
      this.fail(path, `Fn::GetAtt needs a resource, but '${logicalId}' is a parameter`);
    }
    const { entry, model } = this.referencedResource(logicalId, path, 'Fn::GetAtt');
    const compute = model.attributes[attribute];
    if (!compute) {
      this.fail(
        path,
        `Fn::GetAtt ${logicalId}.${attribute}: attribute ${attribute} of ${entry.type} is not supported by the local runtime`,
      );
    }
    return this.cached(`Fn::GetAtt ${logicalId}.${attribute}`, path, () =>
      compute(this.context(logicalId, entry, path)),
    );
  }

  /** The resolved value of one property of a resource (undefined when absent or AWS::NoValue). */
  resourceProperty(logicalId: string, property: string): unknown {
    const path = `Resources.${logicalId}.Properties.${property}`;
    const entry = this.resourceEntry(logicalId);
    const properties = entry?.declaration.Properties;
    if (!isRecord(properties) || !(property in properties)) return undefined;
    if (property.startsWith('Fn::')) this.fail(path, `${property} is not supported by the local runtime`);
    const value = this.cached(`${logicalId}.Properties.${property}`, path, () =>
      this.resolve(properties[property], path),
    );
    return value === NO_VALUE ? undefined : value;
  }

  resourceEntry(logicalId: string): ResourceEntry | undefined {
    const declaration = this.input.resources[logicalId];
    if (declaration) {
      const type = declaration.Type;
      return { type: typeof type === 'string' ? type : '', declaration, implicit: false };
    }
    if (!logicalId.endsWith('Role')) return undefined;
    const owner = this.input.resources[logicalId.slice(0, -'Role'.length)];
    if (!owner || typeof owner.Type !== 'string' || !TYPES_WITH_IMPLICIT_ROLE.has(owner.Type))
      return undefined;
    if (isRecord(owner.Properties) && owner.Properties.Role !== undefined) return undefined;
    const implicitRole: Record<string, unknown> = { Type: 'AWS::IAM::Role', Properties: {} };
    if (owner.Condition !== undefined) implicitRole.Condition = owner.Condition;
    return { type: 'AWS::IAM::Role', declaration: implicitRole, implicit: true };
  }

  /** Logical ids of resources that `value` references (Ref, Fn::GetAtt, Fn::Sub), following taken Fn::If branches only. */
  referencedResources(value: unknown, path: string, found = new Set<string>()): Set<string> {
    const note = (name: string) => {
      if (!this.input.parameters.has(name) && this.resourceEntry(name)) found.add(name);
    };
    if (Array.isArray(value)) {
      for (const [index, item] of value.entries()) this.referencedResources(item, `${path}[${index}]`, found);
      return found;
    }
    if (!isRecord(value)) return found;
    const fn = intrinsicName(value);
    const argument = fn === undefined ? undefined : value[fn];
    if (fn === undefined) {
      for (const [key, item] of Object.entries(value))
        this.referencedResources(item, `${path}.${key}`, found);
    } else if (fn === 'Ref' && typeof argument === 'string') {
      note(argument);
    } else if (fn === 'Fn::GetAtt') {
      const target =
        typeof argument === 'string' ? argument.split('.')[0] : Array.isArray(argument) ? argument[0] : '';
      if (typeof target === 'string') note(target);
      if (Array.isArray(argument)) this.referencedResources(argument.slice(1), path, found);
    } else if (fn === 'Fn::Sub') {
      const [text, variables] = Array.isArray(argument) ? argument : [argument, {}];
      const names = isRecord(variables) ? Object.keys(variables) : [];
      if (typeof text === 'string') {
        for (const match of text.matchAll(SUB_VARIABLE)) {
          const inner = match[1] ?? '';
          if (!inner.startsWith('!') && !names.includes(inner)) note(inner.split('.')[0] ?? '');
        }
      }
      if (isRecord(variables)) this.referencedResources(Object.values(variables), path, found);
    } else if (fn === 'Fn::If' && Array.isArray(argument) && typeof argument[0] === 'string') {
      const taken = this.condition(argument[0], path) ? argument[1] : argument[2];
      this.referencedResources(taken, path, found);
    } else {
      this.referencedResources(argument, path, found);
    }
    return found;
  }

  /** Names read by Fn::ImportValue in `value`, following taken Fn::If branches only. */
  importedExportNames(value: unknown, path: string, found: Set<string>): Set<string> {
    if (Array.isArray(value)) {
      for (const item of value) this.importedExportNames(item, path, found);
      return found;
    }
    if (!isRecord(value)) return found;
    const fn = intrinsicName(value);
    const argument = fn === undefined ? undefined : value[fn];
    if (fn === 'Fn::ImportValue') {
      found.add(this.resolveString(argument, path, 'Fn::ImportValue name'));
    } else if (fn === 'Fn::If' && Array.isArray(argument) && typeof argument[0] === 'string') {
      this.importedExportNames(this.condition(argument[0], path) ? argument[1] : argument[2], path, found);
    } else {
      this.importedExportNames(Object.values(value), path, found);
    }
    return found;
  }

  private referencedResource(
    logicalId: string,
    path: string,
    fn: string,
  ): { entry: ResourceEntry; model: ResourceTypeModel } {
    const entry = this.resourceEntry(logicalId);
    if (!entry) {
      this.fail(
        path,
        `${fn} to '${logicalId}': no parameter or resource of that name exists in the template`,
      );
    }
    if (this.inConditions) {
      this.fail(
        path,
        `conditions can only use parameters and pseudo parameters, not resource '${logicalId}'`,
      );
    }
    const condition = entry.declaration.Condition;
    if (typeof condition === 'string' && !this.condition(condition, path)) {
      this.fail(
        path,
        `${fn} to '${logicalId}', which is not created because condition '${condition}' is false`,
      );
    }
    const model = modelFor(this.input.model, entry.type);
    if (!model)
      this.fail(
        path,
        `${fn} to '${logicalId}': resource type ${entry.type} is not supported by the local runtime`,
      );
    return { entry, model };
  }

  private context(logicalId: string, entry: ResourceEntry, path: string): ResourceContext {
    const { stackName, region, accountId, partition, urlSuffix } = this.input;
    return {
      logicalId,
      type: entry.type,
      stackName,
      region,
      accountId,
      partition,
      urlSuffix,
      property: (name) => (entry.implicit ? undefined : this.resourceProperty(logicalId, name)),
      fail: (detail) => this.fail(path, detail),
    };
  }

  private cached(key: string, path: string, compute: () => unknown): unknown {
    if (this.valueCache.has(key)) return this.valueCache.get(key);
    if (this.valueChain.includes(key)) {
      const cycle = [...this.valueChain.slice(this.valueChain.indexOf(key)), key];
      this.fail(path, `circular reference: ${cycle.join(' → ')}`);
    }
    this.valueChain.push(key);
    try {
      const value = compute();
      this.valueCache.set(key, value);
      return value;
    } finally {
      this.valueChain.pop();
    }
  }

  private pseudoParameter(name: string, path: string): unknown {
    const { region, accountId, stackName, stackId, partition, urlSuffix } = this.input;
    switch (name) {
      case 'AWS::Region':
        return region;
      case 'AWS::AccountId':
        return accountId;
      case 'AWS::StackName':
        return stackName;
      case 'AWS::StackId':
        return stackId;
      case 'AWS::Partition':
        return partition;
      case 'AWS::URLSuffix':
        return urlSuffix;
      case 'AWS::NotificationARNs':
        return [];
      case 'AWS::NoValue':
        return NO_VALUE;
      default:
        return this.fail(path, `pseudo parameter ${name} is not supported by the local runtime`);
    }
  }

  private resolveString(value: unknown, path: string, what: string): string {
    const resolved = this.resolve(value, path);
    const text = scalarToString(resolved);
    if (text === undefined) this.fail(path, `${what} must resolve to a string`);
    return text;
  }

  private resolveList(value: unknown, path: string, what: string): unknown[] {
    const resolved = this.resolve(value, path);
    if (!Array.isArray(resolved)) this.fail(path, `${what} must resolve to a list`);
    return resolved;
  }

  private arguments(fn: string, argument: unknown, path: string, min: number, max = min): unknown[] {
    if (!Array.isArray(argument) || argument.length < min || argument.length > max) {
      const count = min === max ? `${min}` : `${min} to ${max}`;
      this.fail(path, `${fn} takes a list of ${count} arguments`);
    }
    return argument;
  }

  private intrinsic(fn: string, argument: unknown, path: string): unknown {
    switch (fn) {
      case 'Ref':
        if (typeof argument !== 'string') this.fail(path, 'Ref takes the name of a parameter or resource');
        return this.ref(argument, path);
      case 'Fn::GetAtt':
        return this.getAttIntrinsic(argument, path);
      case 'Fn::Sub':
        return this.sub(argument, path);
      case 'Fn::Join': {
        const [delimiter, list] = this.arguments(fn, argument, path, 2);
        if (typeof delimiter !== 'string') this.fail(path, 'Fn::Join delimiter must be a string');
        const items = this.resolveList(list, path, 'Fn::Join list');
        return items
          .map(
            (item) => scalarToString(item) ?? this.fail(path, 'Fn::Join list items must resolve to strings'),
          )
          .join(delimiter);
      }
      case 'Fn::Select': {
        const [index, list] = this.arguments(fn, argument, path, 2);
        const position = this.resolveString(index, path, 'Fn::Select index');
        if (!/^\d+$/.test(position))
          this.fail(path, `Fn::Select index '${position}' must be a non-negative integer`);
        const items = this.resolveList(list, path, 'Fn::Select list');
        const item = items[Number(position)];
        if (item === undefined) {
          this.fail(path, `Fn::Select index ${position} is out of range for a list of ${items.length}`);
        }
        return item;
      }
      case 'Fn::Split': {
        const [delimiter, source] = this.arguments(fn, argument, path, 2);
        if (typeof delimiter !== 'string') this.fail(path, 'Fn::Split delimiter must be a string');
        return this.resolveString(source, path, 'Fn::Split source').split(delimiter);
      }
      case 'Fn::FindInMap':
        return this.findInMap(argument, path);
      case 'Fn::Base64':
        return Buffer.from(this.resolveString(argument, path, 'Fn::Base64 input'), 'utf8').toString('base64');
      case 'Fn::ImportValue': {
        const name = this.resolveString(argument, path, 'Fn::ImportValue name');
        const value = this.input.imports.get(name);
        if (value === undefined) this.fail(path, `Fn::ImportValue: no stack exports '${name}'`);
        this.importedNames.add(name);
        return value;
      }
      case 'Fn::GetAZs': {
        const region = this.resolveString(argument, path, 'Fn::GetAZs region') || this.input.region;
        return ['a', 'b', 'c'].map((zone) => `${region}${zone}`);
      }
      case 'Fn::If': {
        const [name, whenTrue, whenFalse] = this.arguments(fn, argument, path, 3);
        if (typeof name !== 'string') this.fail(path, 'Fn::If takes a condition name first');
        return this.resolve(this.condition(name, path) ? whenTrue : whenFalse, path);
      }
      default:
        if (CONDITION_FUNCTIONS.has(fn)) this.fail(path, `${fn} can only be used in the Conditions section`);
        return this.fail(path, `${fn} is not supported by the local runtime`);
    }
  }

  private getAttIntrinsic(argument: unknown, path: string): unknown {
    let logicalId: unknown;
    let attribute: unknown;
    if (typeof argument === 'string' && argument.includes('.')) {
      logicalId = argument.slice(0, argument.indexOf('.'));
      attribute = argument.slice(argument.indexOf('.') + 1);
    } else if (Array.isArray(argument) && argument.length === 2) {
      [logicalId, attribute] = argument;
      attribute = this.resolveString(attribute, path, 'Fn::GetAtt attribute name');
    }
    if (typeof logicalId !== 'string' || typeof attribute !== 'string') {
      this.fail(path, 'Fn::GetAtt takes [LogicalId, AttributeName]');
    }
    return this.getAtt(logicalId, attribute, path);
  }

  private sub(argument: unknown, path: string): string {
    let text: unknown = argument;
    let variables: unknown = {};
    if (Array.isArray(argument)) {
      if (argument.length !== 2) this.fail(path, 'Fn::Sub takes a string or [string, variables]');
      [text, variables] = argument;
    }
    if (typeof text !== 'string' || !isRecord(variables)) {
      this.fail(path, 'Fn::Sub takes a string or [string, { variable: value }]');
    }
    const values = new Map<string, string>();
    for (const [name, value] of Object.entries(variables)) {
      values.set(name, this.resolveString(value, path, `Fn::Sub variable ${name}`));
    }
    return text.replace(SUB_VARIABLE, (_whole, inner: string) => {
      if (inner.startsWith('!')) return `\${${inner.slice(1)}}`;
      const given = values.get(inner);
      if (given !== undefined) return given;
      if (inner === '') this.fail(path, 'Fn::Sub has an empty variable reference');
      const dot = inner.indexOf('.');
      const value =
        dot > 0 ? this.getAtt(inner.slice(0, dot), inner.slice(dot + 1), path) : this.ref(inner, path);
      const replacement = scalarToString(value);
      if (replacement === undefined)
        this.fail(path, `Fn::Sub variable \${${inner}} must resolve to a string`);
      return replacement;
    });
  }

  private findInMap(argument: unknown, path: string): unknown {
    const [mapArgument, topArgument, secondArgument, options] = this.arguments(
      'Fn::FindInMap',
      argument,
      path,
      3,
      4,
    );
    const mapName = this.resolveString(mapArgument, path, 'Fn::FindInMap map name');
    const topKey = this.resolveString(topArgument, path, 'Fn::FindInMap top-level key');
    const secondKey = this.resolveString(secondArgument, path, 'Fn::FindInMap second-level key');
    const mapping = this.input.mappings[mapName];
    if (!isRecord(mapping))
      this.fail(path, `Fn::FindInMap: mapping '${mapName}' is not declared in Mappings`);
    const level = mapping[topKey];
    const value = isRecord(level) ? level[secondKey] : undefined;
    if (value !== undefined) return value;
    if (isRecord(options) && 'DefaultValue' in options) return this.resolve(options.DefaultValue, path);
    return this.fail(path, `Fn::FindInMap: mapping '${mapName}' has no value for [${topKey}, ${secondKey}]`);
  }

  private evaluateCondition(expression: unknown, path: string): boolean {
    const fn =
      isRecord(expression) && Object.keys(expression).length === 1 ? Object.keys(expression)[0] : undefined;
    const argument = fn === undefined ? undefined : (expression as Record<string, unknown>)[fn];
    switch (fn) {
      case 'Fn::Equals': {
        const [left, right] = this.arguments(fn, argument, path, 2).map((side) => this.resolve(side, path));
        return JSON.stringify(comparable(left)) === JSON.stringify(comparable(right));
      }
      case 'Fn::Not': {
        const [operand] = this.arguments(fn, argument, path, 1);
        return !this.evaluateCondition(operand, path);
      }
      case 'Fn::And':
        return this.arguments(fn, argument, path, 2, 10).every((operand) =>
          this.evaluateCondition(operand, path),
        );
      case 'Fn::Or':
        return this.arguments(fn, argument, path, 2, 10).some((operand) =>
          this.evaluateCondition(operand, path),
        );
      case 'Condition':
        if (typeof argument !== 'string') this.fail(path, 'Condition takes a condition name');
        return this.condition(argument, path);
      default:
        return this.fail(path, 'a condition must be Fn::Equals, Fn::And, Fn::Or, Fn::Not or Condition');
    }
  }
}

/** Fn::Equals compares values as CloudFormation sees them: scalars as strings. */
function comparable(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(comparable);
  return scalarToString(value) ?? value;
}
