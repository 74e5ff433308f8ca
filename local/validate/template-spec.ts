import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { TEMPLATE_SECTIONS } from '../template/types';
import type { StateMachineLink } from './asl-rules';
import { checkDependencyCycles } from './dependency-cycles';
import { closest, didYouMean } from './names';
import { type Finding, finding, type Position, type Severity } from './report';
import { RUNTIME_WARNING_DAYS, type RuntimeDeprecation, samResourceData } from './sam-data';
import {
  child,
  describeKind,
  entry,
  type MapNode,
  parseYamlTree,
  type SourceNode,
  SourceSyntaxError,
  stringValue,
  toPlain,
} from './source-tree';
import type { SpecDb, SpecProperty, SpecShape, SpecType } from './spec-db';

const SOURCE = 'template-spec';

const RESOURCE_ATTRIBUTES = [
  'Type',
  'Properties',
  'DependsOn',
  'Metadata',
  'Condition',
  'DeletionPolicy',
  'UpdateReplacePolicy',
  'CreationPolicy',
  'UpdatePolicy',
  'Connectors',
];

/**
 * The CloudFormation resources SAM generates from each SAM resource type. SAM passes a property
 * it does not know itself to them, so a SAM property is valid when either spec has it (the SAM
 * part of the spec database lags behind SAM: no LoggingConfig, SnapStart, … on Function).
 */
const SAM_GENERATED: Readonly<Record<string, readonly string[]>> = {
  'AWS::Serverless::Function': ['AWS::Lambda::Function'],
  'AWS::Serverless::LayerVersion': ['AWS::Lambda::LayerVersion'],
  'AWS::Serverless::StateMachine': ['AWS::StepFunctions::StateMachine'],
  'AWS::Serverless::HttpApi': ['AWS::ApiGatewayV2::Api', 'AWS::ApiGatewayV2::Stage'],
  'AWS::Serverless::Api': ['AWS::ApiGateway::RestApi', 'AWS::ApiGateway::Stage'],
  'AWS::Serverless::SimpleTable': ['AWS::DynamoDB::Table'],
  'AWS::Serverless::Application': ['AWS::CloudFormation::Stack'],
};

/** Resources (and their property types) SAM generates for each event source type. */
const EVENT_GENERATED: Readonly<Record<string, ReadonlyArray<readonly [string, string?]>>> = {
  EventBridgeRule: [['AWS::Events::Rule'], ['AWS::Events::Rule', 'Target']],
  CloudWatchEvent: [['AWS::Events::Rule'], ['AWS::Events::Rule', 'Target']],
  Schedule: [['AWS::Events::Rule'], ['AWS::Events::Rule', 'Target']],
  ScheduleV2: [['AWS::Scheduler::Schedule'], ['AWS::Scheduler::Schedule', 'Target']],
  SQS: [['AWS::Lambda::EventSourceMapping']],
  Kinesis: [['AWS::Lambda::EventSourceMapping']],
  DynamoDB: [['AWS::Lambda::EventSourceMapping']],
  MSK: [['AWS::Lambda::EventSourceMapping']],
  MQ: [['AWS::Lambda::EventSourceMapping']],
  SelfManagedKafka: [['AWS::Lambda::EventSourceMapping']],
  DocumentDB: [['AWS::Lambda::EventSourceMapping']],
  SNS: [['AWS::SNS::Subscription']],
  HttpApi: [['AWS::ApiGatewayV2::Route'], ['AWS::ApiGatewayV2::Integration']],
  Api: [['AWS::ApiGateway::Method']],
  CloudWatchLogs: [['AWS::Logs::SubscriptionFilter']],
  IoTRule: [['AWS::IoT::TopicRule']],
};

const GLOBALS_SECTIONS: Readonly<Record<string, string>> = {
  Function: 'AWS::Serverless::Function',
  Api: 'AWS::Serverless::Api',
  HttpApi: 'AWS::Serverless::HttpApi',
  SimpleTable: 'AWS::Serverless::SimpleTable',
  StateMachine: 'AWS::Serverless::StateMachine',
  LayerVersion: 'AWS::Serverless::LayerVersion',
};

const PARAMETER_KEYS = [
  'Type',
  'Default',
  'AllowedValues',
  'AllowedPattern',
  'ConstraintDescription',
  'Description',
  'MaxLength',
  'MaxValue',
  'MinLength',
  'MinValue',
  'NoEcho',
];

const PARAMETER_TYPE =
  /^(String|Number|List<Number>|CommaDelimitedList|AWS::SSM::Parameter::Name|AWS::SSM::Parameter::Value<.+>|AWS::[A-Za-z0-9]+::[A-Za-z0-9:]+|List<AWS::[A-Za-z0-9]+::[A-Za-z0-9:]+>)$/;

