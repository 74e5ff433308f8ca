import { CloudFrontClient } from '@aws-sdk/client-cloudfront';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { RekognitionClient } from '@aws-sdk/client-rekognition';
import { S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SESClient } from '@aws-sdk/client-ses';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';

/**
 * Loads one Lambda handler the way `sam local invoke` does: a fresh module registry (so its
 * config is read from this invocation's environment at "cold start"), the environment the
 * template and events/env.json give it, and every AWS call answered by a benign mock.
 *
 * `jest.isolateModules` reloads node_modules too, which would give each handler its own,
 * unmocked copy of the SDK. The packages below are therefore handed to every isolated registry
 * as the one instance loaded here, whose clients are mocked once for the whole file.
 */

/** The secret the GDPR fixtures' approval links are signed with (see their unit tests). */
export const FIXTURE_SECRET = 'unit-test-gdpr-secret-0123456789abcdef';

/** What resetAwsMocks needs of a client mock, whatever the client. */
interface ClientMock {
  reset(): unknown;
  onAnyCommand(): { resolves(response: object): unknown };
}

/** Every SDK client the functions construct (functions/shared/clients/*.ts). */
const clientMocks: ClientMock[] = [
  mockClient(DynamoDBDocumentClient),
  mockClient(DynamoDBClient),
  mockClient(S3Client),
  mockClient(EventBridgeClient),
  mockClient(RekognitionClient),
  mockClient(SESClient),
  mockClient(SFNClient),
  mockClient(SNSClient),
  mockClient(CloudFrontClient),
];
const secretsMock = mockClient(SecretsManagerClient);

/** The SDK packages whose clients are mocked above. */
export const MOCKED_SDK_PACKAGES = [
  '@aws-sdk/client-cloudfront',
  '@aws-sdk/client-dynamodb',
  '@aws-sdk/client-eventbridge',
  '@aws-sdk/client-rekognition',
  '@aws-sdk/client-s3',
  '@aws-sdk/client-secrets-manager',
  '@aws-sdk/client-ses',
  '@aws-sdk/client-sfn',
  '@aws-sdk/client-sns',
  '@aws-sdk/lib-dynamodb',
] as const;

/** Packages shared with the isolated registries: the mocked SDK, and heavy ones that need no reload. */
const SHARED_PACKAGES = [
  ...MOCKED_SDK_PACKAGES,
  '@aws-sdk/s3-presigned-post',
  '@aws-lambda-powertools/logger',
  'sharp',
  'zod/mini',
  'zod/locales',
];
for (const name of SHARED_PACKAGES) {
  const instance: unknown = jest.requireActual(name);
  jest.doMock(name, () => instance);
}

/** Every command answers `{}` (an empty table, a missing object); the secret is the fixtures' one. */
export function resetAwsMocks(): void {
  for (const mock of [...clientMocks, secretsMock]) {
    mock.reset();
    mock.onAnyCommand().resolves({});
  }
  secretsMock.on(GetSecretValueCommand).resolves({ SecretString: FIXTURE_SECRET });
}

export type Handler = (event: unknown, context: Context) => Promise<unknown>;

/** What invoking a handler with a fixture did: what it returned, or what it threw. */
export type Invocation = { returned: unknown } | { threw: unknown };

function contextFor(functionName: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: 'fixture-invocation',
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: '$LATEST',
    getRemainingTimeInMillis: () => 10_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

export interface IsolatedInvocation {
  /** Absolute path of the handler's entry file. */
  entry: string;
  functionName: string;
  /** The function's environment, as `sam local invoke` would give it. */
  environment: Record<string, string>;
  /** Variables to remove first (the application variables tests/helpers/env.ts sets for unit tests). */
  unset: readonly string[];
  event: unknown;
}

/**
 * Imports the entry in a fresh module registry with `environment` instead of the unit tests'
 * application variables, and invokes its handler with the event. A handler that cannot even load
 * (a ConfigError at cold start) throws from here, not into the Invocation.
 */
export async function invokeInIsolation(options: IsolatedInvocation): Promise<Invocation> {
  const { entry, functionName, environment, unset, event } = options;
  const saved = { ...process.env };
  for (const name of unset) delete process.env[name];
  // Quiet logs, and any client the mocks miss fails fast instead of reaching AWS.
  Object.assign(process.env, environment, {
    POWERTOOLS_LOG_LEVEL: saved.POWERTOOLS_LOG_LEVEL ?? 'SILENT',
    AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
  });
  try {
    let handler: Handler | undefined;
    await jest.isolateModulesAsync(async () => {
      ({ handler } = (await import(entry)) as { handler: Handler });
    });
    if (typeof handler !== 'function') throw new Error(`${entry} does not export a handler function`);
    try {
      return { returned: await handler(event, contextFor(functionName)) };
    } catch (error) {
      return { threw: error };
    }
  } finally {
    for (const name of Object.keys(process.env)) delete process.env[name];
    Object.assign(process.env, saved);
  }
}
