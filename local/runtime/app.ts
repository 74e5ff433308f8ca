import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_AUDIENCE, DEFAULT_ISSUER, loadOrCreateDevKeys, signWithDevKeys } from '../api/dev-keys';
import type { LocalHttpApi } from '../api/server';
import { type ConsoleOptions, type ConsoleServer, startConsole, withConsoleOrigin } from '../console';
import type { VisionEngine } from '../services';
import { parseTemplate } from '../template';
import { type FreedMemoryReturn, startReturningFreedMemory } from './freed-memory';
import { startHttpApis } from './http-api';
import { assignParameterOverrides, type ParsedParameterOverrides } from './parameter-overrides';
import { type Runtime, type RuntimeOptions, startRuntime } from './runtime';

export const WORKFLOW_VERSIONS = ['v1', 'v2', 'v3', 'v4'] as const;
export type WorkflowVersion = (typeof WORKFLOW_VERSIONS)[number];

export interface LocalAppOptions {
  /** Project root: templates/, statemachines/, functions/, samconfig.toml. */
  root: string;
  /** Which image workflow stack is "deployed". */
  workflow: WorkflowVersion;
  dataDir: string;
  host?: string;
  /** 0 (the default) picks free ports. */
  ports?: { api?: number; s3?: number; dynamodb?: number; services?: number; cdn?: number };
  vision?: VisionEngine;
  /** Variables that win over every function's template environment. */
  functionEnvironment?: Record<string, string>;
  /** Function invocations running at once, account-wide (default: four per CPU core). */
  concurrency?: number;
  /**
   * Template parameters (`npm start -- --parameter-overrides`), over samconfig.toml and the local
   * JwtIssuer/JwtAudience defaults.
   */
  parameterOverrides?: ParsedParameterOverrides;
  /** IAM enforcement (default 'enforce'; `npm start -- --iam off` gives 'off'). */
  iam?: RuntimeOptions['iam'];
  /** Every authorization decision (tests record them). */
  onAuthorization?: RuntimeOptions['onAuthorization'];
  log?: (line: string) => void;
  /** The web console on its own port; its origin joins CorsAllowedOrigins. Off when absent. */
  console?: ConsoleOptions;
}

export interface LocalApp {
  runtime: Runtime;
  api: LocalHttpApi;
  /** The config envs running: layers, backend, workflow-vN and gdpr when their templates exist. */
  stacks: string[];
  /** A JWT the local HTTP API accepts, for `userId`. */
  token(userId: string): string;
  console?: ConsoleServer;
  /** The return of glibc's free memory to the OS while the app works (local/runtime/freed-memory.ts). */
  freedMemory: FreedMemoryReturn;
  close(): Promise<void>;
}

/**
 * The whole application offline: every stack's resources from the templates (as `npm start`
 * runs them) and the HTTP API with a JWT authorizer that trusts the data directory's dev key.
 */