interface Problem {
  readonly position: Position;
  readonly message: string;
  readonly severity?: Severity;
}

/** Where a property a shape lacks may also be found: passed through (type-checked) or by name only. */
interface Fallback {
  readonly shapes: readonly SpecShape[];
  readonly checkTypes: boolean;
  /** Names accepted even when no shape describes them (SAM properties newer than the spec). */
  readonly accepted?: ReadonlySet<string>;
}

export interface TemplateDependencies {
  readonly spec: SpecDb;
  readonly policyTemplates: ReadonlyMap<string, readonly string[]>;
  readonly runtimes: readonly RuntimeDeprecation[];
  /** "Today" for runtime deprecation dates. */
  readonly today: Date;
}

export interface ExportName {
  readonly name: string;
  readonly position: Position;
  readonly file: string;
}

export interface TemplateResult {
  readonly findings: Finding[];
  readonly links: StateMachineLink[];
  /** Literal (non-intrinsic) Export names, for the cross-template uniqueness check. */
  readonly exports: ExportName[];
}

function isScalarType(type: SpecType): boolean {
  return !['array', 'map', 'ref', 'union', 'json', 'tag'].includes(type.type);
}

function typeLabel(spec: SpecDb, type: SpecType): string {
  switch (type.type) {
    case 'array':
      return `a list of ${typeLabel(spec, type.element).replace(/^an? /, '')}s`;
    case 'map':
      return 'a mapping';
    case 'ref':
      return `a mapping (${spec.typeDefinition(type.reference.$ref)?.name ?? 'object'})`;
    case 'union':
      return type.types.map((member) => typeLabel(spec, member)).join(' or ');
    case 'integer':
      return 'an integer';
    case 'json':
      return 'any JSON value';
    case 'tag':
      return 'a tag (Key, Value)';
    default:
      return `a ${type.type}`;
  }
}

class TemplateChecker {
  private readonly out: Finding[] = [];
  private readonly links: StateMachineLink[] = [];
  private readonly exports: ExportName[] = [];
  private globals: Record<string, MapNode> = {};
  /** True while the properties of a SAM resource are checked (its nested types are SAM's). */
  private inSamResource = false;

  constructor(
    private readonly file: string,
    private readonly deps: TemplateDependencies,
  ) {}

  private report(position: Position, message: string, severity: Severity = 'error'): void {
    this.out.push(finding(this.file, position, severity, SOURCE, message));
  }

  private reportAll(problems: readonly Problem[]): void {
    for (const problem of problems) this.report(problem.position, problem.message, problem.severity);
  }

  run(text: string): TemplateResult {
    let root: SourceNode;
    try {
      root = parseYamlTree(text);
    } catch (error) {
      if (error instanceof SourceSyntaxError) {
        this.report(error.position, error.message);
        return { findings: this.out, links: [], exports: [] };
      }
      throw error;
    }
    if (root.kind !== 'map') {
      this.report(root.position, 'a template must be a mapping at the top level');
      return { findings: this.out, links: [], exports: [] };
    }
    for (const section of root.entries) {
      if (!TEMPLATE_SECTIONS.includes(section.key)) {
        this.report(
          section.keyPosition,
          `unknown top-level section "${section.key}"${didYouMean(section.key, TEMPLATE_SECTIONS)}`,
        );
      }
    }
    this.checkParameters(child(root, 'Parameters'));
    this.checkGlobals(child(root, 'Globals'));
    const resources = child(root, 'Resources');
    if (resources?.kind === 'map') {
      for (const resource of resources.entries)
        this.checkResource(resource.key, resource.keyPosition, resource.value);
      this.out.push(...checkDependencyCycles(this.file, resources));
    } else {
      this.report(root.position, 'the template has no Resources mapping');
    }
    const parameters = child(root, 'Parameters');
    this.checkOutputs(
      child(root, 'Outputs'),
      new Set(parameters?.kind === 'map' ? parameters.entries.map((parameter) => parameter.key) : []),
    );
    return { findings: this.out, links: this.links, exports: this.exports };
  }

  // ------------------------------------------------------------------ parameters

