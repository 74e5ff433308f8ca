/**
 * Writes the `sam local invoke --env-vars` file: every function's environment as the local
 * runtime resolves it from the templates, plus the AWS_ENDPOINT_URL_* of a running `npm start`.
 * Functions invoked by `sam local invoke` run in Docker, where the host is host.docker.internal
 * (on Linux add `--add-host host.docker.internal:host-gateway`).
 * Usage: npm run env-json   (rewrites events/env.json)
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DEFAULT_AUDIENCE, DEFAULT_ISSUER } from './api/dev-keys';
import { parseCommandLine, runCommand } from './cli-args';
import { LOCAL_CREDENTIALS, SERVICES_ON_ONE_PORT } from './runtime/runtime';
import { loadProject } from './template';

export function buildEnvJson(root: string): Record<string, Record<string, string>> {
  const envs = ['layers', 'backend', 'workflow-v4', 'gdpr'].filter((env) =>
    existsSync(join(root, 'templates', `${env}.yaml`)),
  );
  const { stacks } = loadProject({
    templatesDir: join(root, 'templates'),
    samConfigPath: join(root, 'samconfig.toml'),
    stacks: envs.map((configEnv) => ({
      configEnv,
      ...(configEnv === 'backend'
        ? { parameterOverrides: { JwtIssuer: DEFAULT_ISSUER, JwtAudience: DEFAULT_AUDIENCE } }
        : {}),
    })),
    region: 'us-east-1',
    accountId: '000000000000',
  });
  const host = 'http://host.docker.internal';
  const shared: Record<string, string> = {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_S3: `${host}:4569`,
    AWS_ENDPOINT_URL_DYNAMODB: `${host}:4567`,
  };
  for (const service of SERVICES_ON_ONE_PORT) {
    shared[`AWS_ENDPOINT_URL_${service}`] = `${host}:4566`;
  }
  const result: Record<string, Record<string, string>> = { Parameters: shared };
  // Photo URLs point at the runtime's CloudFront stand-in (npm start --cdn-port, default 4570).
  const distributionUrls = stacks.flatMap((stack) =>
    Object.entries(stack.resources)
      .filter(([, resource]) => resource.type === 'AWS::CloudFront::Distribution')
      .map(([logicalId]) => `https://${String(stack.getAtt(logicalId, 'DomainName'))}`),
  );
  // ... and API URLs at the local HTTP API (npm start --api-port, default 3000).
  const localize = (value: string) =>
    distributionUrls
      .reduce((text, url) => text.split(url).join(`${host}:4570`), value)
      .replace(/https:\/\/[a-z0-9]+\.execute-api\.[a-z0-9-]+\.amazonaws\.com/g, `${host}:3000`);
  for (const stack of stacks) {
    for (const [logicalId, resource] of Object.entries(stack.resources)) {
      if (resource.type !== 'AWS::Serverless::Function') continue;
      const variables = ((resource.properties as { Environment?: { Variables?: Record<string, unknown> } })
        .Environment?.Variables ?? {}) as Record<string, unknown>;
      result[logicalId] = Object.fromEntries(
        Object.entries(variables).map(([key, value]) => [
          key,
          // A function's own entries win over Parameters: its declared endpoints get the local URLs.
          key.startsWith('AWS_ENDPOINT_URL_') ? (shared[key] ?? '') : localize(String(value)),
        ]),
      );
    }
  }
  return result;
}

const USAGE = `Usage: npm run env-json
  Rewrites events/env.json for \`sam local invoke --env-vars events/env.json\`, with the endpoints of
  npm start on its default ports (API 3000, services 4566, DynamoDB 4567, S3 4569, CDN 4570). Takes no options.`;

if (require.main === module) {
  runCommand('env-json', () => {
    parseCommandLine({ usage: USAGE, options: {} });
    const root = resolve(__dirname, '..');
    writeFileSync(join(root, 'events/env.json'), `${JSON.stringify(buildEnvJson(root), null, 2)}\n`);
    console.log('events/env.json written');
    return undefined;
  });
}
