import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { buildSync } from 'esbuild';
import { parse as parseToml } from 'smol-toml';
import { parseTemplate } from '../../local/template/parse';
import { referencedIds } from '../../local/validate/dependency-cycles';
import { ACTIONS_WITHOUT_RESOURCES, POLICY_TEMPLATES, TOKEN_ADDRESSED_ACTIONS } from './policy-templates';

/**
 * Offline checks of the SAM templates: what `sam build`/`sam deploy` would trip over and the
 * project's security rules. Each rule returns problems instead of throwing, so one test can show
 * every problem at once and the broken-template tests can assert that each mistake is caught.
 */

export interface Problem {
  file: string;
  where: string;
  message: string;
}

type Json = Record<string, unknown>;

export interface Stack {
  /** Absolute path of the template. */
  path: string;
  /** Path relative to the project root, for messages. */
  file: string;
  template: Json;
  stackName: string;
  parameterValues: Record<string, string>;
}

const PSEUDO_PARAMETERS = new Set([
  'AWS::AccountId',
  'AWS::NotificationARNs',
  'AWS::NoValue',
  'AWS::Partition',
  'AWS::Region',
  'AWS::StackId',
  'AWS::StackName',
  'AWS::URLSuffix',
]);

const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const asArray = (value: unknown): unknown[] =>
  Array.isArray(value) ? value : value === undefined ? [] : [value];

function section(template: Json, name: string): Json {
  const value = template[name];
  return isRecord(value) ? value : {};
}

function resourcesOf(template: Json): Array<[string, Json]> {
  return Object.entries(section(template, 'Resources')).filter((entry): entry is [string, Json] =>
    isRecord(entry[1]),
  );
}

function propertiesOf(resource: Json): Json {
  return isRecord(resource.Properties) ? resource.Properties : {};
}

/** Visits every node of a value with its path. */
function walk(value: unknown, path: string, visit: (node: unknown, path: string) => void): void {
  visit(value, path);
  if (Array.isArray(value)) {
    value.forEach((item, index) => {
      walk(item, `${path}[${index}]`, visit);
    });
  } else if (isRecord(value)) {
    for (const [key, item] of Object.entries(value)) walk(item, `${path}.${key}`, visit);
  }
}

/** `${Name}` and `${Name.Attr}` variables of a Fn::Sub string, without `${!Literal}` escapes. */
export function subVariables(text: string): string[] {
  return [...text.matchAll(/\$\{([^}!][^}]*)\}/g)].map((match) => (match[1] ?? '').trim());
}

// ------------------------------------------------------------------ loading

function parseOverrides(value: unknown): Record<string, string> {
  const text = Array.isArray(value) ? value.join(' ') : typeof value === 'string' ? value : '';
  const overrides: Record<string, string> = {};
  for (const match of text.matchAll(/([A-Za-z0-9]+)=("([^"]*)"|'([^']*)'|(\S*))/g)) {
    overrides[match[1] as string] = match[3] ?? match[4] ?? match[5] ?? '';
  }
  return overrides;
}

interface SamConfigEnv {
  env: string;
  templateFile?: string;
  stackName?: string;
  overrides: Record<string, string>;
}

export function readSamConfig(path: string): SamConfigEnv[] {
  const config = parseToml(readFileSync(path, 'utf8')) as Record<string, unknown>;
  return Object.entries(config)
    .filter(([env, value]) => env !== 'version' && env !== 'default' && isRecord(value))
    .map(([env, value]) => {
      const commands = value as Record<string, { parameters?: Json }>;
      const build = commands.build?.parameters ?? {};
      const deploy = commands.deploy?.parameters ?? {};
      return {
        env,
        ...(typeof build.template_file === 'string' ? { templateFile: build.template_file } : {}),
        ...(typeof deploy.stack_name === 'string' ? { stackName: deploy.stack_name } : {}),
        overrides: parseOverrides(deploy.parameter_overrides),
      };
    });
}

