/**
 * What the workflow harnesses share: an in-memory dynalite holding the backend's application
 * table, a template's state machine with its `${…}` placeholders checked against the template's
 * DefinitionSubstitutions, and the local Step Functions engine on a manual clock.
 */
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { CreateTableCommand, type CreateTableCommandInput, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { createDynalite } from '../../local/dynamodb/dynalite';
import {
  type ExecutionDescription,
  type ExecutionStatus,
  type HistoryEvent,
  type Integrations,
  LambdaServiceError,
  ManualClock,
  StepFunctionsEngine,
} from '../../local/stepfunctions';
import { parseTemplate } from '../../local/template';

const ROOT = join(__dirname, '..', '..');
export const REGION = 'us-east-1';
export const ACCOUNT = '000000000000';
export const TABLE_NAME = 'happy-path-app-table';

/** An error as an SDK or a function throws it: its `name` becomes the state's Error. */
export function namedError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

/** Lambda refusing the invocation; the state sees `Lambda.<code>`. */
export function lambdaServiceError(code: string): LambdaServiceError {
  return new LambdaServiceError(code, 'Rate exceeded');
}

/** `Publish` from `arn:aws:lambda:…:function:Publish`. */
export function functionName(arn: string): string {
  return arn.split(':').pop() ?? arn;
}

// ------------------------------------------------------------------ template

function readTemplate(file: string): {
  path: string;
  resources: Record<string, Record<string, unknown>>;
  globals: Record<string, Record<string, unknown>>;
} {
  const path = join(ROOT, 'templates', file);
  const { template } = parseTemplate(readFileSync(path, 'utf8'), path);
  return {
    path,
    resources: template.Resources as Record<string, Record<string, unknown>>,
    globals: (template.Globals ?? {}) as Record<string, Record<string, unknown>>,
  };
}

/** Timeout in seconds of every function of templates/<templateFile>, by logical id (Globals applied; Lambda's default is 3). */
export function functionTimeouts(templateFile: string): Record<string, number> {
  const { resources, globals } = readTemplate(templateFile);
  const fallback = Number(globals.Function?.Timeout ?? 3);
  return Object.fromEntries(
    Object.entries(resources)
      .filter(([, resource]) => resource.Type === 'AWS::Serverless::Function')
      .map(([id, resource]) => [
        id,
        Number((resource.Properties as { Timeout?: unknown } | undefined)?.Timeout ?? fallback),
      ]),
  );
}

/** The ASL (unsubstituted) of the one state machine in templates/<templateFile>, parsed. */
export function stateMachineAsl(templateFile: string): Record<string, unknown> {
  return JSON.parse(readStateMachine(templateFile).definition) as Record<string, unknown>;
}

interface StateMachineSource {
  definition: string;
  substitutions: string[];
}

/** The template's one state machine: its ASL text and the names its DefinitionSubstitutions supply. */
function readStateMachine(templateFile: string): StateMachineSource {
  const { path, resources } = readTemplate(templateFile);
  const machines = Object.values(resources).filter(
    (resource) => resource.Type === 'AWS::Serverless::StateMachine',
  );
  if (machines.length !== 1) throw new Error(`${path}: expected one state machine`);
  const properties = machines[0]?.Properties as Record<string, unknown>;
  const aslPath = resolve(dirname(path), String(properties.DefinitionUri));
  return {
    definition: readFileSync(aslPath, 'utf8'),
    substitutions: Object.keys((properties.DefinitionSubstitutions ?? {}) as object),
  };
}

/**
 * The ASL of templates/<templateFile> with every `${Name}` replaced: `${<Fn>FunctionArn}` by a
 * Lambda ARN named <Fn>, any other name from `values`. Fails when the ASL and the template's
 * substitutions disagree, or a name has no value.
 */
export function stateMachineDefinition(templateFile: string, values: Record<string, string>): string {
  const { definition, substitutions } = readStateMachine(templateFile);
  const used = new Set([...definition.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((match) => match[1] as string));
  const missing = [...used].filter((name) => !substitutions.includes(name));
  const unused = substitutions.filter((name) => !used.has(name));
  if (missing.length > 0 || unused.length > 0) {
    throw new Error(
      `ASL and DefinitionSubstitutions disagree: not supplied [${missing}], supplied but unused [${unused}]`,
    );
  }
  const value = (name: string): string => {
    if (name.endsWith('FunctionArn')) {
      return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name.slice(0, -'FunctionArn'.length)}`;
    }
    const given = values[name];
    if (given === undefined) throw new Error(`The harness does not know how to substitute \${${name}}`);
    return given;
  };
  return definition.replace(/\$\{([A-Za-z0-9_]+)\}/g, (_whole, name: string) => value(name));
}

/** The AppTable of the backend template, as a CreateTable request. */
function appTableRequest(): CreateTableCommandInput {
  const table = readTemplate('backend.yaml').resources.AppTable;
  if (!table) throw new Error('templates/backend.yaml has no AppTable');
  const { AttributeDefinitions, KeySchema, GlobalSecondaryIndexes, BillingMode } = table.Properties as Record<
    string,
    unknown
  >;
  return {
    TableName: TABLE_NAME,
    AttributeDefinitions,
    KeySchema,
    GlobalSecondaryIndexes,
    BillingMode,
  } as CreateTableCommandInput;
}

// ------------------------------------------------------------------ table

export interface LocalTable {
  /** A document client on dynalite; the application table is TABLE_NAME. */
  client: DynamoDBDocumentClient;
  put(item: object): Promise<void>;
  /** A consistent read of one item. */
  read(key: { pk: string; sk: string }): Promise<Record<string, unknown> | undefined>;
  close(): Promise<void>;
}

function listen(server: Server): Promise<string> {
  return new Promise((done, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => done(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  });
}

/**
 * Starts dynalite, points this process's SDK clients at it (import the real functions after this)
 * and creates the backend's application table.
 */
export async function startLocalTable(): Promise<LocalTable> {
  const dynalite = createDynalite({ createTableMs: 0 });
  const endpoint = await listen(dynalite);
  Object.assign(process.env, {
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: 'AKIDWORKFLOWTEST',
    AWS_SECRET_ACCESS_KEY: 'workflow-test-secret',
    AWS_ENDPOINT_URL_DYNAMODB: endpoint,
    TABLE_NAME,
  });
  const client = new DynamoDBClient({});
  const table = DynamoDBDocumentClient.from(client);
  await client.send(new CreateTableCommand(appTableRequest()));
  return {
    client: table,
    async put(item) {
      await table.send(new PutCommand({ TableName: TABLE_NAME, Item: item as Record<string, unknown> }));
    },
    async read(key) {
      return (await table.send(new GetCommand({ TableName: TABLE_NAME, Key: key, ConsistentRead: true })))
        .Item;
    },
    async close() {
      client.destroy();
      dynalite.closeAllConnections();
      await new Promise((done) => dynalite.close(done));
    },
  };
}

// ------------------------------------------------------------------ engine

export interface LocalEngine {
  clock: ManualClock;
  engine: StepFunctionsEngine;
  stateMachineArn: string;
  history(executionArn: string): HistoryEvent[];
  /** Wraps an integration call so that `inFlight()` counts it while it runs. */
  tracked<T>(work: () => Promise<T>): Promise<T>;
  /** Integration calls still running: the clock must not move past them. */
  inFlight(): number;
}

/**
 * The local engine on a manual clock (retry jitter fixed), with one state machine registered.
 * `integrations` receives the engine's `tracked` to wrap its calls in.
 */
export function startLocalEngine(
  name: string,
  definition: string,
  integrations: (tracked: LocalEngine['tracked']) => Integrations,
): LocalEngine {
  let inFlight = 0;
  const tracked = async <T>(work: () => Promise<T>): Promise<T> => {
    inFlight++;
    try {
      return await work();
    } finally {
      inFlight--;
    }
  };
  const clock = new ManualClock(Date.now());
  const engine = new StepFunctionsEngine({ clock, integrations: integrations(tracked), random: () => 0.5 });
  const { stateMachineArn } = engine.registerStateMachine({
    arn: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${name}`,
    name,
    definition,
  });
  return {
    clock,
    engine,
    stateMachineArn,
    history: (executionArn) => engine.getExecutionHistory({ executionArn, maxResults: 1000 }).events,
    tracked,
    inFlight: () => inFlight,
  };
}

/** How an execution ended: its status, and its error, cause and (parsed) output where it has them. */
export function outcomeOf(description: ExecutionDescription): {
  status: ExecutionStatus;
  error?: string;
  cause?: string;
  output?: Record<string, unknown>;
} {
  return {
    status: description.status,
    ...(description.error !== undefined && { error: description.error }),
    ...(description.cause !== undefined && { cause: description.cause }),
    ...(description.output !== undefined && { output: JSON.parse(description.output) }),
  };
}
