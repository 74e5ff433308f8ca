/** Starts the local S3 endpoint on an ephemeral port against a temporary directory, for tests. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import type { S3EventRecord } from 'aws-lambda';
import { AccessControl, buildIamModel, type Credentials } from '../../../local/iam';
import { type CfnCorsRule, type LocalS3, startLocalS3 } from '../../../local/s3';

export const REGION = 'eu-west-1';
export const CREDENTIALS = { accessKeyId: 'LOCALACCESSKEY', secretAccessKey: 'local-secret-access-key' };
export const BUCKET = 'uploads';
export const CORS_BUCKET = 'web-uploads';
/** A bucket whose template enables versioning. */
export const VERSIONED_BUCKET = 'versioned-uploads';
export const CORS_RULES: CfnCorsRule[] = [
  {
    AllowedOrigins: ['http://localhost:*'],
    AllowedMethods: ['GET', 'POST', 'PUT'],
    AllowedHeaders: ['content-type', 'x-amz-*'],
    ExposedHeaders: ['ETag'],
    MaxAge: 3000,
  },
];

/**
 * The runtime's AccessControl with no principals: CREDENTIALS (or `admin`) is the administrator,
 * whose calls are all allowed; its role-session seed is kept in `dataDir`.
 */
export function adminAccess(dataDir: string, admin: Credentials = CREDENTIALS): AccessControl {
  return new AccessControl({
    model: buildIamModel([]),
    enforce: true,
    admin,
    seedFile: path.join(dataDir, 'iam-seed'),
  });
}

export interface Harness {
  s3: LocalS3;
  client: S3Client;
  records: S3EventRecord[];
  dataDir: string;
  logLines: string[];
  restart(): Promise<void>;
  close(): Promise<void>;
}

export function makeClient(
  endpoint: string,
  overrides: Partial<ConstructorParameters<typeof S3Client>[0]> = {},
) {
  return new S3Client({ region: REGION, endpoint, credentials: CREDENTIALS, ...overrides });
}

export interface HarnessOptions {
  /** Runs before a notification record counts as delivered; throwing keeps it pending. */
  deliver?: (record: S3EventRecord) => Promise<void>;
}

export async function startHarness(
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-s3-')),
  options: HarnessOptions = {},
): Promise<Harness> {
  const records: S3EventRecord[] = [];
  const logLines: string[] = [];
  const start = async () => {
    const s3 = await startLocalS3({
      dataDir,
      region: REGION,
      access: adminAccess(dataDir),
      buckets: [
        { name: BUCKET },
        { name: CORS_BUCKET, corsRules: CORS_RULES },
        { name: VERSIONED_BUCKET, versioned: true },
      ],
      onObjectCreated: async (record) => {
        await options.deliver?.(record);
        records.push(record);
      },
      log: (line) => logLines.push(line),
    });
    void s3.deliverPending(); // as the runtime does once it is started
    return s3;
  };
  const harness: Harness = {
    s3: await start(),
    client: undefined as unknown as S3Client,
    records,
    dataDir,
    logLines,
    async restart() {
      harness.client.destroy();
      await harness.s3.close();
      harness.s3 = await start();
      harness.client = makeClient(harness.s3.endpoint);
    },
    async close() {
      harness.client.destroy();
      await harness.s3.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
  harness.client = makeClient(harness.s3.endpoint);
  return harness;
}

/** Polls until `find` returns a value, failing after the deadline. */
export async function waitFor<T>(find: () => T | undefined, timeoutMs = 2000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error('condition not met before the deadline');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Extracts `<Code>` and `<Message>` from an S3 XML error body. */
export function parseErrorXml(xml: string): { code: string | undefined; message: string | undefined } {
  const code = /<Code>([^<]*)<\/Code>/.exec(xml)?.[1];
  const message = /<Message>([^<]*)<\/Message>/.exec(xml)?.[1];
  return {
    code,
    message: message
      ?.replace(/&quot;/g, '"')
      .replace(/&apos;/g, "'")
      .replace(/&amp;/g, '&'),
  };
}

/** The text of a GetObject body, failing when there is none. */
export async function bodyText(output: { Body?: { transformToString(): Promise<string> } }): Promise<string> {
  if (!output.Body) throw new Error('the response has no body');
  return output.Body.transformToString();
}

/** Returns the value, failing the test when it is undefined. */
export function defined<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('expected a value');
  return value;
}