/** Parses templates, naming each stack and its parameter values as samconfig.toml deploys it. */
export function loadStacks(root: string, templateFiles: readonly string[], samConfigPath?: string): Stack[] {
  const envs = samConfigPath ? readSamConfig(samConfigPath) : [];
  return templateFiles.map((path) => {
    const file = relative(root, path);
    const { template } = parseTemplate(readFileSync(path, 'utf8'), file);
    const env = envs.find((candidate) => candidate.templateFile === file);
    const parameterValues: Record<string, string> = {};
    for (const [name, parameter] of Object.entries(section(template, 'Parameters'))) {
      if (isRecord(parameter) && parameter.Default !== undefined)
        parameterValues[name] = String(parameter.Default);
    }
    Object.assign(parameterValues, env?.overrides ?? {});
    return { path, file, template, stackName: env?.stackName ?? basename(path, '.yaml'), parameterValues };
  });
}

// ------------------------------------------------------------------ references

/** Logical ids SAM generates and templates may reference. */
function implicitResources(template: Json): Set<string> {
  const names = new Set<string>();
  for (const [id, resource] of resourcesOf(template)) {
    const properties = propertiesOf(resource);
    if (resource.Type === 'AWS::Serverless::Function' || resource.Type === 'AWS::Serverless::StateMachine') {
      if (properties.Role === undefined) names.add(`${id}Role`);
      for (const event of Object.values(isRecord(properties.Events) ? properties.Events : {})) {
        const apiId = isRecord(event) && isRecord(event.Properties) ? event.Properties.ApiId : undefined;
        if (isRecord(event) && event.Type === 'HttpApi' && apiId === undefined)
          names.add('ServerlessHttpApi');
      }
    }
  }
  return names;
}

export function checkReferences(stack: Stack): Problem[] {
  const { template, file } = stack;
  const problems: Problem[] = [];
  const parameters = new Set(Object.keys(section(template, 'Parameters')));
  const resources = new Set([...Object.keys(section(template, 'Resources')), ...implicitResources(template)]);
  const conditions = new Set(Object.keys(section(template, 'Conditions')));
  const known = (name: string) => parameters.has(name) || resources.has(name) || PSEUDO_PARAMETERS.has(name);
  const report = (where: string, message: string) => problems.push({ file, where, message });

  for (const sectionName of ['Globals', 'Conditions', 'Resources', 'Outputs']) {
    walk(template[sectionName], sectionName, (node, path) => {
      if (!isRecord(node)) return;
      if (typeof node.Ref === 'string' && !known(node.Ref))
        report(path, `!Ref ${node.Ref} names nothing in this template`);
      const getAtt = node['Fn::GetAtt'];
      if (getAtt !== undefined) {
        const target = Array.isArray(getAtt)
          ? getAtt[0]
          : typeof getAtt === 'string'
            ? getAtt.split('.')[0]
            : undefined;
        if (typeof target === 'string' && !resources.has(target))
          report(path, `!GetAtt ${target} names no resource in this template`);
      }
      const sub = node['Fn::Sub'];
      if (sub !== undefined) {
        const [text, variables] = Array.isArray(sub) ? sub : [sub, {}];
        const local = new Set(Object.keys(isRecord(variables) ? variables : {}));
        for (const variable of subVariables(String(text))) {
          const name = variable.split('.')[0] ?? variable;
          if (!local.has(variable) && !known(name) && !known(variable))
            report(path, `!Sub variable \${${variable}} names nothing in this template`);
        }
      }
      const condition = node.Condition;
      if (typeof condition === 'string' && path.split('.').length <= 3 && !conditions.has(condition))
        report(path, `Condition ${condition} is not declared`);
    });
  }
  for (const [id, resource] of resourcesOf(template)) {
    for (const dependency of asArray(resource.DependsOn)) {
      if (typeof dependency === 'string' && !resources.has(dependency))
        report(`Resources.${id}.DependsOn`, `DependsOn ${dependency} names no resource`);
    }
  }
  return problems;
}

// ------------------------------------------------------------------ functions and their code

