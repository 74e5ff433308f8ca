import { readFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { integrationRequest, type ServiceRequest } from '../../../local/iam';
import type { ResolvedResource, ResolvedStack } from '../../../local/template';
import { loadProject } from '../../../local/template';

export const ROOT = join(__dirname, '..', '..', '..');
export const ACCOUNT = { region: 'eu-west-1', accountId: '123456789012' };
export const WORKFLOW_VERSIONS = ['workflow-v1', 'workflow-v2', 'workflow-v3', 'workflow-v4'] as const;

/** The stacks `npm start` runs with one workflow version (all versions share one stack name). */
export function loadRealProject(workflow: string, root = ROOT): ResolvedStack[] {
  return [
    ...loadProject({
      ...ACCOUNT,
      templatesDir: join(root, 'templates'),
      samConfigPath: join(root, 'samconfig.toml'),
      stacks: ['layers', 'backend', workflow, 'gdpr'].map((configEnv) => ({ configEnv })),
    }).stacks,
  ];
}

type Env = Readonly<Record<string, string>>;
/** A call a function's code makes, in the SDK's shape, with the resources its environment names. */
export type Call = Omit<ServiceRequest, 'region' | 'accountId'>;

const PLACE = 'place-1';
const UPLOAD = '01900000-0000-7000-8000-000000000001';
const VERSION = 'v3rs10n';
const REPORT_KEY = 'reports/request-1/report.json';
const UPLOAD_KEY = `${PLACE}/${UPLOAD}.jpg`;

const table = (env: Env, ...operations: string[]): Call[] =>
  operations.map((operation) => ({ service: 'dynamodb', operation, params: { TableName: env.TABLE_NAME } }));
const secret = (env: Env): Call => ({
  service: 'secretsmanager',
  operation: 'GetSecretValue',
  params: { SecretId: env.GDPR_SECRET_ID },
});
const readReport = (env: Env): Call => ({
  service: 's3',
  operation: 'GetObject',
  params: { Bucket: env.REPORTS_BUCKET, Key: REPORT_KEY },
});
const userIndexQuery = (env: Env): Call => ({
  service: 'dynamodb',
  operation: 'Query',
  params: { TableName: env.TABLE_NAME, IndexName: 'ByUser' },
});
const listVersions = (env: Env): Call[] =>
  [env.UPLOAD_BUCKET, env.DISTRIBUTION_BUCKET].map((bucket) => ({
    service: 's3',
    operation: 'ListObjectVersions',
    params: { Bucket: bucket, Prefix: UPLOAD_KEY },
  }));
const rekognition = (operation: string, env: Env): Call => ({
  service: 'rekognition',
  operation,
  params: { Image: { S3Object: { Bucket: env.UPLOAD_BUCKET, Name: UPLOAD_KEY, Version: VERSION } } },
});
const readOriginal = (env: Env): Call[] => [
  {
    service: 's3',
    operation: 'GetObject',
    params: { Bucket: env.UPLOAD_BUCKET, Key: UPLOAD_KEY, VersionId: VERSION },
  },
  { service: 's3', operation: 'GetObject', params: { Bucket: env.UPLOAD_BUCKET, Key: UPLOAD_KEY } },
];

/**
 * Every AWS call each handler's code makes (read from functions/: the commands, their parameters
 * and which environment variable names the resource), by entry point. The test checks this
 * list against the commands the bundled code constructs, so it cannot fall behind the code.
 */
export const CALLS: Readonly<
  Record<string, (env: Env, facts: { erasureStateMachineArn: string }) => Call[]>
> = {
  'create-location.ts': (env) => table(env, 'PutItem'),
  'get-location.ts': (env) => table(env, 'GetItem', 'Query'),
  'get-upload.ts': (env) => table(env, 'GetItem'),
  'create-upload-ticket.ts': (env) => [
    ...table(env, 'GetItem', 'PutItem', 'DeleteItem'),
    // The presigned POST is signed by the function: S3 authorizes the upload as its PutObject.
    { service: 's3', operation: 'PostObject', params: { Bucket: env.UPLOAD_BUCKET, Key: UPLOAD_KEY } },
  ],
  'delete-unknown-upload.ts': (env) => [
    ...table(env, 'GetItem'),
    {
      service: 's3',
      operation: 'ListObjectVersions',
      params: { Bucket: env.UPLOAD_BUCKET, Prefix: UPLOAD_KEY },
    },
    {
      service: 's3',
      operation: 'DeleteObjects',
      params: { Bucket: env.UPLOAD_BUCKET, Delete: { Objects: [{ Key: UPLOAD_KEY, VersionId: VERSION }] } },
    },
  ],
  'notify-upload-complete.ts': (env) => [
    ...table(env, 'UpdateItem', 'GetItem'),
    {
      service: 'events',
      operation: 'PutEvents',
      params: { Entries: [{ EventBusName: env.EVENT_BUS_NAME }] },
    },
  ],
  'create-erasure-request.ts': (env) => [
    ...table(env, 'GetItem', 'PutItem'),
    {
      service: 'events',
      operation: 'PutEvents',
      params: { Entries: [{ EventBusName: env.EVENT_BUS_NAME }] },
    },
    secret(env),
  ],
  'get-erasure-request.ts': (env) => [...table(env, 'GetItem'), secret(env)],
  'start-erasure.ts': (env) => [
    { service: 'states', operation: 'StartExecution', params: { stateMachineArn: env.STATE_MACHINE_ARN } },
  ],
  'build-purge-report.ts': (env) => [
    ...table(env, 'GetItem', 'UpdateItem'),
    userIndexQuery(env),
    ...listVersions(env),
    { service: 's3', operation: 'PutObject', params: { Bucket: env.REPORTS_BUCKET, Key: REPORT_KEY } },
    readReport(env),
  ],
  'request-approval.ts': (env) => [
    ...table(env, 'GetItem', 'PutItem', 'UpdateItem'),
    secret(env),
    {
      service: 'ses',
      operation: 'SendEmail',
      params: { Source: env.SENDER_EMAIL, Destination: { ToAddresses: [env.APPROVER_EMAIL] } },
    },
  ],
  'approval-page.ts': (env) => [...table(env, 'GetItem'), secret(env)],
  'decide-approval.ts': (env, facts) => [
    ...table(env, 'GetItem', 'UpdateItem'),
    secret(env),
    ...['SendTaskSuccess', 'SendTaskFailure'].map((operation) => ({
      service: 'states',
      operation,
      params: { taskToken: 'token' },
      facts: { taskStateMachineArn: facts.erasureStateMachineArn },
    })),
  ],
  'plan-purge.ts': (env) => [...table(env, 'UpdateItem'), readReport(env)],
  'purge-objects.ts': (env) => [
    readReport(env),
    ...listVersions(env),
    ...[env.UPLOAD_BUCKET, env.DISTRIBUTION_BUCKET].map((bucket) => ({
      service: 's3',
      operation: 'DeleteObjects',
      params: { Bucket: bucket, Delete: { Objects: [{ Key: UPLOAD_KEY, VersionId: VERSION }] } },
    })),
    {
      service: 'cloudfront',
      operation: 'CreateInvalidation',
      params: { DistributionId: env.DISTRIBUTION_ID },
    },
  ],
  'purge-records.ts': (env) => [
    {
      service: 'dynamodb',
      operation: 'BatchWriteItem',
      params: { RequestItems: { [env.TABLE_NAME as string]: [] } },
    },
    readReport(env),
  ],
  'verify-purge.ts': (env) => [
    ...listVersions(env),
    readReport(env),
    ...table(env, 'GetItem'),
    userIndexQuery(env),
  ],
  'close-abandoned-execution.ts': (env) => [
    ...table(env, 'GetItem', 'PutItem', 'UpdateItem', 'DeleteItem'),
    { service: 'sns', operation: 'Publish', params: { TopicArn: env.OUTCOME_TOPIC_ARN } },
  ],
  'close-request.ts': (env) => table(env, 'GetItem', 'UpdateItem', 'PutItem', 'DeleteItem'),
  'check-dimensions.ts': (env) => readOriginal(env),
  'moderate.ts': (env) => [rekognition('DetectModerationLabels', env)],
  'detect-people.ts': (env) => [rekognition('DetectLabels', env)],
  'resize.ts': (env) => [
    ...readOriginal(env),
    ...['tiles', 'photos'].map((folder) => ({
      service: 's3',
      operation: 'PutObject',
      params: { Bucket: env.DISTRIBUTION_BUCKET, Key: `${folder}/${PLACE}/${UPLOAD}.jpg` },
    })),
  ],
  'publish.ts': (env) => table(env, 'UpdateItem', 'PutItem', 'GetItem'),
};

export function entryPointOf(fn: ResolvedResource): string {
  const entry = (fn.metadata?.BuildProperties as { EntryPoints?: string[] } | undefined)?.EntryPoints?.[0];
  if (!entry) throw new Error(`${fn.logicalId} has no esbuild entry point`);
  // EntryPoints are relative to CodeUri, which is relative to the template's folder.
  const codeUri = typeof fn.properties.CodeUri === 'string' ? fn.properties.CodeUri : '.';
  return relative(ROOT, resolve(ROOT, 'templates', codeUri, entry));
}

export function environmentOf(fn: ResolvedResource): Env {
  const variables = (fn.properties.Environment as { Variables?: Record<string, unknown> } | undefined)
    ?.Variables;
  return Object.fromEntries(Object.entries(variables ?? {}).map(([name, value]) => [name, String(value)]));
}

export function callsOf(fn: ResolvedResource, stacks: readonly ResolvedStack[]): Call[] {
  const calls = CALLS[basename(entryPointOf(fn))];
  if (!calls)
    throw new Error(`no call list for ${entryPointOf(fn)}: add it to tests/local/iam/real-templates.ts`);
  const gdpr = stacks.find((stack) => stack.resources.ErasureWorkflow !== undefined) as ResolvedStack;
  return calls(environmentOf(fn), { erasureStateMachineArn: awsStateMachineArn(gdpr, 'ErasureWorkflow') });
}

/**
 * A SAM state machine's ARN as AWS names it: after its `Name` property. (local/template's resource
 * model reads `StateMachineName`, the AWS::StepFunctions::StateMachine property, for SAM's type too,
 * so its `Ref` differs from AWS when `Name` is set; reported to the lead.)
 */
export function awsStateMachineArn(stack: ResolvedStack, logicalId: string): string {
  const machine = stack.resources[logicalId] as ResolvedResource;
  const name = machine.properties.Name;
  const physical = String(machine.physicalId);
  return typeof name === 'string' ? physical.replace(/[^:]+$/, name) : physical;
}

interface TaskState {
  readonly path: string;
  readonly resource: string;
  readonly parameters: Record<string, unknown>;
}

/** Static parameters only: `.$` keys are computed at run time. */
function staticParameters(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(staticParameters);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => !key.endsWith('.$'))
      .map(([key, inner]) => [key, staticParameters(inner)]),
  );
}

