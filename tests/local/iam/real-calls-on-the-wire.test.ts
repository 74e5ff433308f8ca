/**
 * Every call the real templates' functions make (tests/local/iam/real-templates.ts), sent by the
 * AWS SDK signed with that function's role session, passes the signature and IAM checks of the
 * local S3, DynamoDB and services port: what the services read off the wire is what the static
 * IAM tests authorize. (The services behind the guard may still refuse the made-up parameters,
 * e.g. NoSuchKey; only refusals of signature or IAM fail the test.)
 */
import fs from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import * as cloudfront from '@aws-sdk/client-cloudfront';
import * as dynamodb from '@aws-sdk/client-dynamodb';
import * as eventbridge from '@aws-sdk/client-eventbridge';
import * as rekognition from '@aws-sdk/client-rekognition';
import * as s3 from '@aws-sdk/client-s3';
import * as secretsmanager from '@aws-sdk/client-secrets-manager';
import * as ses from '@aws-sdk/client-ses';
import * as sfn from '@aws-sdk/client-sfn';
import * as sns from '@aws-sdk/client-sns';
import * as ssm from '@aws-sdk/client-ssm';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { createDynalite } from '../../../local/dynamodb/dynalite';
import {
  AccessControl,
  type AuthorizationRecord,
  buildIamModel,
  type Credentials,
  findPrincipal,
  type Principal,
} from '../../../local/iam';
import { type LocalS3, startLocalS3 } from '../../../local/s3';
import { guarded, guardServer, runtimeFacts } from '../../../local/services';
import type { ResolvedStack } from '../../../local/template';
import { ACCOUNT, type Call, callsOf, loadRealProject } from './real-templates';

/** The errors of a refused signature or IAM check, in every service's words. */
const REFUSALS = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'AuthorizationErrorException',
  'InvalidAccessKeyId',
  'InvalidToken',
  'SignatureDoesNotMatch',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'MissingAuthenticationTokenException',
]);

type Module = Record<string, unknown>;
const CLIENTS: Record<string, { module: Module; client: string }> = {
  s3: { module: s3, client: 'S3Client' },
  dynamodb: { module: dynamodb, client: 'DynamoDBClient' },
  events: { module: eventbridge, client: 'EventBridgeClient' },
  states: { module: sfn, client: 'SFNClient' },
  ses: { module: ses, client: 'SESClient' },
  sns: { module: sns, client: 'SNSClient' },
  secretsmanager: { module: secretsmanager, client: 'SecretsManagerClient' },
  ssm: { module: ssm, client: 'SSMClient' },
  rekognition: { module: rekognition, client: 'RekognitionClient' },
  cloudfront: { module: cloudfront, client: 'CloudFrontClient' },
};

interface Servers {
  s3: LocalS3;
  dynamodb: Server;
  services: Server;
  endpoints: Record<'s3' | 'dynamodb' | 'services', string>;
}

function functionsOf(stacks: readonly ResolvedStack[]) {
  return stacks.flatMap((stack) =>
    Object.values(stack.resources).filter((resource) => resource.type === 'AWS::Serverless::Function'),
  );
}

function functionNamed(stacks: readonly ResolvedStack[], logicalId: string) {
  const found = functionsOf(stacks).find((fn) => fn.logicalId === logicalId);
  if (!found) throw new Error(`no function ${logicalId} in the templates`);
  return found;
}

const listen = async (server: Server) => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};

