import { TemplateError } from './errors';
import { applySamGlobals } from './globals';
import { stableUuid } from './names';
import {
  isSsmParameterValueType,
  type ResolvedParameter,
  resolveParameters,
  type SsmParameterLookup,
  type SsmParameterValue,
} from './parameters';
import { NO_VALUE, StackResolver } from './resolver';
import { defaultResourceModel, modelFor, type ResourceModel } from './resource-model';
import { isRecord, TEMPLATE_SECTIONS, type TemplateDocument } from './types';

export interface ResolveStackOptions {
  readonly template: TemplateDocument;
  /** Used in every error message, e.g. `templates/backend.yaml`. */
  readonly fileName: string;
  readonly stackName: string;
  readonly region: string;
  readonly accountId: string;
  readonly parameterOverrides?: Readonly<Record<string, string>>;
  /** Exports of other stacks (export name → value), read by Fn::ImportValue. */
  readonly imports?: ReadonlyMap<string, string>;
  /**
   * SSM parameters that exist (name → type and value), read by `AWS::SSM::Parameter::Value<…>`
   * parameters. A parameter naming one that is not here fails.
   */
  readonly ssmParameters?: ReadonlyMap<string, SsmParameterValue>;
  readonly resourceModel?: ResourceModel;
  /** Line of each resource in the source (from `parseTemplate`), attached to errors. */
  readonly resourceLines?: Readonly<Record<string, number>>;
  /** Receives warnings, e.g. parameter overrides the template does not declare. */
  readonly logger?: (message: string) => void;
}

export interface ResolvedResource {
  readonly logicalId: string;
  readonly type: string;
  /** Properties with every intrinsic function resolved and AWS::NoValue entries removed. */
  readonly properties: Record<string, unknown>;
  /** What `Ref` returns for this resource (bucket name, table name, ARN, …). */
  readonly physicalId: unknown;
  readonly condition?: string;
  readonly dependsOn?: readonly string[];
  readonly metadata?: Record<string, unknown>;
  readonly deletionPolicy?: string;
  readonly line?: number;
}

export interface ResolvedOutput {
  readonly value: string;
  readonly exportName?: string;
  readonly description?: string;
}

export interface ResolvedStack {
  readonly fileName: string;
  readonly stackName: string;
  readonly stackId: string;
  readonly region: string;
  readonly accountId: string;
  readonly partition: string;
  readonly parameters: Readonly<Record<string, ResolvedParameter>>;
  readonly conditions: Readonly<Record<string, boolean>>;
  /** Resources CloudFormation would create (false conditions dropped), including SAM's implicit APIs. */
  readonly resources: Readonly<Record<string, ResolvedResource>>;
  readonly outputs: Readonly<Record<string, ResolvedOutput>>;
  /** Export name → value, for the stacks that import them. */
  readonly exports: ReadonlyMap<string, string>;
  /** Export names this stack reads through Fn::ImportValue. */
  readonly importedNames: readonly string[];
  /** `Fn::GetAtt` of a resource of this stack, e.g. `getAtt('UploadBucket', 'Arn')`. */
  getAtt(logicalId: string, attribute: string): unknown;
}

const SAM_TRANSFORM = 'AWS::Serverless-2016-10-31';
const STACK_NAME = /^[A-Za-z][-A-Za-z0-9]{0,127}$/;

function partitionOf(region: string): { partition: string; urlSuffix: string } {
  if (region.startsWith('cn-')) return { partition: 'aws-cn', urlSuffix: 'amazonaws.com.cn' };
  if (region.startsWith('us-gov-')) return { partition: 'aws-us-gov', urlSuffix: 'amazonaws.com' };
  return { partition: 'aws', urlSuffix: 'amazonaws.com' };
}

function section(fileName: string, template: TemplateDocument, name: string): Record<string, unknown> {
  const value = template[name];
  if (value === undefined || value === null) return {};
  if (!isRecord(value))
    throw new TemplateError({ fileName, path: name }, `the ${name} section must be a mapping`);
  return value;
}

function checkTemplateShape(fileName: string, template: TemplateDocument): void {
  for (const key of Object.keys(template)) {
    if (!TEMPLATE_SECTIONS.includes(key)) {
      throw new TemplateError({ fileName, path: key }, `'${key}' is not a template section`);
    }
  }
  const transform = template.Transform;
  const transforms = transform === undefined ? [] : Array.isArray(transform) ? transform : [transform];
  for (const name of transforms) {
    if (name !== SAM_TRANSFORM) {
      throw new TemplateError(
        { fileName, path: 'Transform' },
        `transform ${typeof name === 'string' ? name : JSON.stringify(name)} is not supported by the local runtime`,
      );
    }
  }
}

