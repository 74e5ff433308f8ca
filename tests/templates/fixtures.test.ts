import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import * as z from 'zod/mini';
import { DetailType, EventSource } from '#shared/model';
import { findCompletedUploads } from '../../functions/backend/upload-notifications';
import { executionInputSchema } from '../../functions/gdpr/erasure';
import { uploadSchema } from '../../functions/workflow/workflow';
import { type Invocation, invokeInIsolation, MOCKED_SDK_PACKAGES, resetAwsMocks } from './fixture-mocks';
import { loadStacks, type Stack } from './rules';

/**
 * `sam local invoke` readiness (issue 6): every function of every template has an event fixture,
 * every fixture passes its function's input validation (and every `*-invalid.json` fails it), and
 * events/env.json gives every function the variables its template declares, pointing at a
 * running `npm start`.
 */

const root = join(__dirname, '..', '..');
const templateFiles = readdirSync(join(root, 'templates'))
  .filter((name) => name.endsWith('.yaml'))
  .sort()
  .map((name) => join(root, 'templates', name));
const stacks = loadStacks(root, templateFiles, join(root, 'samconfig.toml'));

/** Fixtures that are no function's event: the inputs of the state machines (`aws stepfunctions start-execution --input`). */
const STATE_MACHINE_INPUTS: Readonly<Record<string, z.ZodMiniType>> = {
  // The uploadComplete event that starts workflows v1–v4.
  'events/workflow/upload-complete-event.json': z.object({
    source: z.literal(EventSource.uploads),
    'detail-type': z.literal(DetailType.uploadComplete),
    detail: uploadSchema,
  }),
  // The execution input StartErasureFunction gives the erasure flow.
  'events/gdpr/execution-input.json': executionInputSchema,
};

/** events/env.json is built (local/env-json.ts) from this workflow version; v1–v3 share its logical ids. */
const ENV_JSON_WORKFLOW = 'templates/workflow-v4.yaml';

/** The local runtime's default ports (`npm start`), as seen from a `sam local invoke` container. */
const LOCAL_HOST = 'http://host.docker.internal';
const ENDPOINT_PORTS: Readonly<Record<string, number>> = { S3: 4569, DYNAMODB: 4567 };
const SERVICES_PORT = 4566;
const CDN_PORT = 4570;

// ------------------------------------------------------------------ the functions and fixtures

type Json = Record<string, unknown>;
const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const record = (value: unknown): Json => (isRecord(value) ? value : {});

interface LambdaFunction {
  /** templates/<name>.yaml */
  template: string;
  id: string;
  /** The esbuild entry point relative to the project root, e.g. functions/gdpr/plan-purge.ts. */
  entry: string;
  /** events/<folder>/ holds its fixtures: the entry's directory name. */
  folder: string;
  /** The entry's file name without .ts: its fixtures are <name>.json and <name>-<case>.json. */
  name: string;
  /** Environment variables the template declares for it (Globals and its own), with their template values. */
  variables: Json;
}

function functionsOf(stack: Stack): LambdaFunction[] {
  const globals = record(record(stack.template.Globals).Function);
  return Object.entries(record(stack.template.Resources))
    .filter(([, resource]) => record(resource).Type === 'AWS::Serverless::Function')
    .map(([id, resource]) => {
      const properties = record(record(resource).Properties);
      const codeUri = String(properties.CodeUri ?? globals.CodeUri ?? '.');
      const entryPoints = record(record(record(resource).Metadata).BuildProperties).EntryPoints;
      const entryPoint = Array.isArray(entryPoints) ? String(entryPoints[0]) : '';
      const entry = relative(root, resolve(dirname(stack.path), codeUri, entryPoint));
      return {
        template: stack.file,
        id,
        entry,
        folder: basename(dirname(entry)),
        name: basename(entry, '.ts'),
        variables: {
          ...record(record(globals.Environment).Variables),
          ...record(record(properties.Environment).Variables),
        },
      };
    });
}

const functions = stacks.flatMap(functionsOf);

const fixtures = readdirSync(join(root, 'events'), { withFileTypes: true })
  .filter((folder) => folder.isDirectory())
  .flatMap((folder) =>
    readdirSync(join(root, 'events', folder.name))
      .filter((file) => file.endsWith('.json'))
      .map((file) => `events/${folder.name}/${file}`),
  )
  .sort();

/** The entry whose fixture this is: the longest handler name it starts with (`<name>.json` or `<name>-…`). */
function ownerOf(fixture: string): LambdaFunction | undefined {
  const folder = basename(dirname(fixture));
  const file = basename(fixture);
  return functions
    .filter((fn) => fn.folder === folder && (file === `${fn.name}.json` || file.startsWith(`${fn.name}-`)))
    .sort((a, b) => b.name.length - a.name.length)[0];
}

const fixturesOf = (fn: LambdaFunction) => fixtures.filter((fixture) => ownerOf(fixture)?.entry === fn.entry);

const readJson = (path: string): unknown => JSON.parse(readFileSync(join(root, path), 'utf8'));

// ------------------------------------------------------------------ classifying an invocation

