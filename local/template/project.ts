import { readFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import type { SsmParameterValue } from './parameters';
import { parseTemplate } from './parse';
import { findStackLinks, type ResolvedStack, resolveStack, type StackLinks } from './resolve-stack';
import type { ResourceModel } from './resource-model';
import { commandParameters, loadSamConfig, parseParameterOverrides, type SamConfig } from './samconfig';

export class ProjectError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProjectError';
  }
}

/**
 * One stack to load: a samconfig env (`configEnv`) and/or an explicit template and stack name.
 * With a config env, the template is the env's `build` (else `deploy`) `template_file` and the
 * stack name its deploy `stack_name`; explicit `file`/`stackName` win.
 */
export interface ProjectStack {
  readonly configEnv?: string;
  /** Template path relative to `templatesDir`, e.g. `backend.yaml`. */
  readonly file?: string;
  readonly stackName?: string;
  /** Wins over the samconfig overrides. */
  readonly parameterOverrides?: Readonly<Record<string, string>>;
}

export interface LoadProjectOptions {
  readonly templatesDir: string;
  readonly samConfigPath?: string;
  /** The stacks to load; by default every samconfig env that names a template and a deploy stack_name. */
  readonly stacks?: readonly ProjectStack[];
  readonly region: string;
  readonly accountId: string;
  /** Exports that exist outside the project (export name → value). */
  readonly externalExports?: ReadonlyMap<string, string>;
  /** SSM parameters that exist outside the project (name → type and value). */
  readonly externalSsmParameters?: ReadonlyMap<string, SsmParameterValue>;
  readonly resourceModel?: ResourceModel;
  readonly logger?: (message: string) => void;
}

export interface LoadedProject {
  /** Resolved stacks, each after every stack whose exports or SSM parameters it reads. */
  readonly stacks: readonly ResolvedStack[];
  /** Every export of every stack (plus the external ones). */
  readonly exports: ReadonlyMap<string, string>;
  /** Every SSM parameter the stacks create (plus the external ones), by name. */
  readonly ssmParameters: ReadonlyMap<string, SsmParameterValue>;
}

/** A stack another one needs resolved first, and why (for messages). */
interface StackDependency {
  readonly provider: StackPlan;
  /** e.g. `exports 'happy-backend-BusArn'` or `creates SSM parameter '/happy-layers/SdkLayerArn'`. */
  readonly reason: string;
}

interface StackPlan {
  readonly stackName: string;
  readonly fileName: string;
  readonly text: string;
  readonly overrides: Record<string, string>;
}

/** The source template of a config env: what `sam build` reads, else what `sam deploy` reads. */
function configTemplateFile(config: SamConfig, envName: string, templatesDir: string): string | undefined {
  const templateFile =
    commandParameters(config, envName, 'build').template_file ??
    commandParameters(config, envName, 'deploy').template_file;
  if (typeof templateFile !== 'string') return undefined;
  return relative(templatesDir, resolve(dirname(config.path), templateFile));
}

function configStackName(config: SamConfig, envName: string): string | undefined {
  const stackName = commandParameters(config, envName, 'deploy').stack_name;
  return typeof stackName === 'string' ? stackName : undefined;
}

function stacksFromSamConfig(config: SamConfig): ProjectStack[] {
  return Object.keys(config.environments)
    .filter((envName) => configStackName(config, envName) !== undefined)
    .map((envName) => ({ configEnv: envName }));
}

function configEnvFor(config: SamConfig, stack: ProjectStack): string | undefined {
  if (stack.configEnv !== undefined) return stack.configEnv;
  return Object.keys(config.environments).find(
    (envName) => configStackName(config, envName) === stack.stackName,
  );
}

function planStack(stack: ProjectStack, config: SamConfig | undefined, templatesDir: string): StackPlan {
  const envName = config ? configEnvFor(config, stack) : undefined;
  if (stack.configEnv !== undefined && !config) {
    throw new ProjectError(`config env '${stack.configEnv}' needs a samConfigPath`);
  }
  const file =
    stack.file ??
    (config && envName !== undefined ? configTemplateFile(config, envName, templatesDir) : undefined);
  const stackName =
    stack.stackName ?? (config && envName !== undefined ? configStackName(config, envName) : undefined);
  if (file === undefined || stackName === undefined) {
    throw new ProjectError(
      `a stack needs a template file and a stack name (config env: ${envName ?? 'none'})`,
    );
  }
  const absolute = resolve(templatesDir, file);
  let text: string;
  try {
    text = readFileSync(absolute, 'utf8');
  } catch {
    throw new ProjectError(`stack ${stackName}: cannot read template ${absolute}`);
  }
  const fromConfig =
    config && envName !== undefined
      ? parseParameterOverrides(commandParameters(config, envName, 'deploy').parameter_overrides)
      : {};
  return {
    stackName,
    fileName: join(basename(templatesDir), relative(templatesDir, absolute)),
    text,
    overrides: { ...fromConfig, ...stack.parameterOverrides },
  };
}