export interface FunctionCode {
  id: string;
  entry: string;
  /** The entry and every project file it imports, transitively. */
  files: string[];
}

const EXPORTS_HANDLER =
  /export\s+(const|let|var)\s+handler\b|export\s+(async\s+)?function\s+handler\b|export\s*\{[^}]*\bhandler\b[^}]*\}/;

function globalsFor(template: Json, kind: string): Json {
  const globals = section(template, 'Globals');
  return isRecord(globals[kind]) ? (globals[kind] as Json) : {};
}

/** Resolves a project import (`#shared/x`, `#clients/x`, `./x`) to its TypeScript file. */
function resolveImport(root: string, fromFile: string, specifier: string): string | undefined {
  let base: string | undefined;
  if (specifier.startsWith('#shared/'))
    base = join(root, 'functions/shared', specifier.slice('#shared/'.length));
  else if (specifier.startsWith('#clients/'))
    base = join(root, 'functions/shared/clients', specifier.slice('#clients/'.length));
  else if (specifier.startsWith('.')) base = resolve(dirname(fromFile), specifier);
  if (!base) return undefined;
  for (const candidate of [base, `${base}.ts`, join(base, 'index.ts')]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

export function codeFiles(root: string, entry: string): string[] {
  const seen = new Set<string>();
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    const source = readFileSync(file, 'utf8');
    for (const match of source.matchAll(
      /(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\s+['"]([^'"]+)['"]/g,
    )) {
      const target = resolveImport(root, file, match[1] ?? match[2] ?? '');
      if (target) pending.push(target);
    }
  }
  return [...seen];
}

export function checkFunctions(
  stack: Stack,
  root: string,
): { problems: Problem[]; functions: FunctionCode[] } {
  const { template, file, path } = stack;
  const problems: Problem[] = [];
  const functions: FunctionCode[] = [];
  const globals = globalsFor(template, 'Function');
  const report = (where: string, message: string) => problems.push({ file, where, message });

  for (const [id, resource] of resourcesOf(template)) {
    if (resource.Type !== 'AWS::Serverless::Function') continue;
    const where = `Resources.${id}`;
    const properties = { ...globals, ...propertiesOf(resource) };
    if (properties.Runtime !== 'nodejs24.x')
      report(where, `Runtime must be nodejs24.x, not ${String(properties.Runtime)}`);
    if (JSON.stringify(properties.Architectures) !== '["arm64"]')
      report(where, 'Architectures must be [arm64]');
    if (properties.Tracing !== 'Active') report(where, 'Tracing must be Active');
    const metadata = isRecord(resource.Metadata) ? resource.Metadata : {};
    const build = isRecord(metadata.BuildProperties) ? metadata.BuildProperties : {};
    if (metadata.BuildMethod !== 'esbuild') report(`${where}.Metadata`, 'BuildMethod must be esbuild');
    const external = asArray(build.External);
    for (const required of ['@aws-sdk/*', 'sharp']) {
      if (!external.includes(required))
        report(`${where}.Metadata.BuildProperties.External`, `must list ${required}`);
    }
    const codeUri =
      typeof properties.CodeUri === 'string' ? resolve(dirname(path), properties.CodeUri) : undefined;
    if (!codeUri || !existsSync(join(codeUri, 'package.json'))) {
      report(`${where}.Properties.CodeUri`, 'CodeUri must be the folder holding package.json');
      continue;
    }
    // sam build copies CodeUri and installs its package.json: functions/ holds only what the
    // functions ship (and esbuild), where the repository root would copy and install everything.
    const functionsFolder = join(root, 'functions');
    if (codeUri !== functionsFolder)
      report(
        `${where}.Properties.CodeUri`,
        `CodeUri must be ${relative(dirname(path), functionsFolder)} (the functions folder, whose package.json brings esbuild and only what the bundles import), not ${String(properties.CodeUri)}`,
      );
    const entries = asArray(build.EntryPoints).filter((entry): entry is string => typeof entry === 'string');
    if (entries.length !== 1) {
      report(`${where}.Metadata.BuildProperties.EntryPoints`, 'must name exactly one TypeScript handler');
      continue;
    }
    const entry = join(codeUri, entries[0] as string);
    if (!entry.endsWith('.ts') || !existsSync(entry)) {
      report(`${where}.Metadata.BuildProperties.EntryPoints`, `${entries[0]} does not exist`);
      continue;
    }
    const expectedHandler = `${basename(entry, '.ts')}.handler`;
    if (properties.Handler !== expectedHandler)
      report(
        `${where}.Properties.Handler`,
        `Handler must be ${expectedHandler} for entry point ${entries[0]}`,
      );
    if (!EXPORTS_HANDLER.test(readFileSync(entry, 'utf8')))
      report(`${where}.Metadata.BuildProperties.EntryPoints`, `${entries[0]} does not export handler`);
    functions.push({ id, entry, files: codeFiles(root, entry) });
  }
  return { problems, functions };
}

// ------------------------------------------------------------------ IAM

const SERVICE_PREFIX: Readonly<Record<string, string>> = {
  '@aws-sdk/client-dynamodb': 'dynamodb',
  '@aws-sdk/lib-dynamodb': 'dynamodb',
  '@aws-sdk/client-s3': 's3',
  '@aws-sdk/client-eventbridge': 'events',
  '@aws-sdk/client-sfn': 'states',
  '@aws-sdk/client-ses': 'ses',
  '@aws-sdk/client-sns': 'sns',
  '@aws-sdk/client-rekognition': 'rekognition',
  '@aws-sdk/client-secrets-manager': 'secretsmanager',
  '@aws-sdk/client-ssm': 'ssm',
};

/** Commands whose IAM action differs from the command name. */
const ACTION_NAMES: Readonly<Record<string, string>> = {
  'dynamodb:Get': 'dynamodb:GetItem',
  'dynamodb:Put': 'dynamodb:PutItem',
  'dynamodb:Update': 'dynamodb:UpdateItem',
  'dynamodb:Delete': 'dynamodb:DeleteItem',
  'dynamodb:BatchGet': 'dynamodb:BatchGetItem',
  'dynamodb:BatchWrite': 'dynamodb:BatchWriteItem',
  's3:HeadObject': 's3:GetObject',
  's3:ListObjectsV2': 's3:ListBucket',
  's3:ListObjectVersions': 's3:ListBucketVersions',
  's3:DeleteObjects': 's3:DeleteObject',
  'ses:SendRawEmail': 'ses:SendRawEmail',
};

/**
 * The IAM actions a function's code needs: the SDK commands its bundle constructs. The entry is
 * bundled with esbuild as `sam build` does (tree-shaken, SDK external), so a helper module's
 * commands count only when the function really uses them.
 */
export function requiredActions(entry: string): Set<string> {
  const bundle = buildSync({
    entryPoints: [entry],
    bundle: true,
    write: false,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['@aws-sdk/*', 'sharp'],
    logLevel: 'silent',
  });
  const source = bundle.outputFiles[0]?.text ?? '';
  const imported = new Map<string, string>();
  for (const match of source.matchAll(/import\s*\{([^}]*)\}\s*from\s*"(@aws-sdk\/[^"]+)"/g)) {
    for (const part of (match[1] ?? '').split(',')) {
      const [name, alias] = part.trim().split(/\s+as\s+/);
      if (name) imported.set((alias ?? name).trim(), `${match[2]}#${name.trim()}`);
    }
  }
  const actions = new Set<string>();
  for (const match of source.matchAll(/new\s+([A-Za-z0-9_$]+)\s*\(/g)) {
    const origin = imported.get(match[1] ?? '');
    if (!origin) continue;
    const [pkg, exported] = origin.split('#') as [string, string];
    const prefix = SERVICE_PREFIX[pkg];
    if (!prefix || !exported.endsWith('Command')) continue;
    const action = `${prefix}:${exported.slice(0, -'Command'.length)}`;
    actions.add(ACTION_NAMES[action] ?? action);
  }
  const presignedPost = [...imported.entries()].find(([, origin]) => origin.endsWith('#createPresignedPost'));
  if (presignedPost && new RegExp(`\\b${presignedPost[0]}\\s*\\(`).test(source)) actions.add('s3:PutObject');
  return actions;
}

/**
 * What a value refers to: a logical id of this template, or `import:<Name>` for an imported
 * export (`${BackendStackName}-AppTableArn` → `import:AppTable`), so a table's name and ARN match.
 */
export function referencedResources(value: unknown): Set<string> {
  const found = new Set([...referencedIds(value)].filter((name) => !name.startsWith('AWS::')));
  walk(value, '', (node) => {
    if (!isRecord(node)) return;
    const imported = node['Fn::ImportValue'];
    if (imported !== undefined) {
      const text = typeof imported === 'string' ? imported : JSON.stringify(imported);
      const name = /-([A-Za-z0-9]+?)(?:Name|Arn)?"?\}?$/.exec(text.replace(/["}\]]+$/, ''))?.[1];
      if (name) found.add(`import:${name}`);
    }
  });
  return found;
}