type Classification = { validation: 'passed' | 'failed' | 'unclassified'; outcome: string };

function parseBody(body: unknown): Json {
  try {
    return record(JSON.parse(String(body)));
  } catch {
    return {};
  }
}

/** How the API and approval routes answer input they refuse: `<status> <JSON code>`, or an HTML page. */
const INVALID_INPUT_ANSWERS = ['400 INVALID_REQUEST', '401 UNAUTHORIZED', '403 HTML page'];

/**
 * Input validation failed when, and only when, the function answered the way it reports bad
 * input: a workflow task throws InvalidTaskInputError (functions/shared/task-input.ts); an API
 * route answers 400 INVALID_REQUEST (BadRequestError) or, without the authorizer's claims, 401
 * UNAUTHORIZED (functions/shared/http.ts); an approval page answers 403 for a malformed or
 * forged link (functions/gdpr/approval-pages.ts). Everything the mocked, empty AWS makes of
 * valid input counts as passed: a result, 404 (nothing in the table), 409, 410 (the link is
 * checked for shape and signature before expiry, so an expired fixture link is still a valid
 * one), 500/503 or an error thrown from an empty response. Any other 4xx is unclassified.
 */
function classify(invocation: Invocation): Classification {
  if ('threw' in invocation) {
    const error = invocation.threw as Error;
    const outcome = `threw ${error?.name}: ${error?.message}`;
    return { validation: error?.name === 'InvalidTaskInputError' ? 'failed' : 'passed', outcome };
  }
  const result = record(invocation.returned);
  if (typeof result.statusCode !== 'number') return { validation: 'passed', outcome: 'returned a result' };
  const status = result.statusCode;
  const html = String(record(result.headers)['content-type']).startsWith('text/html');
  const code = html ? 'HTML page' : String(parseBody(result.body).code);
  const answer = `${status} ${code}`;
  const outcome = `answered ${answer}`;
  if (INVALID_INPUT_ANSWERS.includes(answer)) return { validation: 'failed', outcome };
  if (status < 400 || [404, 409, 410].includes(status) || status >= 500)
    return { validation: 'passed', outcome };
  return { validation: 'unclassified', outcome };
}

// ------------------------------------------------------------------ the environment sam local invoke gives

const envJson = readJson('events/env.json') as Record<string, Record<string, string>>;

/** Every variable any template declares: removed before an invocation so only the function's own count. */
const templateVariables = [...new Set(functions.flatMap((fn) => Object.keys(fn.variables)))];

/**
 * `sam local invoke --env-vars events/env.json`: each variable the template declares, valued from
 * the function's env.json entry, else the template's literal value, else '' (an unresolved
 * intrinsic). Variables the template does not declare are never set (SAM CLI ignores them).
 */
function samLocalEnvironment(fn: LambdaFunction): Record<string, string> {
  return Object.fromEntries(
    Object.entries(fn.variables).map(([name, value]) => [
      name,
      envJson[fn.id]?.[name] ?? (isRecord(value) || Array.isArray(value) ? '' : String(value)),
    ]),
  );
}

// ------------------------------------------------------------------ 1. coverage

describe('event fixtures cover every function', () => {
  it('finds the functions of every template', () => {
    expect(functions.map((fn) => fn.template)).toEqual(
      expect.arrayContaining(['templates/backend.yaml', ENV_JSON_WORKFLOW, 'templates/gdpr.yaml']),
    );
  });

  it.each(functions)('$id of $template has a fixture events/$folder/$name*.json', (fn) => {
    expect(fixturesOf(fn)).not.toEqual([]);
  });

  it('every fixture is the event of a function or a listed state machine input', () => {
    const orphans = fixtures.filter((fixture) => !ownerOf(fixture) && !(fixture in STATE_MACHINE_INPUTS));

    expect(orphans).toEqual([]);
  });

  it.each(Object.keys(STATE_MACHINE_INPUTS))('state machine input %s matches its contract', (fixture) => {
    const parsed = STATE_MACHINE_INPUTS[fixture]?.safeParse(readJson(fixture));

    expect(parsed?.error?.issues ?? []).toEqual([]);
  });
});

// ------------------------------------------------------------------ 2. input validation

const validationCases = functions.flatMap((fn) =>
  fixturesOf(fn).map((fixture) => ({
    fixture,
    fn,
    id: fn.id,
    stack: basename(fn.template, '.yaml'),
    verdict: fixture.endsWith('-invalid.json') ? ('fails' as const) : ('passes' as const),
  })),
);