function orderByDependencies(
  plans: readonly StackPlan[],
  dependencies: ReadonlyMap<StackPlan, readonly StackDependency[]>,
): StackPlan[] {
  const ordered: StackPlan[] = [];
  const state = new Map<StackPlan, 'visiting' | 'done'>();
  const trail: string[] = [];
  const visit = (plan: StackPlan, reason?: string): void => {
    if (state.get(plan) === 'done') return;
    const label = reason ? `${plan.stackName} (${reason})` : plan.stackName;
    if (state.get(plan) === 'visiting') {
      throw new ProjectError(`circular imports between stacks: ${[...trail, label].join(' → ')}`);
    }
    state.set(plan, 'visiting');
    trail.push(label);
    for (const dependency of dependencies.get(plan) ?? []) visit(dependency.provider, dependency.reason);
    trail.pop();
    state.set(plan, 'done');
    ordered.push(plan);
  };
  for (const plan of plans) visit(plan);
  return ordered;
}

/** How stacks depend on each other: exports read by Fn::ImportValue, SSM parameters read by SSM-typed parameters. */
const LINK_KINDS = [
  {
    what: 'export',
    provided: (links: StackLinks) => links.exportNames,
    read: (links: StackLinks) => links.importNames,
    reason: (name: string) => `exports '${name}'`,
  },
  {
    what: 'SSM parameter',
    provided: (links: StackLinks) => links.ssmParameterNames,
    read: (links: StackLinks) => links.ssmParameterReads,
    reason: (name: string) => `creates SSM parameter '${name}'`,
  },
] as const;

/** The SSM parameters a resolved stack creates, as Parameter Store will hold them. */
function createdSsmParameters(stack: ResolvedStack): Array<[string, SsmParameterValue]> {
  return Object.values(stack.resources)
    .filter((resource) => resource.type === 'AWS::SSM::Parameter')
    .map((resource) => {
      const { Type: type, Value: value } = resource.properties;
      const parameterType = type === 'StringList' || type === 'SecureString' ? type : 'String';
      const text = Array.isArray(value) ? value.join(',') : String(value ?? '');
      return [String(resource.physicalId), { type: parameterType, value: text }];
    });
}

/**
 * Loads several stacks (one template each) and resolves them in the order their
 * Fn::ImportValue / Export names and SSM parameters require, feeding each stack's exports to the
 * stacks that import them and the AWS::SSM::Parameter resources it creates to the
 * `AWS::SSM::Parameter::Value<…>` parameters that read them (a parameter naming an SSM parameter
 * no stack creates fails, naming template and parameter). Parameter overrides come from samconfig
 * (when given) and then from each stack entry.
 */
export function loadProject(options: LoadProjectOptions): LoadedProject {
  const templatesDir = resolve(options.templatesDir);
  const config = options.samConfigPath === undefined ? undefined : loadSamConfig(options.samConfigPath);
  const stacks = options.stacks ?? (config ? stacksFromSamConfig(config) : []);
  if (stacks.length === 0)
    throw new ProjectError('no stacks to load: pass stacks or a samconfig with deploy envs');
  const plans = stacks.map((stack) => planStack(stack, config, templatesDir));
  const seen = new Set<string>();
  for (const plan of plans) {
    if (seen.has(plan.stackName)) {
      throw new ProjectError(
        `stack name '${plan.stackName}' is used twice; pick one stack per name with the stacks option`,
      );
    }
    seen.add(plan.stackName);
  }

  const parsed = new Map(plans.map((plan) => [plan, parseTemplate(plan.text, plan.fileName)]));
  const common = {
    region: options.region,
    accountId: options.accountId,
    resourceModel: options.resourceModel,
  };
  // For each kind of link: who provides each name, and which names each stack reads.
  const providers = LINK_KINDS.map(() => new Map<string, StackPlan>());
  const reads = new Map<StackPlan, StackLinks>();
  for (const plan of plans) {
    const { template, resourceLines } = parsed.get(plan) as ReturnType<typeof parseTemplate>;
    const links = findStackLinks({
      ...common,
      template,
      resourceLines,
      fileName: plan.fileName,
      stackName: plan.stackName,
      parameterOverrides: plan.overrides,
    });
    LINK_KINDS.forEach((kind, index) => {
      const byName = providers[index] as Map<string, StackPlan>;
      for (const name of kind.provided(links)) {
        const other = byName.get(name);
        if (other) {
          throw new ProjectError(
            `${kind.what} '${name}' is declared by both ${other.fileName} (${other.stackName}) and ${plan.fileName} (${plan.stackName})`,
          );
        }
        byName.set(name, plan);
      }
    });
    reads.set(plan, links);
  }
  const dependencies = new Map<StackPlan, StackDependency[]>();
  for (const plan of plans) {
    const links = reads.get(plan) as StackLinks;
    dependencies.set(
      plan,
      LINK_KINDS.flatMap((kind, index) =>
        kind.read(links).flatMap((name) => {
          const provider = providers[index]?.get(name);
          return provider ? [{ provider, reason: kind.reason(name) }] : [];
        }),
      ),
    );
  }

  const exports = new Map(options.externalExports ?? []);
  const ssmParameters = new Map(options.externalSsmParameters ?? []);
  const resolved: ResolvedStack[] = [];
  for (const plan of orderByDependencies(plans, dependencies)) {
    const { template, resourceLines } = parsed.get(plan) as ReturnType<typeof parseTemplate>;
    const stack = resolveStack({
      ...common,
      template,
      resourceLines,
      fileName: plan.fileName,
      stackName: plan.stackName,
      parameterOverrides: plan.overrides,
      imports: exports,
      ssmParameters,
      logger: options.logger,
    });
    for (const [name, value] of stack.exports) exports.set(name, value);
    for (const [name, value] of createdSsmParameters(stack)) ssmParameters.set(name, value);
    resolved.push(stack);
  }
  return { stacks: resolved, exports, ssmParameters };
}
