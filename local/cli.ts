/**
 * `npm start`: runs the whole application offline from its SAM templates, ASL files and
 * function code. `npm start -- --help` lists the options.
 */
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { choiceOption, portOption, visionOption } from './cli-args';
import type { WorkflowVersion } from './runtime/app';
import { defaultConcurrency } from './runtime/function-host';
import { parameterOverrideArguments, parseCliParameterOverrides } from './runtime/parameter-overrides';
import { readableLogLine } from './runtime/readable-log';

const USAGE = `Usage: npm start -- [options]
  --workflow v1|v2|v3|v4   image workflow version to run, as if that stack were deployed (default v4)
  --data-dir DIR           where buckets, tables, executions and the outbox live (default .local)
  --reset                  delete the data directory first
  --api-port N             HTTP API port (default 3000)
  --s3-port N              S3 port (default 4569)
  --dynamodb-port N        DynamoDB port (default 4567)
  --services-port N        EventBridge, Step Functions, SES, SNS, Rekognition, … port (default 4566)
  --cdn-port N             published photos, as CloudFront would serve them (default 4570)
  --host HOST              interface to listen on (default 127.0.0.1)
  --concurrency N          function invocations running at once, all functions together (default four per
                           CPU core: ${defaultConcurrency()}); beyond it, invocations wait for a slot (synchronous
                           ones up to 10 s, then TooManyRequestsException, as Lambda throttles)
  --console-port N         web console port (default 4571); --no-console turns it off
  --iam on|off             IAM: every call a function, state machine, rule or S3 notification makes is
                           checked against its role's policies from the templates (default on); off
                           allows every signed call
  --json-logs              print function log lines as the JSON they write (default: one readable line each)
  --console-host HOST      web console interface (default 127.0.0.1; another one needs --allow-remote-console)
  --vision model|declared  how the Rekognition stand-in judges photos: with the local models
                           (default once \`npm run local:vision:install\` has run) or from the
                           labels an image declares in its EXIF description
  --parameter-overrides Key=Value [stack:Key=Value …]
                           template parameters, as for sam deploy (over samconfig.toml): Key=Value
                           sets Key in every running stack that declares it, stack:Key=Value (stack
                           = config env: layers, backend, workflow-v4, gdpr) in that stack only;
                           quote values with spaces: Key="a b"`;

async function main(): Promise<void> {
  const { values, tokens } = parseArgs({
    allowPositionals: true,
    tokens: true,
    options: {
      'parameter-overrides': { type: 'string', multiple: true },
      workflow: { type: 'string', default: 'v4' },
      'data-dir': { type: 'string', default: '.local' },
      reset: { type: 'boolean', default: false },
      'api-port': { type: 'string', default: '3000' },
      's3-port': { type: 'string', default: '4569' },
      'dynamodb-port': { type: 'string', default: '4567' },
      'services-port': { type: 'string', default: '4566' },
      'cdn-port': { type: 'string', default: '4570' },
      host: { type: 'string', default: '127.0.0.1' },
      concurrency: { type: 'string' },
      'console-port': { type: 'string', default: '4571' },
      'console-host': { type: 'string', default: '127.0.0.1' },
      'allow-remote-console': { type: 'boolean', default: false },
      'no-console': { type: 'boolean', default: false },
      'json-logs': { type: 'boolean', default: false },
      iam: { type: 'string', default: 'on' },
      vision: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (!/^v[1-4]$/.test(values.workflow))
    throw new Error(`--workflow must be v1, v2, v3 or v4, not ${values.workflow}`);
  const visionMode = visionOption(values.vision);
  const iam = choiceOption('iam', values.iam, ['on', 'off'] as const) === 'on' ? 'enforce' : 'off';
  const ports = {
    api: portOption('api-port', values['api-port']),
    s3: portOption('s3-port', values['s3-port']),
    dynamodb: portOption('dynamodb-port', values['dynamodb-port']),
    services: portOption('services-port', values['services-port']),
    cdn: portOption('cdn-port', values['cdn-port']),
  };
  const concurrency = values.concurrency === undefined ? undefined : Number(values.concurrency);
  if (concurrency !== undefined && !(Number.isInteger(concurrency) && concurrency > 0))
    throw new Error(`--concurrency must be a positive integer, not ${values.concurrency}`);
  const parameterOverrides = parseCliParameterOverrides(parameterOverrideArguments(tokens ?? []));
  const root = resolve(__dirname, '..');
  const dataDir = resolve(values['data-dir']);
  if (values.reset) rmSync(dataDir, { recursive: true, force: true });
  const started = Date.now();
  const format = values['json-logs'] ? (line: string) => line : readableLogLine;
  const log = (line: string) => console.log(`${new Date().toISOString().slice(11, 23)} ${format(line)}`);
  // The runtime loads only once the command line is known good: a refusal or --help answers at once.
  const [{ startLocalApp }, { chooseVisionEngine }] = await Promise.all([
    import('./runtime/app'),
    import('./vision/choose'),
  ]);
  const vision = await chooseVisionEngine(visionMode, log);

  const app = await startLocalApp({
    root,
    workflow: values.workflow as WorkflowVersion,
    dataDir,
    host: values.host,
    ports,
    vision: vision.engine,
    ...(concurrency ? { concurrency } : {}),
    parameterOverrides,
    iam,
    log,
    ...(values['no-console']
      ? {}
      : {
          console: {
            host: values['console-host'],
            port: Number(values['console-port']),
            allowRemote: values['allow-remote-console'],
          },
        }),
  });
  const { runtime, api } = app;

  console.log(`
Happy Path is running offline (stacks: ${app.stacks.join(', ')}; data in ${dataDir})
  HTTP API     ${api.url}
  S3           ${runtime.endpoints.s3}
  DynamoDB     ${runtime.endpoints.dynamodb}
  AWS services ${runtime.endpoints.services}  (EventBridge, Step Functions, SES, SNS, Rekognition, Secrets Manager, SSM)${runtime.cdns.map((cdn) => `\n  Photos (CDN) ${cdn.url}  (CloudFront ${cdn.logicalId}: bucket ${cdn.bucket})`).join('')}
  IAM          ${iam === 'enforce' ? "enforced: each function, state machine, rule and notification may do only what its role's policies allow (--iam off turns it off)" : 'off (--iam off): every signed call is allowed'}
  Vision       ${vision.mode === 'model' ? 'model (photos judged by local models)' : 'declared (labels from EXIF declarations)'}
  token        npm run token -- <userId>${app.console ? `\n  console: ${app.console.url}` : ''}
Ready in ${Date.now() - started} ms. Ctrl-C stops.`);

  // A stop drains: the API stops taking requests, work in flight finishes (up to 30 s), the
  // engine stops (running executions resume at the next start), then S3, the functions and the
  // other services close. A repeated signal (npm and the terminal both send one) changes nothing.
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`stopping (${signal}): letting work in flight finish…`);
    try {
      await app.close();
      log(`stopped; data kept in ${dataDir}`);
      process.exit(0);
    } catch (error) {
      console.error(`stopping failed: ${(error as Error).stack ?? String(error)}`);
      process.exit(1);
    }
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error: Error) => {
  console.error(`npm start failed: ${error.message}`);
  process.exit(1);
});