interface Grant {
  actions: string[];
  resources: Set<string>;
  /** The Resource values as written (for ARNs built with !Sub from names). */
  raw: string;
  wildcard: boolean;
  where: string;
}

function grantsOf(
  policies: unknown,
  where: string,
  report: (where: string, message: string) => void,
): Grant[] {
  const grants: Grant[] = [];
  asArray(policies).forEach((policy, index) => {
    const at = `${where}.Policies[${index}]`;
    if (typeof policy === 'string') {
      report(at, `managed policy ${policy} is not least privilege; use a policy template or a statement`);
      return;
    }
    if (!isRecord(policy)) return;
    if (policy.Statement !== undefined) {
      asArray(policy.Statement).forEach((statement, statementIndex) => {
        if (!isRecord(statement) || statement.Effect !== 'Allow') return;
        const resource = asArray(statement.Resource);
        grants.push({
          actions: asArray(statement.Action).map(String),
          resources: referencedResources(resource),
          raw: JSON.stringify(resource),
          wildcard: resource.includes('*'),
          where: `${at}.Statement[${statementIndex}]`,
        });
      });
      return;
    }
    for (const [name, parameters] of Object.entries(policy)) {
      const template = POLICY_TEMPLATES[name];
      if (!template) {
        report(
          at,
          `policy template ${name} is unknown to the template rules; add it to tests/templates/policy-templates.ts`,
        );
        continue;
      }
      for (const grant of template) {
        const resource =
          grant.resourceParameter && isRecord(parameters) ? parameters[grant.resourceParameter] : undefined;
        grants.push({
          actions: [...grant.actions],
          resources: referencedResources(resource),
          raw: JSON.stringify(resource ?? null),
          wildcard: !grant.resourceParameter,
          where: at,
        });
      }
    }
  });
  return grants;
}

