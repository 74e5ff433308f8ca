import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  createServicesHandler,
  DeclaredLabelsVisionEngine,
  type ServicesOptions,
} from '../../../local/services';

export const REGION = 'us-east-1';
export const ACCOUNT_ID = '123456789012';

/** What every SDK client in these tests is built with: the local endpoint, fake keys, no retries. */
export function clientConfig(endpoint: string) {
  return {
    endpoint,
    region: REGION,
    credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' },
    maxAttempts: 1,
  };
}

export interface RunningServices {
  endpoint: string;
  dataDir: string;
  logLines: string[];
  close(): Promise<void>;
}

export function makeDataDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'services-test-'));
}

/** Starts the services listener on an ephemeral port of 127.0.0.1. */
export async function startServices(overrides: Partial<ServicesOptions> = {}): Promise<RunningServices> {
  const logLines: string[] = [];
  const dataDir = overrides.dataDir ?? makeDataDir();
  const listener = createServicesHandler({
    dataDir,
    region: REGION,
    accountId: ACCOUNT_ID,
    topics: [],
    secrets: [],
    parameters: [],
    vision: new DeclaredLabelsVisionEngine(),
    log: (line) => logLines.push(line),
    ...overrides,
  });
  const server = http.createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    dataDir,
    logLines,
    close: () =>
      new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}

/** The error a promise rejects with (fails the test if it resolves). */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await promise;
  } catch (error) {
    return error as Error & Record<string, unknown>;
  }
  throw new Error('Expected the promise to reject, but it resolved.');
}