function tasksOf(states: Record<string, Record<string, unknown>>, prefix: string): TaskState[] {
  return Object.entries(states).flatMap(([name, state]) => {
    const path = `${prefix}${name}`;
    const nested = [
      ...((state.Branches as Array<{ States: Record<string, Record<string, unknown>> }> | undefined) ?? []),
      ...(state.ItemProcessor
        ? [state.ItemProcessor as { States: Record<string, Record<string, unknown>> }]
        : []),
      ...(state.Iterator ? [state.Iterator as { States: Record<string, Record<string, unknown>> }] : []),
    ].flatMap((branch) => tasksOf(branch.States, `${path} > `));
    if (state.Type !== 'Task') return nested;
    return [
      {
        path,
        resource: String(state.Resource),
        parameters: staticParameters(state.Parameters ?? {}) as Record<string, unknown>,
      },
      ...nested,
    ];
  });
}

/** Every Task of a state machine (nested ones too) as the request its integration makes. */
export function stateMachineCalls(
  stack: ResolvedStack,
  machine: ResolvedResource,
  templatesDir = join(ROOT, 'templates'),
): Array<{ path: string; request: ServiceRequest }> {
  const substitutions = (machine.properties.DefinitionSubstitutions ?? {}) as Record<string, unknown>;
  const text = readFileSync(resolve(templatesDir, String(machine.properties.DefinitionUri)), 'utf8').replace(
    /\$\{([A-Za-z0-9_]+)\}/g,
    (whole, name: string) => (name in substitutions ? String(substitutions[name]) : whole),
  );
  const definition = JSON.parse(text) as { States: Record<string, Record<string, unknown>> };
  return tasksOf(definition.States, '').map((task) => ({
    path: task.path,
    request: integrationRequest(task.resource, task.parameters, {
      region: stack.region,
      accountId: stack.accountId,
      partition: stack.partition,
    }),
  }));
}