function actionMatches(pattern: string, action: string): boolean {
  const regex = new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i');
  return regex.test(action);
}

export function checkPolicies(stack: Stack, functions: readonly FunctionCode[]): Problem[] {
  const { template, file } = stack;
  const problems: Problem[] = [];
  const report = (where: string, message: string) => problems.push({ file, where, message });
  const globalEnvironment = globalsFor(template, 'Function').Environment;
  // The Name of each state machine as written (`${AWS::StackName}-erasure`), for ARNs built from it.
  const stateMachineNames = resourcesOf(template)
    .filter(([, resource]) => resource.Type === 'AWS::Serverless::StateMachine')
    .map(([, resource]) => {
      const name = propertiesOf(resource).Name;
      return isRecord(name) && typeof name['Fn::Sub'] === 'string' ? name['Fn::Sub'] : name;
    })
    .filter((name): name is string => typeof name === 'string');
  const stateMachines = new Set(
    resourcesOf(template)
      .filter(([, resource]) => resource.Type === 'AWS::Serverless::StateMachine')
      .map(([id]) => id),
  );
  for (const [id, resource] of resourcesOf(template)) {
    if (resource.Type !== 'AWS::Serverless::Function' && resource.Type !== 'AWS::Serverless::StateMachine')
      continue;
    const where = `Resources.${id}`;
    const properties = propertiesOf(resource);
    const grants = grantsOf(properties.Policies, `${where}.Properties`, report);
    for (const grant of grants) {
      if (grant.actions.some((action) => action === '*' || action.endsWith(':*')))
        report(grant.where, `grants ${grant.actions.join(', ')}: name the actions`);
      if (grant.wildcard && !grant.actions.every((action) => ACTIONS_WITHOUT_RESOURCES.includes(action)))
        report(grant.where, `grants ${grant.actions.join(', ')} on Resource '*': name the resources`);
    }
    const code = functions.find((candidate) => candidate.id === id);
    if (!code) continue;
    const environment = referencedResources([globalEnvironment, properties.Environment]);
    for (const action of requiredActions(code.entry)) {
      const granting = grants.filter((grant) =>
        grant.actions.some((pattern) => actionMatches(pattern, action)),
      );
      if (granting.length === 0) {
        report(`${where}.Properties.Policies`, `code calls ${action} but no policy grants it`);
        continue;
      }
      if (ACTIONS_WITHOUT_RESOURCES.includes(action)) continue;
      if (TOKEN_ADDRESSED_ACTIONS.includes(action)) {
        // The code names no resource (a task token carries its execution): the grant must still
        // be scoped to one of the stack's state machines, by reference or by an ARN of its name.
        const scoped = granting.some(
          (grant) =>
            [...grant.resources].some((name) => stateMachines.has(name)) ||
            stateMachineNames.some((name) => grant.raw.includes(`:stateMachine:${name}"`)),
        );
        if (!scoped)
          report(
            `${where}.Properties.Policies`,
            `code calls ${action}, but no policy scopes it to a state machine of this stack`,
          );
        continue;
      }
      const covered = granting.some((grant) => [...grant.resources].some((name) => environment.has(name)));
      if (!covered)
        report(
          `${where}.Properties.Policies`,
          `code calls ${action}, but no policy grants it on a resource named in the function's environment`,
        );
    }
  }
  return problems;
}

