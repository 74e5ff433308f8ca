/**
 * Step Functions service integrations (`arn:aws:states:::dynamodb:putItem`,
 * `arn:aws:states:::aws-sdk:s3:getObject`, …) carried out with the real AWS SDK v3 clients,
 * pointed at the local endpoints through the AWS_ENDPOINT_URL_* variables, and signed with the
 * credentials of the state machine's role, so the local services authorize each call as that role.
 */

import type { Credentials } from '../iam';
import { UnsupportedIntegrationError } from '../stepfunctions/integrations';

type Client = {
  send(command: unknown, options?: { abortSignal?: AbortSignal }): Promise<Record<string, unknown>>;
};
type ClientModule = Record<string, unknown>;

/** Service name in an integration ARN → SDK package and client class. */
const SERVICES: Readonly<Record<string, { load: () => ClientModule; client: string }>> = {
  dynamodb: { load: () => require('@aws-sdk/client-dynamodb'), client: 'DynamoDBClient' },
  s3: { load: () => require('@aws-sdk/client-s3'), client: 'S3Client' },
  sns: { load: () => require('@aws-sdk/client-sns'), client: 'SNSClient' },
  ses: { load: () => require('@aws-sdk/client-ses'), client: 'SESClient' },
  events: { load: () => require('@aws-sdk/client-eventbridge'), client: 'EventBridgeClient' },
  eventbridge: { load: () => require('@aws-sdk/client-eventbridge'), client: 'EventBridgeClient' },
  sfn: { load: () => require('@aws-sdk/client-sfn'), client: 'SFNClient' },
  states: { load: () => require('@aws-sdk/client-sfn'), client: 'SFNClient' },
  rekognition: { load: () => require('@aws-sdk/client-rekognition'), client: 'RekognitionClient' },
  secretsmanager: { load: () => require('@aws-sdk/client-secrets-manager'), client: 'SecretsManagerClient' },
  ssm: { load: () => require('@aws-sdk/client-ssm'), client: 'SSMClient' },
};

/**
 * One client per service and key: each state machine's calls are signed as its role. Keyed by the
 * secret too: the same role's key id gets another secret in another data directory.
 */
const clients = new Map<string, Client>();

function moduleFor(service: string): ClientModule | undefined {
  const spec = SERVICES[service.toLowerCase()];
  return spec?.load();
}

function clientFor(service: string, credentials: Credentials | undefined): Client {
  const key = `${service.toLowerCase()} ${credentials ? `${credentials.accessKeyId}:${credentials.secretAccessKey}` : ''}`;
  const known = clients.get(key);
  if (known) return known;
  const spec = SERVICES[service.toLowerCase()] as (typeof SERVICES)[string];
  const ClientClass = spec.load()[spec.client] as new (config: object) => Client;
  // Without credentials, the SDK's default chain (this process's environment: the admin key).
  const client = new ClientClass(credentials ? { credentials } : {});
  clients.set(key, client);
  return client;
}

function commandFor(module: ClientModule, action: string): (new (input: object) => unknown) | undefined {
  const Command = module[`${action}Command`];
  return typeof Command === 'function' ? (Command as new (input: object) => unknown) : undefined;
}

/**
 * Why `callService` cannot call `service` `action` (PascalCase, e.g. `PutItem`), or undefined
 * when it can: the engine asks when a state machine is registered.
 */
export function unsupportedServiceReason(service: string, action: string): string | undefined {
  const module = moduleFor(service);
  if (!module) {
    return `the local runtime has no integration for the service '${service}' (it has ${Object.keys(SERVICES).join(', ')})`;
  }
  if (!commandFor(module, action)) return `the service '${service}' has no action ${action}`;
  return undefined;
}

/** Byte streams (S3 GetObject Body) come back as text, as Step Functions returns them. */
async function plain(output: Record<string, unknown>): Promise<Record<string, unknown>> {
  const { $metadata: _metadata, ...rest } = output;
  for (const [key, value] of Object.entries(rest)) {
    const stream = value as { transformToString?: () => Promise<string> } | undefined;
    if (stream && typeof stream.transformToString === 'function')
      rest[key] = await stream.transformToString();
  }
  return rest;
}

/**
 * Calls `service` `action` with `params`, signed with `credentials` (a state machine role's; the
 * process's own, the admin key, when absent). A refused call rejects with the service's
 * access-denied error, which the engine names `<Service>.AccessDeniedException` for aws-sdk
 * integrations, as Step Functions does.
 */
export async function callService(
  service: string,
  action: string,
  params: Record<string, unknown>,
  signal?: AbortSignal,
  credentials?: Credentials,
): Promise<unknown> {
  const module = moduleFor(service);
  const Command = module && commandFor(module, action);
  if (!module || !Command) {
    throw new UnsupportedIntegrationError(
      unsupportedServiceReason(service, action) ?? `no ${service} ${action}`,
    );
  }
  const client = clientFor(service, credentials);
  const output = await client.send(new Command(params), signal ? { abortSignal: signal } : undefined);
  return plain(output);
}