function stringList(value: unknown): string[] | undefined {
  if (value === undefined) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.every((item) => typeof item === 'string') ? list : undefined;
}

interface PreparedStack {
  readonly resolver: StackResolver;
  readonly template: TemplateDocument;
  readonly resources: Record<string, Record<string, unknown>>;
  readonly parameters: ReadonlyMap<string, ResolvedParameter>;
  readonly stackId: string;
  readonly partition: string;
  readonly model: ResourceModel;
  readonly resourceLines: Readonly<Record<string, number>>;
}

function prepareStack(options: ResolveStackOptions, readSsm: SsmParameterLookup): PreparedStack {
  const { fileName, stackName, region, accountId } = options;
  if (!STACK_NAME.test(stackName)) {
    throw new TemplateError({ fileName, path: '' }, `'${stackName}' is not a valid stack name`);
  }
  checkTemplateShape(fileName, options.template);
  const template = applySamGlobals(options.template, fileName);
  const { partition, urlSuffix } = partitionOf(region);
  const stackId = `arn:${partition}:cloudformation:${region}:${accountId}:stack/${stackName}/${stableUuid(`${accountId}/${region}/${stackName}`)}`;
  const model = options.resourceModel ?? defaultResourceModel;
  const resourceLines = options.resourceLines ?? {};
  const declaredResources = section(fileName, template, 'Resources');
  if (Object.keys(declaredResources).length === 0) {
    throw new TemplateError({ fileName, path: 'Resources' }, 'a template needs at least one resource');
  }
  const resources: Record<string, Record<string, unknown>> = {};
  for (const [logicalId, declaration] of Object.entries(declaredResources)) {
    const path = `Resources.${logicalId}`;
    const line = resourceLines[logicalId];
    if (!/^[A-Za-z0-9]+$/.test(logicalId)) {
      throw new TemplateError({ fileName, path, line }, `logical id '${logicalId}' must be alphanumeric`);
    }
    if (!isRecord(declaration) || typeof declaration.Type !== 'string') {
      throw new TemplateError({ fileName, path, line }, 'a resource needs a Type');
    }
    resources[logicalId] = declaration;
  }
  const parameters = resolveParameters(
    fileName,
    template.Parameters ?? {},
    options.parameterOverrides ?? {},
    (name) =>
      options.logger?.(`${fileName}: parameter override '${name}' is not declared by the template; ignored`),
    readSsm,
  );
  const resolver = new StackResolver({
    fileName,
    stackName,
    stackId,
    region,
    accountId,
    partition,
    urlSuffix,
    resources,
    parameters,
    mappings: section(fileName, template, 'Mappings'),
    conditions: section(fileName, template, 'Conditions'),
    imports: options.imports ?? new Map(),
    model,
    resourceLines,
  });
  return { resolver, template, resources, parameters, stackId, partition, model, resourceLines };
}

/** Live outputs (their Condition holds) by name. */
function liveOutputs(prepared: PreparedStack): Array<[string, Record<string, unknown>]> {
  const resolver: StackResolver = prepared.resolver;
  const live: Array<[string, Record<string, unknown>]> = [];
  for (const [name, declaration] of Object.entries(
    section(resolver.fileName, prepared.template, 'Outputs'),
  )) {
    const path = `Outputs.${name}`;
    if (!isRecord(declaration)) resolver.fail(path, 'an output must be a mapping');
    const condition = declaration.Condition;
    if (condition !== undefined) {
      if (typeof condition !== 'string') resolver.fail(`${path}.Condition`, 'Condition must be a name');
      if (!resolver.condition(condition, `${path}.Condition`)) continue;
    }
    live.push([name, declaration]);
  }
  return live;
}

export interface StackLinks {
  /** Export names the stack declares in its Outputs. */
  readonly exportNames: readonly string[];
  /** Export names the stack reads with Fn::ImportValue. */
  readonly importNames: readonly string[];
  /** Names of the SSM parameters the stack creates (its AWS::SSM::Parameter resources). */
  readonly ssmParameterNames: readonly string[];
  /** Names of the SSM parameters its `AWS::SSM::Parameter::Value<…>` parameters read. */
  readonly ssmParameterReads: readonly string[];
}

/** What `compute` returns, or undefined when it cannot be resolved yet. */
function knownOrUndefined(compute: () => unknown): unknown {
  try {
    return compute();
  } catch (error) {
    if (error instanceof TemplateError) return undefined;
    throw error;
  }
}