// ------------------------------------------------------------------ storage

function bucketPolicies(template: Json, bucketId: string): Json[] {
  return resourcesOf(template)
    .filter(([, resource]) => resource.Type === 'AWS::S3::BucketPolicy')
    .map(([, resource]) => propertiesOf(resource))
    .filter((properties) => referencedResources(properties.Bucket).has(bucketId));
}

function isPublicPrincipal(principal: unknown): boolean {
  if (principal === '*') return true;
  return isRecord(principal) && asArray(principal.AWS).includes('*');
}

export function checkStorage(stack: Stack, functions: readonly FunctionCode[]): Problem[] {
  const { template, file } = stack;
  const problems: Problem[] = [];
  const report = (where: string, message: string) => problems.push({ file, where, message });
  for (const [id, resource] of resourcesOf(template)) {
    const where = `Resources.${id}`;
    const properties = propertiesOf(resource);
    if (resource.Type === 'AWS::S3::Bucket') {
      const block = isRecord(properties.PublicAccessBlockConfiguration)
        ? properties.PublicAccessBlockConfiguration
        : {};
      for (const flag of [
        'BlockPublicAcls',
        'BlockPublicPolicy',
        'IgnorePublicAcls',
        'RestrictPublicBuckets',
      ]) {
        if (block[flag] !== true)
          report(`${where}.Properties.PublicAccessBlockConfiguration`, `${flag} must be true`);
      }
      const ownership = JSON.stringify(properties.OwnershipControls ?? {});
      if (!ownership.includes('"ObjectOwnership":"BucketOwnerEnforced"'))
        report(
          `${where}.Properties.OwnershipControls`,
          'ObjectOwnership must be BucketOwnerEnforced (no ACLs)',
        );
      if (properties.AccessControl !== undefined)
        report(`${where}.Properties.AccessControl`, 'buckets must not use ACLs');
      if (properties.BucketEncryption === undefined)
        report(`${where}.Properties.BucketEncryption`, 'must be encrypted');
      const tlsOnly = bucketPolicies(template, id).some((policy) =>
        JSON.stringify(policy.PolicyDocument ?? {}).match(/"Effect":"Deny".*"aws:SecureTransport":"?false"?/),
      );
      if (!tlsOnly)
        report(where, 'needs a bucket policy denying requests without TLS (aws:SecureTransport false)');
    }
    if (resource.Type === 'AWS::S3::BucketPolicy') {
      const document = isRecord(properties.PolicyDocument) ? properties.PolicyDocument : {};
      asArray(document.Statement).forEach((statement, index) => {
        if (isRecord(statement) && statement.Effect === 'Allow' && isPublicPrincipal(statement.Principal))
          report(
            `${where}.Properties.PolicyDocument.Statement[${index}]`,
            'allows everyone: buckets must stay private',
          );
      });
    }
  }
  for (const code of functions) {
    for (const codeFile of code.files) {
      if (/\bACL\s*:|public-read/.test(readFileSync(codeFile, 'utf8')))
        report(
          `Resources.${code.id}`,
          `${basename(codeFile)} sets an object ACL; serve through CloudFront instead`,
        );
    }
  }
  return problems;
}