export async function startLocalApp(options: LocalAppOptions): Promise<LocalApp> {
  const log = options.log ?? (() => undefined);
  const host = options.host ?? '127.0.0.1';
  const candidates = ['layers', 'backend', `workflow-${options.workflow}`, 'gdpr'];
  const stacks = candidates.filter((env) => existsSync(join(options.root, 'templates', `${env}.yaml`)));
  for (const env of candidates.filter((candidate) => !stacks.includes(candidate))) {
    log(`stack ${env}: templates/${env}.yaml does not exist yet, skipped`);
  }
  const webConsole = options.console ? await startConsole({ log, ...options.console }) : undefined;
  const overrides = parameterOverridesFor(options, stacks);
  const runtime = await startRuntime({
    root: options.root,
    configEnvs: stacks,
    dataDir: options.dataDir,
    host,
    ports: {
      s3: options.ports?.s3 ?? 0,
      dynamodb: options.ports?.dynamodb ?? 0,
      services: options.ports?.services ?? 0,
      cdn: options.ports?.cdn ?? 0,
    },
    parameterOverrides: webConsole
      ? withConsoleOrigin(overrides, { root: options.root, stacks, origin: webConsole.url })
      : overrides,
    ...(options.vision ? { vision: options.vision } : {}),
    ...(options.functionEnvironment ? { functionEnvironment: options.functionEnvironment } : {}),
    ...(options.concurrency ? { concurrency: options.concurrency } : {}),
    ...(options.iam ? { iam: options.iam } : {}),
    ...(options.onAuthorization ? { onAuthorization: options.onAuthorization } : {}),
    // Without a log, the runtime writes the functions' output to stdout, as Lambda writes it to its logs.
    ...(options.log ? { log: options.log } : {}),
  }).catch(async (error) => {
    await webConsole?.close();
    throw error;
  });
  try {
    const devKeys = await loadOrCreateDevKeys(options.dataDir);
    const api = await startHttpApis({
      stacks: runtime.stacks,
      functions: runtime.functions,
      access: runtime.access,
      devKeys,
      host,
      port: options.ports?.api ?? 0,
      log,
    });
    if (!api) throw new Error('no AWS::Serverless::HttpApi in the templates');
    // Every HTTP API is served on one local port: URLs of the deployed APIs point there.
    runtime.functions.addEnvironmentRewrite((value) =>
      value.replace(/https:\/\/[a-z0-9]+\.execute-api\.[a-z0-9-]+\.amazonaws\.com/g, api.url),
    );
    const token = (userId: string) => signWithDevKeys(devKeys, { subject: userId, ...jwtSettings(runtime) });
    webConsole?.attach({
      runtime,
      apiUrl: api.url,
      dataDir: options.dataDir,
      token: (userId, claims) =>
        signWithDevKeys(devKeys, { subject: userId, claims, ...jwtSettings(runtime) }),
    });
    const freedMemory = startReturningFreedMemory();
    if (!freedMemory.available && process.platform === 'linux')
      log(
        'memory: freed memory stays with glibc (the optional addon local/glibc-memory is not built; npm ci builds it with a C compiler, make and python3)',
      );
    return {
      runtime,
      api,
      stacks,
      token,
      ...(webConsole ? { console: webConsole } : {}),
      freedMemory,
      close: async () => {
        await webConsole?.close();
        await api.close();
        await runtime.close();
        freedMemory.stop();
      },
    };
  } catch (error) {
    await webConsole?.close();
    await runtime.close();
    throw error;
  }
}

/** Parameter names each stack's template declares (config env → names). */
function declaredParameters(root: string, stacks: readonly string[]): Record<string, string[]> {
  return Object.fromEntries(
    stacks.map((env) => {
      const fileName = join('templates', `${env}.yaml`);
      const { template } = parseTemplate(readFileSync(join(root, fileName), 'utf8'), fileName);
      const parameters = template.Parameters;
      return [env, parameters && typeof parameters === 'object' ? Object.keys(parameters) : []];
    }),
  );
}

/**
 * Local defaults (the dev key's JWT issuer and audience, so `npm run token` tokens are accepted)
 * under the command line's overrides.
 */
export function parameterOverridesFor(
  options: Pick<LocalAppOptions, 'root' | 'parameterOverrides'>,
  stacks: readonly string[],
): Record<string, Record<string, string>> {
  const overrides: Record<string, Record<string, string>> = {
    backend: { JwtIssuer: DEFAULT_ISSUER, JwtAudience: DEFAULT_AUDIENCE },
  };
  if (!options.parameterOverrides) return overrides;
  const assigned = assignParameterOverrides(
    options.parameterOverrides,
    declaredParameters(options.root, stacks),
  );
  for (const [stack, pairs] of Object.entries(assigned)) overrides[stack] = { ...overrides[stack], ...pairs };
  return overrides;
}

/** The issuer and audience the HTTP API's JWT authorizer expects, as the backend stack resolved them. */
function jwtSettings(runtime: Runtime): { issuer?: string; audience?: string | string[] } {
  const parameters = runtime.stacks.find((stack) => 'JwtIssuer' in stack.parameters)?.parameters;
  const issuer = parameters?.JwtIssuer?.value;
  const value = parameters?.JwtAudience?.value;
  const audiences = value === undefined ? [] : typeof value === 'string' ? value.split(',') : [...value];
  return {
    ...(typeof issuer === 'string' ? { issuer } : {}),
    ...(audiences.length === 0 ? {} : { audience: audiences.length === 1 ? audiences[0] : audiences }),
  };
}