describe('the real templates’ calls on the wire', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'iam-wire-'));
  const stacks = loadRealProject('workflow-v4');
  const decisions: AuthorizationRecord[] = [];
  const access = new AccessControl({
    model: buildIamModel(stacks),
    enforce: true,
    admin: { accessKeyId: 'AKIDLOCALADMIN', secretAccessKey: 'admin-secret' },
    seedFile: path.join(dataDir, 'iam-seed'),
    onAuthorization: (record) => decisions.push(record),
  });
  let servers: Servers;

  beforeAll(async () => {
    const resources = stacks.flatMap((stack) => Object.values(stack.resources));
    const secrets = resources
      .filter((resource) => resource.type === 'AWS::SecretsManager::Secret')
      .map((secret) => ({ arn: String(secret.physicalId), name: String(secret.properties.Name ?? '') }));
    // Every task token here belongs to the erasure workflow, the one that waits for one.
    const erasureWorkflow = callsOf(functionNamed(stacks, 'DecideApprovalFunction'), stacks).find(
      (call) => call.facts?.taskStateMachineArn,
    )?.facts?.taskStateMachineArn;
    const guard = {
      access,
      ...ACCOUNT,
      facts: runtimeFacts({ stateMachineOfTaskToken: () => erasureWorkflow, secrets }),
      log: () => undefined,
    };
    const localS3 = await startLocalS3({
      dataDir: path.join(dataDir, 's3'),
      region: ACCOUNT.region,
      access,
      buckets: resources
        .filter((resource) => resource.type === 'AWS::S3::Bucket')
        .map((bucket) => ({ name: String(bucket.physicalId) })),
    });
    const dynalite = createDynalite({});
    guardServer(dynalite, guard);
    // Behind the guard, every service answers an empty success: only the guard's decision matters.
    const services = createServer(
      guarded(guard, (_request, response) =>
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}'),
      ),
    );
    servers = {
      s3: localS3,
      dynamodb: dynalite,
      services,
      endpoints: { s3: localS3.endpoint, dynamodb: await listen(dynalite), services: await listen(services) },
    };
  });

  afterAll(async () => {
    await servers.s3.close();
    await new Promise((resolve) => servers.dynamodb.close(resolve));
    await new Promise((resolve) => servers.services.close(resolve));
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  /** The refusal a call gets, or undefined when the signature and IAM checks let it through. */
  async function refusalOf(call: Call, credentials: Credentials): Promise<string | undefined> {
    const { module, client: clientName } = CLIENTS[call.service] as { module: Module; client: string };
    const endpoint =
      call.service === 's3'
        ? servers.endpoints.s3
        : call.service === 'dynamodb'
          ? servers.endpoints.dynamodb
          : servers.endpoints.services;
    const Client = module[clientName] as new (
      config: object,
    ) => { send(command: unknown): Promise<unknown>; destroy(): void };
    const client = new Client({
      region: ACCOUNT.region,
      endpoint,
      credentials,
      forcePathStyle: true,
      maxAttempts: 1,
    });
    try {
      if (call.operation === 'PostObject') {
        const params = call.params as { Bucket: string; Key: string };
        const { url, fields } = await createPresignedPost(client as unknown as s3.S3Client, params);
        const form = new FormData();
        for (const [name, value] of Object.entries(fields)) form.append(name, value);
        form.append('file', new Blob([Buffer.from('x')]), 'photo.jpg');
        const response = await fetch(url, { method: 'POST', body: form });
        const code = /<Code>([^<]+)<\/Code>/.exec(await response.text())?.[1];
        return code && REFUSALS.has(code) ? code : undefined;
      }
      const Command = module[`${call.operation}Command`] as new (input: unknown) => unknown;
      const input = {
        ...structuredClone(call.params),
        ...(call.operation === 'PutObject' ? { Body: 'x' } : {}),
      };
      const output = (await client.send(new Command(input))) as {
        Errors?: Array<{ Code?: string }>;
      };
      const refused = output?.Errors?.find((entry) => REFUSALS.has(entry.Code ?? ''));
      return refused?.Code;
    } catch (error) {
      const name = (error as Error).name;
      return REFUSALS.has(name) ? `${name}: ${(error as Error).message}` : undefined;
    } finally {
      client.destroy();
    }
  }

  it('lets every call of every function through, signed with the function’s own role', async () => {
    const refused: string[] = [];
    const unchecked: string[] = [];
    for (const fn of functionsOf(stacks)) {
      const principal = findPrincipal(access.model, String(fn.physicalId), 'function') as Principal;
      const credentials = access.credentialsFor(principal);
      for (const call of callsOf(fn, stacks)) {
        if (call.service === 'lambda') continue;
        const checked = decisions.length;
        const refusal = await refusalOf(call, credentials);
        if (refusal) refused.push(`${fn.logicalId} ${call.service}:${call.operation}: ${refusal}`);
        if (decisions.length === checked) unchecked.push(`${fn.logicalId} ${call.service}:${call.operation}`);
      }
    }

    expect(refused).toEqual([]);
    // Each call reached a service and was authorized there (not stopped by the SDK before sending).
    expect(unchecked).toEqual([]);
  });

  it('refuses a resize upload signed with the role of a function that may not write photos', async () => {
    const decide = functionNamed(stacks, 'DecideApprovalFunction');
    const other = findPrincipal(access.model, String(decide.physicalId), 'function') as Principal;
    const put = callsOf(functionNamed(stacks, 'ResizeFunction'), stacks).find(
      (call) => call.operation === 'PutObject',
    ) as Call;

    const refusal = await refusalOf(put, access.credentialsFor(other));

    expect(refusal).toBe(
      `AccessDenied: User: ${other.sessionArn} is not authorized to perform: s3:PutObject on resource: "arn:aws:s3:::${String(put.params.Bucket)}/${String(put.params.Key)}" because no identity-based policy allows the s3:PutObject action`,
    );
  });
});