// ------------------------------------------------------------------ parameters, globals and logs

export function checkConventions(stack: Stack): Problem[] {
  const { template, file } = stack;
  const problems: Problem[] = [];
  const report = (where: string, message: string) => problems.push({ file, where, message });
  if (template.Transform !== 'AWS::Serverless-2016-10-31')
    report('Transform', 'must be AWS::Serverless-2016-10-31');
  for (const [name, parameter] of Object.entries(section(template, 'Parameters'))) {
    if (!isRecord(parameter) || parameter.Default === undefined)
      report(`Parameters.${name}`, 'needs a safe Default so deploys need no prompt');
  }
  for (const [id, resource] of resourcesOf(template)) {
    if (resource.Type === 'AWS::Logs::LogGroup' && propertiesOf(resource).RetentionInDays === undefined)
      report(`Resources.${id}.Properties.RetentionInDays`, 'log groups need a retention period');
  }
  const hasFunctions = resourcesOf(template).some(
    ([, resource]) => resource.Type === 'AWS::Serverless::Function',
  );
  if (hasFunctions) {
    const logging = globalsFor(template, 'Function').LoggingConfig;
    if (!isRecord(logging) || logging.LogFormat !== 'JSON' || logging.LogGroup === undefined)
      report('Globals.Function.LoggingConfig', 'functions log JSON to a log group with a retention period');
  }
  return problems;
}

// ------------------------------------------------------------------ cross-stack

/** Resolves the simple string forms export and import names take (`!Sub` with parameters). */
export function resolveName(value: unknown, stack: Stack): string | undefined {
  if (typeof value === 'string') return value;
  if (!isRecord(value)) return undefined;
  const sub = value['Fn::Sub'];
  if (typeof sub === 'string') {
    let unresolved = false;
    const text = sub.replace(/\$\{([^}!][^}]*)\}/g, (_whole, name: string) => {
      if (name === 'AWS::StackName') return stack.stackName;
      const parameter = stack.parameterValues[name];
      if (parameter === undefined) unresolved = true;
      return parameter ?? '';
    });
    return unresolved ? undefined : text;
  }
  if (typeof value.Ref === 'string') return stack.parameterValues[value.Ref];
  return undefined;
}