describe("event fixtures pass their function's input validation", () => {
  beforeEach(() => {
    resetAwsMocks();
  });

  it('mocks every AWS SDK client package the functions import', () => {
    const imported = new Set<string>();
    for (const file of readdirSync(join(root, 'functions'), { recursive: true, encoding: 'utf8' })) {
      if (!file.endsWith('.ts')) continue;
      const source = readFileSync(join(root, 'functions', file), 'utf8');
      for (const match of source.matchAll(/from '(@aws-sdk\/(?:client-[a-z0-9-]+|lib-dynamodb))'/g))
        imported.add(match[1] as string);
    }

    expect(
      [...imported].filter((name) => !(MOCKED_SDK_PACKAGES as readonly string[]).includes(name)),
    ).toEqual([]);
  });

  it('finds an invalid fixture to reject', () => {
    expect(validationCases.filter((testCase) => testCase.verdict === 'fails')).not.toEqual([]);
  });

  it.each(validationCases)(
    "$fixture $verdict $id's input validation ($stack)",
    async ({ fixture, fn, verdict }) => {
      const invocation = await invokeInIsolation({
        entry: join(root, fn.entry),
        functionName: fn.id,
        environment: samLocalEnvironment(fn),
        unset: templateVariables,
        event: readJson(fixture),
      });

      expect(classify(invocation)).toMatchObject({ validation: verdict === 'passes' ? 'passed' : 'failed' });
    },
  );
});

describe('S3 notification fixtures', () => {
  // The notifier answers every input with a result (it skips what is not an upload), so its
  // fixtures are checked where it reads them: each is an upload the function would announce,
  // except the s3:TestEvent that S3 sends when the notification is configured.
  const notifications = readdirSync(join(root, 'events', 'backend'))
    .filter((name) => name.startsWith('notify-upload-complete'))
    .map((name) => join('events', 'backend', name));

  it.each(notifications)('%s is read as the S3 sends it', (fixture) => {
    const found = findCompletedUploads(readJson(fixture));

    if (fixture.endsWith('-test-event.json')) {
      expect(found).toEqual({ uploads: [], skipped: ['S3 test event'] });
    } else if (fixture.endsWith('-encoded-key.json')) {
      // A form-encoded upload key next to a foreign one, as a bucket shared with other writers sends.
      expect(found.uploads).toHaveLength(1);
      expect(found.skipped).toEqual(['record 0: key is not <placeId>/<uploadId>.jpg']);
    } else {
      expect(found.skipped).toEqual([]);
      expect(found.uploads.length).toBeGreaterThanOrEqual(1);
    }
  });
});

// ------------------------------------------------------------------ 3. events/env.json

const uniqueIds = [...new Set(functions.map((fn) => fn.id))];
const definitionsOf = (id: string) => functions.filter((fn) => fn.id === id);
/** The definition env.json follows: the only one, or workflow-v4's when the workflow versions share the id. */
const envJsonSourceOf = (id: string): LambdaFunction | undefined => {
  const definitions = definitionsOf(id);
  return definitions.length === 1
    ? definitions[0]
    : definitions.find((fn) => fn.template === ENV_JSON_WORKFLOW);
};
const envJsonSources = functions.filter((fn) => envJsonSourceOf(fn.id) === fn);
const otherVersions = functions.filter((fn) => envJsonSourceOf(fn.id) !== fn);
const parameters = envJson.Parameters ?? {};
const endpointVariables = Object.keys(parameters).filter((name) => name.startsWith('AWS_ENDPOINT_URL_'));
const portOf = (variable: string) =>
  ENDPOINT_PORTS[variable.slice('AWS_ENDPOINT_URL_'.length)] ?? SERVICES_PORT;

describe('events/env.json gives every function its environment on the local runtime', () => {
  it('has an entry for every function logical id and no other, besides Parameters', () => {
    expect(Object.keys(envJson).sort()).toEqual(['Parameters', ...uniqueIds].sort());
  });

  it.each(envJsonSources)('lists exactly the variables $template declares for $id', (fn) => {
    expect(Object.keys(envJson[fn.id] ?? {}).sort()).toEqual(Object.keys(fn.variables).sort());
  });

  it.each(otherVersions)(`$template declares no variable for $id that ${ENV_JSON_WORKFLOW} lacks`, (fn) => {
    const source = envJsonSourceOf(fn.id);
    const names = Object.keys(source?.variables ?? {});

    expect(source).toBeDefined();
    expect(Object.keys(fn.variables).filter((name) => !names.includes(name))).toEqual([]);
  });

  it('has an endpoint for every service the SDK clients in functions/shared/clients call', () => {
    const needed = readdirSync(join(root, 'functions/shared/clients')).flatMap((file) => [
      ...readFileSync(join(root, 'functions/shared/clients', file), 'utf8').matchAll(
        /AWS_ENDPOINT_URL_[A-Z0-9_]+/g,
      ),
    ]);

    expect(needed.length).toBeGreaterThan(0);
    expect(endpointVariables).toEqual(expect.arrayContaining(needed.map((match) => match[0])));
  });

  it.each(endpointVariables)('points %s at the local runtime on host.docker.internal', (variable) => {
    expect(parameters[variable]).toBe(`${LOCAL_HOST}:${portOf(variable)}`);
  });

  it.each(uniqueIds.filter((id) => envJson[id]?.PHOTO_BASE_URL !== undefined))(
    "points %s's PHOTO_BASE_URL at the runtime's CDN on host.docker.internal",
    (id) => {
      expect(envJson[id]?.PHOTO_BASE_URL).toBe(`${LOCAL_HOST}:${CDN_PORT}`);
    },
  );
});