/**
 * While links are found no SSM parameter exists yet: an `AWS::SSM::Parameter::Value<…>` parameter
 * resolves to a stand-in that only names what it reads (links never depend on the value).
 */
const UNRESOLVED_SSM: SsmParameterLookup = (name) => ({ type: 'String', value: `{{resolve:ssm:${name}}}` });

/**
 * The export names and SSM parameters a stack declares and reads, found without resolving anything
 * else, so that several stacks can be resolved in dependency order.
 */
export function findStackLinks(options: Omit<ResolveStackOptions, 'imports' | 'ssmParameters'>): StackLinks {
  const prepared = prepareStack(options, UNRESOLVED_SSM);
  const { resolver, resources, parameters } = prepared;
  const importNames = new Set<string>();
  const ssmParameterNames: string[] = [];
  for (const logicalId of Object.keys(resources)) {
    if (!resolver.isLive(logicalId)) continue;
    resolver.importedExportNames(resources[logicalId], `Resources.${logicalId}`, importNames);
    if (resources[logicalId]?.Type === 'AWS::SSM::Parameter') {
      // A name that needs another stack's exports is only known once that stack is resolved.
      const name = knownOrUndefined(() => resolver.ref(logicalId, `Resources.${logicalId}`));
      if (typeof name === 'string') ssmParameterNames.push(name);
    }
  }
  const exportNames: string[] = [];
  for (const [name, declaration] of liveOutputs(prepared)) {
    resolver.importedExportNames(declaration.Value, `Outputs.${name}.Value`, importNames);
    if (isRecord(declaration.Export)) {
      const exportName = resolver.resolve(declaration.Export.Name, `Outputs.${name}.Export.Name`);
      if (typeof exportName === 'string') exportNames.push(exportName);
    }
  }
  const ssmParameterReads = [...parameters.values()]
    .filter((parameter) => isSsmParameterValueType(parameter.type))
    .map((parameter) => parameter.ssmParameterName as string);
  return { exportNames, importNames: [...importNames], ssmParameterNames, ssmParameterReads };
}

/**
 * Resolves one stack the way CloudFormation (after the SAM transform's Globals step) would:
 * parameters, conditions, every intrinsic function, physical ids, outputs and exports.
 * Everything it cannot do exactly fails with a `TemplateError` naming file, resource and property.
 */
export function resolveStack(options: ResolveStackOptions): ResolvedStack {
  const { fileName, stackName, region, accountId } = options;
  const ssmParameters = options.ssmParameters ?? new Map<string, SsmParameterValue>();
  const prepared = prepareStack(options, (name) => ssmParameters.get(name));
  const { resolver, template, resources, parameters, stackId, partition, model, resourceLines } = prepared;
  const conditions: Record<string, boolean> = {};
  for (const name of Object.keys(section(fileName, template, 'Conditions'))) {
    conditions[name] = resolver.condition(name, `Conditions.${name}`);
  }
  const liveIds = Object.keys(resources).filter((logicalId) => resolver.isLive(logicalId));
  for (const logicalId of liveIds) {
    const type = String(resources[logicalId]?.Type);
    if (!modelFor(model, type)) {
      resolver.fail(
        `Resources.${logicalId}.Type`,
        `resource type ${type} is not supported by the local runtime`,
      );
    }
  }
  const dependsOn = checkDependencies(resolver, resources, liveIds);

  const resolvedResources: Record<string, ResolvedResource> = {};
  for (const logicalId of liveIds) {
    const declaration = resources[logicalId] as Record<string, unknown>;
    const path = `Resources.${logicalId}`;
    const properties: Record<string, unknown> = {};
    const declaredProperties = declaration.Properties ?? {};
    if (!isRecord(declaredProperties)) resolver.fail(`${path}.Properties`, 'Properties must be a mapping');
    for (const name of Object.keys(declaredProperties)) {
      const value = resolver.resourceProperty(logicalId, name);
      if (value !== undefined) properties[name] = value;
    }
    const metadata =
      declaration.Metadata === undefined
        ? undefined
        : resolver.resolve(declaration.Metadata, `${path}.Metadata`);
    const line = resourceLines[logicalId];
    resolvedResources[logicalId] = {
      logicalId,
      type: String(declaration.Type),
      properties,
      physicalId: resolver.ref(logicalId, path),
      ...(typeof declaration.Condition === 'string' ? { condition: declaration.Condition } : {}),
      ...(dependsOn.get(logicalId)?.length ? { dependsOn: dependsOn.get(logicalId) } : {}),
      ...(isRecord(metadata) ? { metadata } : {}),
      ...(typeof declaration.DeletionPolicy === 'string'
        ? { deletionPolicy: declaration.DeletionPolicy }
        : {}),
      ...(line === undefined ? {} : { line }),
    };
  }

  const { outputs, exports } = resolveOutputs(resolver, liveOutputs(prepared));
  const resolvedParameters = Object.fromEntries(parameters);
  return {
    fileName,
    stackName,
    stackId,
    region,
    accountId,
    partition,
    parameters: resolvedParameters,
    conditions,
    resources: resolvedResources,
    outputs,
    exports,
    importedNames: [...resolver.importedNames],
    getAtt: (logicalId, attribute) => resolver.getAtt(logicalId, attribute, `Resources.${logicalId}`),
  };
}

