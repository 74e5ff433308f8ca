/**
 * What the GDPR function tests share: the request and upload they are about, the handler imported
 * once its environment is set, the approved report the purge tasks read, and the frozen date and
 * GDPR secret the approval functions need.
 */
import { Readable } from 'node:stream';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { type LinkDecision, signApprovalLink } from '../../../../functions/gdpr/approval-links';
import { buildReport, serializeReport, sha256Hex } from '../../../../functions/gdpr/erasure-report';
import { type GdprKeys, loadGdprKeys, resetGdprKeysForTests } from '../../../../functions/gdpr/gdpr-keys';
import { fixture } from '../../../helpers/fixtures';

export const REQUEST_ID = '3f6c2a1e-8b4d-4c2a-9e1f-5a7b8c9d0e1f';
export const REPORT_KEY = `reports/${REQUEST_ID}/report.json`;
export const UPLOAD_ID = '0192f3a0-7b1c-7d2e-8f3a-4b5c6d7e8f90';
export const PLACE = 'ChIJ-central-park';
export const NOW = new Date('2026-11-26T12:00:00.000Z');
export const REPORT_BUCKETS = { uploadBucket: 'upload-bucket', distributionBucket: 'distribution-bucket' };
export const REPORTS_BUCKET = 'reports-bucket';

const GDPR_SECRET_ID = 'happy-path-gdpr-secret';
const SECRET = 'unit-test-gdpr-secret-0123456789abcdef';

// ------------------------------------------------------------------ handler

/**
 * The function's handler, imported before the file's tests once `env` is set (a function reads its
 * configuration when it loads). Call the result as the handler itself.
 */
export function handlerOf<R>(
  env: Record<string, string>,
  load: () => Promise<{ handler: (event: unknown) => Promise<R> }>,
): (event: unknown) => Promise<R> {
  let loaded: ((event: unknown) => Promise<R>) | undefined;
  beforeAll(async () => {
    Object.assign(process.env, env);
    ({ handler: loaded } = await load());
  });
  return (event) => {
    if (!loaded) throw new Error('The handler is not loaded yet');
    return loaded(event);
  };
}

/** The environment of the functions that read the report: where it is stored. */
export const REPORT_ENV = { REPORTS_BUCKET };

/** The environment of the approval functions: the secret their keys are derived from. */
export const GDPR_SECRET_ENV = { GDPR_SECRET_ID };

// ------------------------------------------------------------------ the approved report

/** A GetObject answer whose Body streams these bytes. */
export function objectBody(bytes: string): { Body: Readable } {
  return { Body: Readable.from([Buffer.from(bytes)]) };
}

export interface ApprovedReport {
  /** A task input from events/<fixturePath> whose approvedSha256 is this report's hash. */
  inputFrom<T extends { approvedSha256: string }>(fixturePath: string): T;
  /** The stored report as GetObject answers it (a fresh stream each call). */
  object(): { Body: Readable };
}

/** The report Build purge report stores for these items of REQUEST_ID (every object listed with one version), approved as it is. */
export function approvedReport(items: ReadonlyArray<Record<string, unknown>>): ApprovedReport {
  const bytes = serializeReport(buildReport(REQUEST_ID, items, REPORT_BUCKETS, () => 1));
  return {
    inputFrom: <T>(fixturePath: string) => ({ ...fixture<T>(fixturePath), approvedSha256: sha256Hex(bytes) }),
    object: () => objectBody(bytes),
  };
}

// ------------------------------------------------------------------ approval functions

/** Only Date is faked: promises, timers and the SDK mocks keep running. */
const ONLY_DATE: Parameters<typeof jest.useFakeTimers>[0] = {
  now: NOW,
  doNotFake: [
    'hrtime',
    'nextTick',
    'performance',
    'queueMicrotask',
    'setImmediate',
    'clearImmediate',
    'setInterval',
    'clearInterval',
    'setTimeout',
    'clearTimeout',
  ],
};

/**
 * For each test: Date frozen at NOW, Secrets Manager answering the test's GDPR secret and the keys
 * cache emptied (so every test loads the keys again); real timers again after it.
 */
export function useFrozenDateAndGdprSecret(): void {
  const secrets = mockClient(SecretsManagerClient);
  beforeEach(() => {
    jest.useFakeTimers(ONLY_DATE);
    resetGdprKeysForTests();
    secrets.reset();
    secrets.on(GetSecretValueCommand).resolves({ SecretString: SECRET });
  });
  afterEach(() => {
    jest.useRealTimers();
  });
}

/** The keys the approval functions derive from the test's secret (to sign or verify links as they do). */
export function gdprKeys(): Promise<GdprKeys> {
  return loadGdprKeys(GDPR_SECRET_ID);
}

export const APPROVAL_ID = 'q3Vx9kT2mN8pR4sW7yZ1bA';
/** 2026-12-03T12:00:00Z, as in the links of events/gdpr/approval-page.json and decide-approval.json. */
export const EXPIRES = 1796212800;
export const approvalKey = { pk: `APPROVAL#${APPROVAL_ID}`, sk: 'APPROVAL' };
export const TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAbCdEf+/token==';
export const REPORT_SHA = '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';

/** The approval record Request approval stores (PENDING, with TOKEN, expiring at EXPIRES), `fields` changed. */
export function approvalItem(fields: Record<string, unknown>) {
  return {
    ...approvalKey,
    entity: 'approval',
    approvalId: APPROVAL_ID,
    requestId: '7d2c4b1e-3f6a-4c8d-9e0f-1a2b3c4d5e6f',
    taskToken: TOKEN,
    reportSha256: REPORT_SHA,
    counts: { original: 3, tile: 2, scaled: 2, 'upload-record': 3, 'photo-record': 2 },
    expiresAt: '2026-12-03T12:00:00.000Z',
    status: 'PENDING',
    ...fields,
  };
}

/** The parameters of a link to APPROVAL_ID signed with the functions' key: approve until EXPIRES unless changed. */
export async function signedLinkParameters(change: { decision?: LinkDecision; expires?: number }) {
  const keys = await gdprKeys();
  const link = {
    approvalId: APPROVAL_ID,
    decision: change.decision ?? 'approve',
    expires: change.expires ?? EXPIRES,
  };
  return {
    decision: link.decision,
    expires: String(link.expires),
    signature: signApprovalLink(keys.linkSigning, link),
  };
}