export function checkImports(stacks: readonly Stack[]): Problem[] {
  const problems: Problem[] = [];
  const exportsByStack = new Map<Stack, Set<string>>();
  for (const stack of stacks) {
    const names = new Set<string>();
    for (const [name, output] of Object.entries(section(stack.template, 'Outputs'))) {
      if (!isRecord(output) || !isRecord(output.Export)) continue;
      const exported = resolveName(output.Export.Name, stack);
      if (exported) names.add(exported);
      else
        problems.push({
          file: stack.file,
          where: `Outputs.${name}.Export.Name`,
          message: 'export name cannot be resolved',
        });
    }
    exportsByStack.set(stack, names);
  }
  for (const stack of stacks) {
    walk(stack.template, '', (node, path) => {
      if (!isRecord(node) || node['Fn::ImportValue'] === undefined) return;
      const name = resolveName(node['Fn::ImportValue'], stack);
      const where = path.slice(1);
      if (!name) {
        problems.push({ file: stack.file, where, message: 'import name cannot be resolved from parameters' });
        return;
      }
      const exporters = stacks.filter((other) => other !== stack && exportsByStack.get(other)?.has(name));
      if (exporters.length === 0)
        problems.push({ file: stack.file, where, message: `imports ${name}, which no other stack exports` });
    });
  }
  return problems;
}

const SSM_VALUE_TYPE = /^AWS::SSM::Parameter::Value<(.+)>$/;

/**
 * Every `AWS::SSM::Parameter::Value<…>` parameter reads an SSM parameter another template creates
 * (its Default, and its samconfig override if it has one, with stack names as samconfig deploys
 * them), of the matching Parameter Store type: StringList for the list types, String otherwise.
 */
export function checkSsmParameters(stacks: readonly Stack[]): Problem[] {
  const problems: Problem[] = [];
  const created = new Map<string, { stack: Stack; type: unknown }>();
  for (const stack of stacks) {
    for (const [id, resource] of resourcesOf(stack.template)) {
      if (resource.Type !== 'AWS::SSM::Parameter') continue;
      const properties = propertiesOf(resource);
      const name = resolveName(properties.Name, stack);
      if (name) created.set(name, { stack, type: properties.Type });
      else
        problems.push({
          file: stack.file,
          where: `Resources.${id}.Properties.Name`,
          message: 'SSM parameter name cannot be resolved: readers need a fixed name',
        });
    }
  }
  for (const stack of stacks) {
    for (const [name, parameter] of Object.entries(section(stack.template, 'Parameters'))) {
      if (!isRecord(parameter) || typeof parameter.Type !== 'string') continue;
      const inner = SSM_VALUE_TYPE.exec(parameter.Type)?.[1];
      if (inner === undefined) continue;
      const expectedType =
        inner === 'CommaDelimitedList' || inner.startsWith('List<') ? 'StringList' : 'String';
      const values = new Map<string, string>();
      if (typeof parameter.Default === 'string') values.set(parameter.Default, 'Default');
      const deployed = stack.parameterValues[name];
      if (deployed !== undefined && !values.has(deployed)) values.set(deployed, 'samconfig override');
      for (const [ssmName, source] of values) {
        const report = (message: string) =>
          problems.push({ file: stack.file, where: `Parameters.${name}`, message: `${source}: ${message}` });
        const creator = created.get(ssmName);
        if (!creator || creator.stack === stack) {
          report(`reads SSM parameter ${ssmName}, which no other template creates`);
        } else if (creator.type !== expectedType) {
          report(
            `reads SSM parameter ${ssmName} as ${parameter.Type}, but ${creator.stack.file} creates it as ${String(creator.type)} (expected ${expectedType})`,
          );
        }
      }
    }
  }
  return problems;
}

// ------------------------------------------------------------------ everything

export function checkProject(root: string, stacks: readonly Stack[]): Problem[] {
  const problems: Problem[] = [];
  for (const stack of stacks) {
    const { problems: functionProblems, functions } = checkFunctions(stack, root);
    problems.push(
      ...checkConventions(stack),
      ...checkReferences(stack),
      ...functionProblems,
      ...checkPolicies(stack, functions),
      ...checkStorage(stack, functions),
    );
  }
  problems.push(...checkImports(stacks), ...checkSsmParameters(stacks));
  return problems;
}

export function formatProblems(problems: readonly Problem[]): string {
  return problems.map((problem) => `${problem.file}: ${problem.where}: ${problem.message}`).join('\n');
}