  private checkParameters(parameters: SourceNode | undefined): void {
    if (parameters === undefined) return;
    if (parameters.kind !== 'map') {
      this.report(parameters.position, 'Parameters must be a mapping');
      return;
    }
    for (const { key: name, keyPosition, value } of parameters.entries) {
      if (value.kind !== 'map') {
        this.report(keyPosition, `parameter ${name} must be a mapping`);
        continue;
      }
      for (const item of value.entries) {
        if (!PARAMETER_KEYS.includes(item.key)) {
          this.report(
            item.keyPosition,
            `parameter ${name} has an unknown attribute "${item.key}"${didYouMean(item.key, PARAMETER_KEYS)}`,
          );
        }
      }
      const typeNode = child(value, 'Type');
      const type = stringValue(typeNode);
      if (type === undefined) {
        this.report(keyPosition, `parameter ${name} has no Type`);
        continue;
      }
      if (!PARAMETER_TYPE.test(type)) {
        this.report(
          typeNode?.position ?? keyPosition,
          `parameter ${name} has an unknown Type "${type}"${didYouMean(type, ['String', 'Number', 'List<Number>', 'CommaDelimitedList'])}`,
        );
        continue;
      }
      this.checkParameterDefault(name, type, value);
    }
  }

  private checkParameterDefault(name: string, type: string, parameter: MapNode): void {
    const isNumber = type === 'Number' || type === 'List<Number>';
    const numeric = (node: SourceNode): boolean =>
      node.kind === 'scalar' &&
      (typeof node.value === 'number' ||
        (typeof node.value === 'string' && node.value.trim() !== '' && Number.isFinite(Number(node.value))));
    const defaultNode = child(parameter, 'Default');
    const allowed = child(parameter, 'AllowedValues');

    for (const key of ['MinValue', 'MaxValue', 'MinLength', 'MaxLength']) {
      const node = child(parameter, key);
      if (node && !numeric(node)) this.report(node.position, `${key} of parameter ${name} must be a number`);
      if (node && key.endsWith('Value') && !isNumber) {
        this.report(node.position, `${key} applies only to Number parameters, and ${name} is a ${type}`);
      }
      if (node && key.endsWith('Length') && type !== 'String') {
        this.report(node.position, `${key} applies only to String parameters, and ${name} is a ${type}`);
      }
    }
    if (allowed && allowed.kind !== 'seq')
      this.report(allowed.position, `AllowedValues of parameter ${name} must be a list`);
    if (allowed?.kind === 'seq' && isNumber) {
      for (const item of allowed.items) {
        if (!numeric(item))
          this.report(item.position, `AllowedValues of Number parameter ${name} must be numbers`);
      }
    }
    if (!defaultNode) return;
    if (defaultNode.kind !== 'scalar' || defaultNode.value === null) {
      this.report(
        defaultNode.position,
        `the Default of parameter ${name} must be a plain value, not ${describeKind(defaultNode)}`,
      );
      return;
    }
    const text = String(defaultNode.value);
    const values =
      type === 'CommaDelimitedList' || type.startsWith('List<')
        ? text.split(',').map((item) => item.trim())
        : [text];
    if (isNumber) {
      for (const value of values) {
        if (value === '' || !Number.isFinite(Number(value))) {
          this.report(
            defaultNode.position,
            `the Default of Number parameter ${name} is not a number: ${JSON.stringify(text)}`,
          );
          return;
        }
      }
      const min = child(parameter, 'MinValue');
      const max = child(parameter, 'MaxValue');
      for (const value of values.map(Number)) {
        if (min?.kind === 'scalar' && numeric(min) && value < Number(min.value)) {
          this.report(
            defaultNode.position,
            `the Default ${value} of parameter ${name} is below its MinValue ${min.value}`,
          );
        }
        if (max?.kind === 'scalar' && numeric(max) && value > Number(max.value)) {
          this.report(
            defaultNode.position,
            `the Default ${value} of parameter ${name} is above its MaxValue ${max.value}`,
          );
        }
      }
    }
    if (type === 'String') {
      const pattern = stringValue(child(parameter, 'AllowedPattern'));
      if (pattern !== undefined) {
        try {
          if (!new RegExp(`^(?:${pattern})$`, 'u').test(text)) {
            this.report(
              defaultNode.position,
              `the Default of parameter ${name} does not match its AllowedPattern ${pattern}`,
            );
          }
        } catch {
          // A Java-only regular expression feature; CloudFormation checks it at deploy time.
        }
      }
      const minLength = child(parameter, 'MinLength');
      const maxLength = child(parameter, 'MaxLength');
      if (minLength?.kind === 'scalar' && numeric(minLength) && text.length < Number(minLength.value)) {
        this.report(
          defaultNode.position,
          `the Default of parameter ${name} is shorter than its MinLength ${minLength.value}`,
        );
      }
      if (maxLength?.kind === 'scalar' && numeric(maxLength) && text.length > Number(maxLength.value)) {
        this.report(
          defaultNode.position,
          `the Default of parameter ${name} is longer than its MaxLength ${maxLength.value}`,
        );
      }
    }
    if (allowed?.kind === 'seq') {
      const choices = allowed.items.map((item) => (item.kind === 'scalar' ? String(item.value) : ''));
      const same = (a: string, b: string) => a === b || (isNumber && Number(a) === Number(b));
      for (const value of values) {
        if (!choices.some((choice) => same(choice, value))) {
          this.report(
            defaultNode.position,
            `the Default ${JSON.stringify(value)} of parameter ${name} is not one of its AllowedValues`,
          );
        }
      }
    }
  }