/** Validates DependsOn and rejects circular dependencies between live resources, as CloudFormation does. */
function checkDependencies(
  resolver: StackResolver,
  resources: Record<string, Record<string, unknown>>,
  liveIds: readonly string[],
): Map<string, string[]> {
  const live = new Set(liveIds);
  const edges = new Map<string, Set<string>>();
  const dependsOn = new Map<string, string[]>();
  for (const logicalId of liveIds) {
    const declaration = resources[logicalId] as Record<string, unknown>;
    const path = `Resources.${logicalId}`;
    const explicit = stringList(declaration.DependsOn);
    if (!explicit) resolver.fail(`${path}.DependsOn`, 'DependsOn must be a logical id or a list of them');
    for (const target of explicit) {
      if (!(target in resources))
        resolver.fail(`${path}.DependsOn`, `DependsOn '${target}': no such resource`);
      if (!live.has(target)) {
        resolver.fail(
          `${path}.DependsOn`,
          `DependsOn '${target}', which is not created because its condition is false`,
        );
      }
    }
    dependsOn.set(logicalId, explicit);
    const referenced = resolver.referencedResources(declaration.Properties ?? {}, `${path}.Properties`);
    edges.set(logicalId, new Set([...explicit, ...[...referenced].filter((target) => live.has(target))]));
  }
  const state = new Map<string, 'visiting' | 'done'>();
  const trail: string[] = [];
  const visit = (logicalId: string): void => {
    if (state.get(logicalId) === 'done') return;
    if (state.get(logicalId) === 'visiting') {
      const cycle = [...trail.slice(trail.indexOf(logicalId)), logicalId];
      resolver.fail(`Resources.${logicalId}`, `circular dependency between resources: ${cycle.join(' → ')}`);
    }
    state.set(logicalId, 'visiting');
    trail.push(logicalId);
    for (const target of edges.get(logicalId) ?? []) visit(target);
    trail.pop();
    state.set(logicalId, 'done');
  };
  for (const logicalId of liveIds) visit(logicalId);
  return dependsOn;
}

function resolveOutputs(
  resolver: StackResolver,
  declarations: Array<[string, Record<string, unknown>]>,
): { outputs: Record<string, ResolvedOutput>; exports: Map<string, string> } {
  const outputs: Record<string, ResolvedOutput> = {};
  const exports = new Map<string, string>();
  for (const [name, declaration] of declarations) {
    const path = `Outputs.${name}`;
    const value = resolver.resolve(declaration.Value, `${path}.Value`);
    if (value === NO_VALUE || value === undefined) resolver.fail(`${path}.Value`, 'an output needs a Value');
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      resolver.fail(`${path}.Value`, 'an output Value must resolve to a string (use Fn::Join for lists)');
    }
    const output: { value: string; exportName?: string; description?: string } = { value: String(value) };
    if (typeof declaration.Description === 'string') output.description = declaration.Description;
    if (declaration.Export !== undefined) {
      const exportDeclaration = declaration.Export;
      if (!isRecord(exportDeclaration))
        resolver.fail(`${path}.Export`, 'Export must be a mapping with a Name');
      const exportName = resolver.resolve(exportDeclaration.Name, `${path}.Export.Name`);
      if (typeof exportName !== 'string' || exportName === '') {
        resolver.fail(`${path}.Export.Name`, 'Export Name must resolve to a non-empty string');
      }
      if (exports.has(exportName))
        resolver.fail(`${path}.Export.Name`, `export '${exportName}' is declared twice`);
      exports.set(exportName, output.value);
      output.exportName = exportName;
    }
    outputs[name] = output;
  }
  return { outputs, exports };
}
