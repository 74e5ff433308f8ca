import { basename, join } from 'node:path';
import { loadProject } from '../template';

const PARAMETER = 'CorsAllowedOrigins';

/**
 * Parameter overrides that add the console's origin to every running stack's CorsAllowedOrigins
 * (as resolved from the overrides, samconfig.toml and the template default), so the console's
 * page calls the HTTP API and POSTs uploads to S3 as an allowed web front end, through real CORS.
 */
export function withConsoleOrigin(
  overrides: Record<string, Record<string, string>>,
  options: { root: string; stacks: readonly string[]; origin: string },
): Record<string, Record<string, string>> {
  const { stacks } = loadProject({
    templatesDir: join(options.root, 'templates'),
    samConfigPath: join(options.root, 'samconfig.toml'),
    stacks: options.stacks.map((configEnv) => ({
      configEnv,
      ...(overrides[configEnv] ? { parameterOverrides: overrides[configEnv] } : {}),
    })),
    region: 'us-east-1',
    accountId: '000000000000',
  });
  const result = { ...overrides };
  for (const stack of stacks) {
    // The local app runs one config env per template, named like it (templates/<env>.yaml).
    const env = basename(stack.fileName, '.yaml');
    const parameter = stack.parameters[PARAMETER];
    if (!options.stacks.includes(env) || !parameter) continue;
    const value = parameter.value;
    const origins = (Array.isArray(value) ? value.map(String) : String(value ?? '').split(','))
      .map((origin) => origin.trim())
      .filter(Boolean);
    if (origins.includes(options.origin)) continue;
    result[env] = { ...result[env], [PARAMETER]: [...origins, options.origin].join(',') };
  }
  return result;
}
