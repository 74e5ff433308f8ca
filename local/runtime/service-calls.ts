/**
 * Step Functions service integrations (`arn:aws:states:::dynamodb:putItem`,
 * `arn:aws:states:::aws-sdk:s3:getObject`, …) carried out with the real AWS SDK v3 clients,
 * pointed at the local endpoints through the AWS_ENDPOINT_URL_* variables.
 */

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

const clients = new Map<string, { module: ClientModule; client: Client }>();

function clientFor(service: string): { module: ClientModule; client: Client } | undefined {
  const known = clients.get(service);
  if (known) return known;
  const spec = SERVICES[service.toLowerCase()];
  if (!spec) return undefined;
  const module = spec.load();
  const ClientClass = module[spec.client] as new (config: object) => Client;
  const created = { module, client: new ClientClass({}) };
  clients.set(service, created);
  return created;
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
  const known = clientFor(service);
  if (!known) {
    return `the local runtime has no integration for the service '${service}' (it has ${Object.keys(SERVICES).join(', ')})`;
  }
  if (!commandFor(known.module, action)) return `the service '${service}' has no action ${action}`;
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

export async function callService(
  service: string,
  action: string,
  params: Record<string, unknown>,
  signal?: AbortSignal,
): Promise<unknown> {
  const known = clientFor(service);
  const Command = known && commandFor(known.module, action);
  if (!known || !Command) {
    throw new UnsupportedIntegrationError(
      unsupportedServiceReason(service, action) ?? `no ${service} ${action}`,
    );
  }
  const output = await known.client.send(new Command(params), signal ? { abortSignal: signal } : undefined);
  return plain(output);
}