  // ------------------------------------------------------------------ globals

  private checkGlobals(globals: SourceNode | undefined): void {
    if (globals === undefined) return;
    if (globals.kind !== 'map') {
      this.report(globals.position, 'Globals must be a mapping');
      return;
    }
    for (const section of globals.entries) {
      const resourceType = GLOBALS_SECTIONS[section.key];
      if (!resourceType) {
        this.report(
          section.keyPosition,
          `unknown Globals section "${section.key}"${didYouMean(section.key, Object.keys(GLOBALS_SECTIONS))}`,
        );
        continue;
      }
      if (section.value.kind !== 'map') {
        this.report(section.value.position, `Globals.${section.key} must be a mapping`);
        continue;
      }
      this.globals[resourceType] = section.value;
      this.checkProperties(resourceType, section.value, `Globals.${section.key}`, section.keyPosition, false);
    }
  }

  // ------------------------------------------------------------------ resources

  private checkResource(id: string, idPosition: Position, resource: SourceNode): void {
    if (resource.kind !== 'map') {
      this.report(idPosition, `resource ${id} must be a mapping`);
      return;
    }
    for (const item of resource.entries) {
      if (!RESOURCE_ATTRIBUTES.includes(item.key)) {
        this.report(
          item.keyPosition,
          `resource ${id} has an unknown attribute "${item.key}"${didYouMean(item.key, RESOURCE_ATTRIBUTES)}`,
        );
      }
    }
    const typeNode = child(resource, 'Type');
    const type = stringValue(typeNode);
    if (!typeNode || type === undefined) {
      this.report(idPosition, `resource ${id} has no Type`);
      return;
    }
    if (type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource') return;
    const { spec } = this.deps;
    if (!spec.resource(type)) {
      const suggestion = didYouMean(type, spec.resourceTypes);
      if (type.startsWith('AWS::Serverless::') && !suggestion) {
        this.report(
          typeNode.position,
          `resource type ${type} is not in the SAM part of @aws-cdk/aws-service-spec ${spec.version}; its properties are not checked`,
          'warning',
        );
      } else {
        this.report(typeNode.position, `unknown resource type ${type}${suggestion}`);
      }
      return;
    }
    const propertiesEntry = entry(resource, 'Properties');
    const properties = propertiesEntry?.value ?? { kind: 'map', position: idPosition, entries: [] };
    if (properties.kind !== 'map') {
      this.report(properties.position, `Properties of ${id} must be a mapping`);
      return;
    }
    this.checkProperties(type, properties, id, propertiesEntry?.keyPosition ?? idPosition, true);
    this.checkSamRequirements(id, type, properties, propertiesEntry?.keyPosition ?? idPosition);
    if (type === 'AWS::Serverless::StateMachine') this.linkStateMachine(id, idPosition, properties);
  }

  /** Properties of a resource (or a Globals section) of `type`, with the SAM special cases. */
  private checkProperties(
    type: string,
    properties: MapNode,
    label: string,
    position: Position,
    checkRequired: boolean,
  ): void {
    const { spec } = this.deps;
    const resource = spec.resource(type);
    if (!resource) return;
    const generated = (SAM_GENERATED[type] ?? [])
      .map((name) => spec.resource(name))
      .filter((item): item is NonNullable<typeof item> => item !== undefined);
    const isSam = type.startsWith('AWS::Serverless::');
    const special = new Set(isSam ? ['Policies', 'Events'] : []);
    const accepted = this.samAccepted(type, properties, label, checkRequired);
    const regular: MapNode = {
      ...properties,
      entries: properties.entries.filter(
        (item) => !special.has(item.key) && (accepted === undefined || accepted.has(item.key)),
      ),
    };
    const required = checkRequired
      ? { position, ...(this.globals[type] ? { also: this.globals[type] } : {}) }
      : undefined;
    this.inSamResource = isSam;
    try {
      this.reportAll(
        this.checkShape(
          regular,
          resource,
          label,
          { shapes: generated, checkTypes: true, ...(accepted ? { accepted } : {}) },
          required,
          `${label} (${type})`,
        ),
      );
    } finally {
      this.inSamResource = false;
    }
    const policies = child(properties, 'Policies');
    if (isSam && policies) this.checkPolicies(policies);
    const events = child(properties, 'Events');
    if (isSam && events) this.checkEvents(type, events);
    if (type === 'AWS::Serverless::Function' || type === 'AWS::Lambda::Function') {
      this.checkRuntime(child(properties, 'Runtime'));
    }
    if (type === 'AWS::Serverless::LayerVersion' || type === 'AWS::Lambda::LayerVersion') {
      const runtimes = child(properties, 'CompatibleRuntimes');
      if (runtimes?.kind === 'seq') for (const item of runtimes.items) this.checkRuntime(item);
    }
  }

  /**
   * The property names SAM accepts for `type` (in a resource, or in its Globals section), after
   * reporting the entries it does not accept: SAM refuses them at transform time even when the
   * CloudFormation resource it generates has such a property. Undefined for non-SAM types.
   */
  private samAccepted(
    type: string,
    properties: MapNode,
    label: string,
    inResource: boolean,
  ): ReadonlySet<string> | undefined {
    const known = samResourceData.resources[type];
    if (!known) return undefined;
    const names = inResource ? known.properties : (samResourceData.globals[type] ?? []);
    const accepted = new Set(names);
    for (const item of properties.entries) {
      if (accepted.has(item.key)) continue;
      const where = inResource
        ? `${label} (${type}) has no property`
        : `${label} does not accept the property`;
      this.report(
        item.keyPosition,
        `${where} "${item.key}"${didYouMean(item.key, names)}: the SAM transform refuses it`,
      );
    }
    return accepted;
  }

  /** What SAM itself requires beyond the specification: code for a function, a definition for a state machine. */
  private checkSamRequirements(id: string, type: string, properties: MapNode, position: Position): void {
    const own = (name: string) => entry(properties, name) !== undefined;
    const global = (name: string) => entry(this.globals[type], name) !== undefined;
    const missing: string[] = [];
    if (type === 'AWS::Serverless::Function') {
      const packageType =
        stringValue(child(properties, 'PackageType')) ??
        stringValue(child(this.globals[type], 'PackageType'));
      if (packageType === 'Image') {
        if (!own('ImageUri') && !global('ImageUri')) missing.push('ImageUri (or Metadata for sam build)');
      } else {
        for (const name of ['Handler', 'Runtime']) if (!own(name) && !global(name)) missing.push(name);
        if (!own('CodeUri') && !own('InlineCode') && !global('CodeUri'))
          missing.push('CodeUri or InlineCode');
      }
    }
    if (type === 'AWS::Serverless::StateMachine' && !own('Definition') && !own('DefinitionUri'))
      missing.push('Definition or DefinitionUri');
    if (missing.length > 0)
      this.report(position, `${id} (${type}) is missing ${missing.join(', ')}, which SAM requires`);
  }

  // ------------------------------------------------------------------ generic type checks

  /**
   * The entries of `node` against `shape` (and `fallback`); with `required`, also the required
   * properties that are missing from `node` and `required.also` (e.g. the Globals section). A
   * misspelled required property is reported once, as the misspelling.
   */
  private checkShape(
    node: MapNode,
    shape: SpecShape,
    label: string,
    fallback?: Fallback,
    required?: { readonly also?: MapNode; readonly position?: Position; readonly names?: readonly string[] },
    display: string = label,
  ): Problem[] {
    const problems: Problem[] = [];
    const suggested = new Set<string>();
    for (const item of node.entries) {
      const own = shape.properties[item.key];
      if (own) {
        const ownProblems = this.checkProperty(item.value, own, `${label}.${item.key}`);
        if (ownProblems.length === 0) continue;
        const passThrough = fallback?.checkTypes
          ? fallback.shapes.map((other) => other.properties[item.key]).find((other) => other !== undefined)
          : undefined;
        if (passThrough && this.checkProperty(item.value, passThrough, `${label}.${item.key}`).length === 0)
          continue;
        problems.push(...ownProblems);
        continue;
      }
      const other = fallback?.shapes
        .map((candidate) => candidate.properties[item.key])
        .find((found) => found !== undefined);
      if (other) {
        if (fallback?.checkTypes)
          problems.push(...this.checkProperty(item.value, other, `${label}.${item.key}`));
        continue;
      }
      if (fallback?.accepted?.has(item.key)) continue;
      const names = [
        ...Object.keys(shape.properties),
        ...(fallback?.shapes.flatMap((candidate) => Object.keys(candidate.properties)) ?? []),
      ];
      const suggestion = closest(item.key, names);
      if (suggestion) suggested.add(suggestion);
      problems.push({
        position: item.keyPosition,
        message: `${display} has no property "${item.key}"${suggestion ? ` (did you mean "${suggestion}"?)` : ''}`,
      });
    }
    if (required) {
      for (const [name, property] of Object.entries(shape.properties)) {
        const isRequired = required.names ? required.names.includes(name) : property.required;
        if (isRequired && !entry(node, name) && !entry(required.also, name) && !suggested.has(name)) {
          problems.push({
            position: required.position ?? node.position,
            message: `${display} is missing the required property ${name}`,
          });
        }
      }
    }
    return problems;
  }

  private checkProperty(node: SourceNode, property: SpecProperty, label: string): Problem[] {
    const types = [property.type, ...(property.previousTypes ?? [])];
    let first: Problem[] | undefined;
    for (const type of types) {
      const problems = this.checkType(node, type, label);
      if (problems.length === 0) return [];
      first ??= problems;
    }
    return first ?? [];
  }

  private checkType(node: SourceNode, type: SpecType, label: string): Problem[] {
    if (node.kind === 'intrinsic') return [];
    const { spec } = this.deps;
    const wrong = (): Problem[] => [
      {
        position: node.position,
        message: `${label} must be ${typeLabel(spec, type)}, not ${describeKind(node)}${
          node.kind === 'scalar' && node.value !== null ? ` (${JSON.stringify(node.value)})` : ''
        }`,
      },
    ];
    switch (type.type) {
      case 'json':
      case 'null':
        return [];
      case 'string':
      case 'date-time':
        return node.kind === 'scalar' && node.value !== null ? [] : wrong();
      case 'number':
      case 'integer': {
        if (node.kind !== 'scalar') return wrong();
        const value =
          typeof node.value === 'string' && node.value.trim() !== '' ? Number(node.value) : node.value;
        if (typeof value !== 'number' || !Number.isFinite(value)) return wrong();
        return type.type === 'integer' && !Number.isInteger(value) ? wrong() : [];
      }
      case 'boolean':
        return node.kind === 'scalar' &&
          (typeof node.value === 'boolean' || node.value === 'true' || node.value === 'false')
          ? []
          : wrong();
      case 'tag':
        return node.kind === 'map' ? [] : wrong();
      case 'array':
        if (node.kind !== 'seq') return wrong();
        return node.items.flatMap((item, index) => this.checkType(item, type.element, `${label}[${index}]`));
      case 'map':
        if (node.kind !== 'map') return wrong();
        return node.entries.flatMap((item) =>
          this.checkType(item.value, type.element, `${label}.${item.key}`),
        );
      case 'ref': {
        const shape = spec.typeDefinition(type.reference.$ref);
        if (!shape) return [];
        if (node.kind !== 'map') return wrong();
        // The spec database's SAM types mark some optional properties required (e.g. both OnSuccess
        // and OnFailure of EventInvokeConfig.DestinationConfig); SAM's own schema models decide.
        const names = this.inSamResource ? samResourceData.nestedTypeRequired[shape.name] : undefined;
        return this.checkShape(node, shape, label, undefined, names ? { names } : {});
      }
      case 'union': {
        let best: Problem[] | undefined;
        for (const member of type.types) {
          const problems = this.checkType(node, member, label);
          if (problems.length === 0) return [];
          const fits =
            (node.kind === 'map' && (member.type === 'ref' || member.type === 'map')) ||
            (node.kind === 'seq' && member.type === 'array') ||
            (node.kind === 'scalar' && isScalarType(member));
          if (fits && (best === undefined || problems.length < best.length)) best = problems;
        }
        return best ?? wrong();
      }
    }
  }

  // ------------------------------------------------------------------ SAM specifics

  private checkPolicies(policies: SourceNode): void {
    const items = policies.kind === 'seq' ? policies.items : [policies];
    for (const item of items) {
      if (item.kind === 'scalar' && typeof item.value === 'string') continue;
      if (item.kind === 'intrinsic') continue;
      if (item.kind !== 'map') {
        this.report(
          item.position,
          `a Policies entry must be a managed policy name or ARN, a policy document or a SAM policy template, not ${describeKind(item)}`,
        );
        continue;
      }
      if (entry(item, 'Statement')) {
        for (const key of item.entries) {
          if (!['Statement', 'Version', 'Id'].includes(key.key)) {
            this.report(
              key.keyPosition,
              `a policy document has no "${key.key}"${didYouMean(key.key, ['Statement', 'Version', 'Id'])}`,
            );
          }
        }
        continue;
      }
      const [template, ...extra] = item.entries;
      if (!template || extra.length > 0) {
        this.report(
          item.position,
          'a SAM policy template entry must have exactly one key, the template name',
        );
        continue;
      }
      const parameters = this.deps.policyTemplates.get(template.key);
      if (!parameters) {
        this.report(
          template.keyPosition,
          `unknown SAM policy template "${template.key}"${didYouMean(template.key, this.deps.policyTemplates.keys())}`,
        );
        continue;
      }
      const value = template.value;
      if (value.kind === 'scalar' && value.value === null && parameters.length === 0) continue;
      if (value.kind !== 'map') {
        this.report(
          value.position,
          `SAM policy template ${template.key} takes a mapping of parameters (${parameters.join(', ') || 'none: write {}'})`,
        );
        continue;
      }
      const suggested = new Set<string>();
      for (const parameter of value.entries) {
        if (!parameters.includes(parameter.key)) {
          const suggestion = closest(parameter.key, parameters);
          if (suggestion) suggested.add(suggestion);
          this.report(
            parameter.keyPosition,
            `SAM policy template ${template.key} has no parameter "${parameter.key}"${didYouMean(parameter.key, parameters)}${
              parameters.length ? ` (parameters: ${parameters.join(', ')})` : ' (it takes none)'
            }`,
          );
        } else if (parameter.value.kind === 'map' || parameter.value.kind === 'seq') {
          this.report(
            parameter.value.position,
            `parameter ${parameter.key} of ${template.key} must be a value or an intrinsic function`,
          );
        }
      }
      for (const parameter of parameters) {
        if (!entry(value, parameter) && !suggested.has(parameter)) {
          this.report(
            template.keyPosition,
            `SAM policy template ${template.key} is missing its parameter ${parameter}`,
          );
        }
      }
    }
  }

  private eventSourceShapes(resourceType: string): Map<string, SpecShape> {
    const { spec } = this.deps;
    const shapes = new Map<string, SpecShape>();
    const events = spec.resource(resourceType)?.properties.Events?.type;
    const source =
      events?.type === 'map' && events.element.type === 'ref'
        ? spec.typeDefinition(events.element.reference.$ref)
        : undefined;
    const union = source?.properties.Properties?.type;
    const members = union?.type === 'union' ? union.types : union ? [union] : [];
    for (const member of members) {
      if (member.type !== 'ref') continue;
      const shape = spec.typeDefinition(member.reference.$ref);
      if (shape) shapes.set(shape.name.replace(/Event$/, ''), shape);
    }
    return shapes;
  }

  private checkEvents(resourceType: string, events: SourceNode): void {
    if (events.kind !== 'map') {
      this.report(events.position, `Events must be a mapping of event source names to event sources`);
      return;
    }
    const shapes = this.eventSourceShapes(resourceType);
    const { spec } = this.deps;
    for (const event of events.entries) {
      const label = `event source ${event.key}`;
      if (event.value.kind !== 'map') {
        this.report(event.keyPosition, `${label} must be a mapping with Type and Properties`);
        continue;
      }
      for (const key of event.value.entries) {
        if (key.key !== 'Type' && key.key !== 'Properties') {
          this.report(
            key.keyPosition,
            `${label} has no "${key.key}"${didYouMean(key.key, ['Type', 'Properties'])}`,
          );
        }
      }
      const typeNode = child(event.value, 'Type');
      const type = stringValue(typeNode);
      if (!typeNode || type === undefined) {
        this.report(event.keyPosition, `${label} has no Type`);
        continue;
      }
      const shape = shapes.get(type);
      if (!shape) {
        const suggestion = didYouMean(type, shapes.keys());
        if (suggestion) {
          this.report(
            typeNode.position,
            `unknown event source type "${type}" for ${resourceType}${suggestion}`,
          );
        } else {
          this.report(
            typeNode.position,
            `event source type "${type}" is not in the SAM part of @aws-cdk/aws-service-spec ${spec.version}; its properties are not checked`,
            'warning',
          );
        }
        continue;
      }
      const properties = child(event.value, 'Properties') ?? {
        kind: 'map',
        position: event.keyPosition,
        entries: [],
      };
      if (properties.kind !== 'map') {
        if (properties.kind !== 'intrinsic')
          this.report(properties.position, `Properties of ${label} must be a mapping`);
        continue;
      }
      const generated = (EVENT_GENERATED[type] ?? [])
        .map(([resource, name]) =>
          name ? spec.resourceTypeDefinition(resource, name) : spec.resource(resource),
        )
        .filter((item): item is SpecShape => item !== undefined);
      const shapeLabel = `${type} ${label}`;
      this.reportAll(
        this.checkShape(properties, shape, shapeLabel, { shapes: generated, checkTypes: false }, {}),
      );
    }
  }

  private checkRuntime(node: SourceNode | undefined): void {
    const runtime = stringValue(node);
    if (!node || runtime === undefined) return;
    if (!samResourceData.lambdaRuntimes.includes(runtime)) {
      this.report(
        node.position,
        `unknown Lambda runtime "${runtime}"${didYouMean(runtime, samResourceData.lambdaRuntimes)}`,
      );
      return;
    }
    const deprecation = this.deps.runtimes.find((item) => item.identifier === runtime);
    if (!deprecation) return;
    const date = new Date(`${deprecation.deprecated}T00:00:00Z`);
    const days = Math.floor((date.getTime() - this.deps.today.getTime()) / 86_400_000);
    if (days <= 0) {
      this.report(
        node.position,
        `runtime ${runtime} (${deprecation.name}) is deprecated since ${deprecation.deprecated}: Lambda blocks creating and then updating functions that use it`,
      );
    } else if (days <= RUNTIME_WARNING_DAYS) {
      this.report(
        node.position,
        `runtime ${runtime} (${deprecation.name}) will be deprecated on ${deprecation.deprecated} (in ${days} days)`,
        'warning',
      );
    }
  }

  private linkStateMachine(id: string, idPosition: Position, properties: MapNode): void {
    const uriNode = child(properties, 'DefinitionUri');
    const uri = stringValue(uriNode);
    if (!uriNode || uri === undefined) return;
    const definitionFile = resolve(dirname(this.file), uri);
    if (!existsSync(definitionFile)) {
      this.report(uriNode.position, `DefinitionUri of ${id} points at ${uri}, which does not exist`);
      return;
    }
    const substitutions = child(properties, 'DefinitionSubstitutions');
    this.links.push({
      templateFile: this.file,
      resourceId: id,
      definitionFile,
      substitutions: substitutions?.kind === 'map' ? substitutions.entries : undefined,
      resourcePosition: idPosition,
    });
  }

  // ------------------------------------------------------------------ outputs

  private checkOutputs(outputs: SourceNode | undefined, parameterNames: ReadonlySet<string>): void {
    if (outputs === undefined) return;
    if (outputs.kind !== 'map') {
      this.report(outputs.position, 'Outputs must be a mapping');
      return;
    }
    const seen = new Map<string, string>();
    for (const output of outputs.entries) {
      // SAM CLI matches outputs to parameters by name: a list-typed parameter with an output's name
      // makes `sam build` crash with "unhashable type: 'list'" (aws-sam-cli issue #8627).
      if (parameterNames.has(output.key)) {
        this.report(
          output.keyPosition,
          `output ${output.key} has the name of a parameter: sam build crashes on it (SAM CLI issue #8627); rename the output`,
        );
      }
      if (output.value.kind !== 'map') {
        this.report(output.keyPosition, `output ${output.key} must be a mapping`);
        continue;
      }
      for (const key of output.value.entries) {
        if (!['Description', 'Value', 'Export', 'Condition'].includes(key.key)) {
          this.report(
            key.keyPosition,
            `output ${output.key} has an unknown attribute "${key.key}"${didYouMean(key.key, ['Description', 'Value', 'Export', 'Condition'])}`,
          );
        }
      }
      if (!entry(output.value, 'Value')) this.report(output.keyPosition, `output ${output.key} has no Value`);
      const exportNode = child(output.value, 'Export');
      if (!exportNode) continue;
      const nameNode = child(exportNode, 'Name');
      if (!nameNode) {
        this.report(exportNode.position, `the Export of output ${output.key} has no Name`);
        continue;
      }
      const key = JSON.stringify(toPlain(nameNode));
      const previous = seen.get(key);
      if (previous) {
        this.report(nameNode.position, `output ${output.key} exports the same name as output ${previous}`);
      } else {
        seen.set(key, output.key);
      }
      const literal = stringValue(nameNode);
      if (literal !== undefined)
        this.exports.push({ name: literal, position: nameNode.position, file: this.file });
    }
  }
}

/** Checks one SAM/CloudFormation template against the resource specification and SAM data. */
export function checkTemplate(file: string, text: string, deps: TemplateDependencies): TemplateResult {
  return new TemplateChecker(file, deps).run(text);
}
