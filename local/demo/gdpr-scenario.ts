import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ListObjectVersionsCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { loadOrCreateDevKeys, signWithDevKeys } from '../api/dev-keys';
import { APPROVER_SCOPE } from '../api/token-cli';
import type { LocalApp } from '../runtime/app';
import { readOutbox } from '../services';
import { ApiError, HappyPathClient, pollPauses } from './client';
import { photo } from './photos';
import { placeIdOf } from './scenario';

/**
 * The GDPR erasure flow end to end, offline: users with processed and rejected uploads, an
 * erasure request, the approval email from the outbox, its links (GET changes nothing, a forged
 * link is refused, the POST decides, a replay is refused), and proof that nothing of the user
 * remains while other users' data is intact. Shared by `npm run demo:gdpr` and the tests.
 */

export interface ErasureStatusView {
  requestId: string;
  status: string;
  counts?: Record<string, number>;
}

export class GdprClient extends HappyPathClient {
  constructor(
    private readonly baseUrl: string,
    private readonly bearer: string,
  ) {
    super(baseUrl, bearer);
  }

  async requestErasure(): Promise<{ status: number; body: ErasureStatusView }> {
    const response = await fetch(`${this.baseUrl}/gdpr/erasure-requests`, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.bearer}` },
    });
    const text = await response.text();
    if (!response.ok) throw new ApiError(response.status, text, 'POST /gdpr/erasure-requests');
    return { status: response.status, body: JSON.parse(text) as ErasureStatusView };
  }

  async erasureStatus(requestId: string): Promise<ErasureStatusView> {
    const response = await fetch(`${this.baseUrl}/gdpr/erasure-requests/${requestId}`, {
      headers: { authorization: `Bearer ${this.bearer}` },
    });
    const text = await response.text();
    if (!response.ok) throw new ApiError(response.status, text, `GET /gdpr/erasure-requests/${requestId}`);
    return JSON.parse(text) as ErasureStatusView;
  }

  async waitForErasure(requestId: string, statuses: readonly string[], timeoutMs = 60_000) {
    const deadline = Date.now() + timeoutMs;
    const pause = pollPauses();
    for (;;) {
      const view = await this.erasureStatus(requestId);
      if (statuses.includes(view.status) || Date.now() > deadline) return view;
      await pause();
    }
  }
}

export interface ApprovalEmail {
  subject: string;
  text: string;
  approve: string;
  reject: string;
}

/** Waits for the approval email about `requestId` in the local outbox and picks its two links. */
export async function waitForApprovalEmail(
  dataDir: string,
  requestId: string,
  options: { after?: number; timeoutMs?: number } = {},
): Promise<ApprovalEmail> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    const email = readOutbox(dataDir)
      .filter((message) => message.kind === 'email')
      .filter((message) => Date.parse(message.sentAt) >= (options.after ?? 0))
      .find((message) => message.subject.includes(requestId) || (message.text ?? '').includes(requestId));
    if (email && email.kind === 'email') {
      const approve = email.links.find((link) => link.includes('decision=approve'));
      const reject = email.links.find((link) => link.includes('decision=reject'));
      if (!approve || !reject) throw new Error(`The approval email for ${requestId} lacks its links`);
      return { subject: email.subject, text: email.text ?? '', approve, reject };
    }
    if (Date.now() > deadline) throw new Error(`No approval email for ${requestId} in the outbox`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * A dev token for an approver (`npm run token -- <id> --approver` prints the same): the data
 * directory's key, the local issuer and audience, the approver scope.
 */
export async function approverToken(dataDir: string, approverId = 'approver-dana'): Promise<string> {
  const keys = await loadOrCreateDevKeys(dataDir);
  return signWithDevKeys(keys, { subject: approverId, claims: { scope: APPROVER_SCOPE } });
}

/**
 * Submits the confirmation page's form as the page's sign-in script does after the GET: the
 * signed fields, and the approver's token as a bearer token (none: not signed in).
 */
export async function submitDecision(
  link: string,
  token?: string,
): Promise<{ status: number; text: string }> {
  const url = new URL(link);
  const form = new URLSearchParams();
  for (const name of ['decision', 'expires', 'signature']) form.set(name, url.searchParams.get(name) ?? '');
  const response = await fetch(`${url.origin}${url.pathname}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: form.toString(),
  });
  return { status: response.status, text: await response.text() };
}

export async function openPage(link: string): Promise<{ status: number; text: string }> {
  const response = await fetch(link);
  return { status: response.status, text: await response.text() };
}

/** The link with its decision flipped: a forged link whose signature no longer matches. */
export function forge(link: string): string {
  const url = new URL(link);
  url.searchParams.set('decision', url.searchParams.get('decision') === 'approve' ? 'reject' : 'approve');
  return url.toString();
}

/** What the user has uploaded, as the upload ids the API gave them. */
export async function uploadPhotos(
  client: HappyPathClient,
  photos: ReadonlyArray<{ place: 'park' | 'restaurant'; bytes: Buffer }>,
): Promise<string[]> {
  const ids: string[] = [];
  for (const item of photos) {
    const uploadId = await client.upload(placeIdOf(item.place), item.bytes, 'photo.jpg');
    await client.waitForUpload(uploadId);
    ids.push(uploadId);
  }
  return ids;
}

export interface Leftovers {
  /** Object versions and delete markers, in the upload and distribution buckets, under any of the upload ids. */
  objectVersions: string[];
  /** Table items that carry the user id or mention it or one of the upload ids anywhere. */
  items: Array<Record<string, unknown>>;
}

/** Everything of a user that is still stored: every object version of every bucket and a full table scan. */
export async function findLeftovers(
  app: LocalApp,
  userId: string,
  uploadIds: readonly string[],
): Promise<Leftovers> {
  const s3 = new S3Client({});
  const buckets = app.runtime.stacks.flatMap((stack) =>
    Object.values(stack.resources)
      .filter((resource) => resource.type === 'AWS::S3::Bucket')
      .map((resource) => String(resource.physicalId)),
  );
  const objectVersions: string[] = [];
  for (const bucket of buckets) {
    let keyMarker: string | undefined;
    do {
      const page = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, KeyMarker: keyMarker }));
      for (const entry of [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])]) {
        if (uploadIds.some((id) => entry.Key?.includes(id)))
          objectVersions.push(`${bucket}/${entry.Key}@${entry.VersionId}`);
      }
      keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
    } while (keyMarker);
  }
  const dynamo = DynamoDBDocumentClient.from(new DynamoDBClient({}));
  const tables = app.runtime.stacks.flatMap((stack) =>
    Object.values(stack.resources)
      .filter((resource) => resource.type === 'AWS::DynamoDB::Table')
      .map((resource) => String(resource.physicalId)),
  );
  const items: Array<Record<string, unknown>> = [];
  for (const table of tables) {
    let start: Record<string, unknown> | undefined;
    do {
      const page = await dynamo.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start }));
      for (const item of page.Items ?? []) {
        const text = JSON.stringify(item);
        if (text.includes(userId) || uploadIds.some((id) => text.includes(id))) items.push(item);
      }
      start = page.LastEvaluatedKey as Record<string, unknown> | undefined;
    } while (start);
  }
  s3.destroy();
  dynamo.destroy();
  return { objectVersions, items };
}

export interface GdprDemoResult {
  steps: Array<{ step: string; ok: boolean; detail: string }>;
  ok: boolean;
}

/** The whole demo: erasure approved for one user, rejected for another, a third user untouched. */
export async function runGdprDemo(
  app: LocalApp,
  dataDir: string,
  log: (line: string) => void = () => undefined,
) {
  const steps: GdprDemoResult['steps'] = [];
  const check = (step: string, ok: boolean, detail = '') => {
    steps.push({ step, ok, detail });
    log(`${ok ? 'ok  ' : 'FAIL'} ${step}${detail ? ` — ${detail}` : ''}`);
  };
  const alice = new GdprClient(app.api.url, app.token('user-alice'));
  const bob = new GdprClient(app.api.url, app.token('user-bob'));
  const carol = new GdprClient(app.api.url, app.token('user-carol'));
  for (const place of [
    { id: placeIdOf('park'), name: 'Central Park', type: 'park', lat: 40.78, lng: -73.96 },
    { id: placeIdOf('restaurant'), name: 'Corner Bistro', type: 'restaurant', lat: 40.74, lng: -74.0 },
  ]) {
    try {
      await bob.createPlace(place);
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 409)) throw error;
    }
  }

  const good = await photo(1200, 900);
  const small = await photo(400, 300);
  const aliceUploads = await uploadPhotos(alice, [
    { place: 'park', bytes: good },
    { place: 'park', bytes: await photo(1600, 1200) },
    { place: 'restaurant', bytes: good },
    { place: 'park', bytes: small },
  ]);
  const statuses = await Promise.all(aliceUploads.map(async (id) => (await alice.getUpload(id)).status));
  check(
    'alice has processed and rejected uploads',
    statuses.includes('PROCESSED') && statuses.includes('REJECTED'),
    statuses.join(', '),
  );
  const bobUploads = await uploadPhotos(bob, [
    { place: 'park', bytes: good },
    { place: 'restaurant', bytes: good },
  ]);
  const carolUploads = await uploadPhotos(carol, [{ place: 'park', bytes: good }]);

  // Alice asks for erasure; asking again returns the same request.
  const started = Date.now();
  const first = await alice.requestErasure();
  const again = await alice.requestErasure();
  check(
    'a second request while one is active returns the first',
    first.status === 202 && again.body.requestId === first.body.requestId,
    `${first.status} then ${again.status}`,
  );
  const requestId = first.body.requestId;
  const email = await waitForApprovalEmail(dataDir, requestId, { after: started - 1000 });
  log(`approval email: "${email.subject}"\n  approve: ${email.approve}\n  reject:  ${email.reject}`);
  check('the approval email carries no user id', !`${email.subject}${email.text}`.includes('user-alice'));

  const page = await openPage(email.approve);
  const afterGet = await alice.erasureStatus(requestId);
  check(
    'GET shows a confirmation page and changes nothing',
    page.status === 200 && page.text.includes('<form') && afterGet.status === 'AWAITING_APPROVAL',
    `page ${page.status}, request ${afterGet.status}`,
  );
  const approver = await approverToken(dataDir);
  const anonymous = await submitDecision(email.approve);
  const notApprover = await submitDecision(email.approve, app.token('user-bob'));
  const afterRefusals = await alice.erasureStatus(requestId);
  check(
    'a decision without an approver sign-in is refused (no token 401, no approver scope 403)',
    anonymous.status === 401 && notApprover.status === 403 && afterRefusals.status === 'AWAITING_APPROVAL',
    `HTTP ${anonymous.status} and ${notApprover.status}, request ${afterRefusals.status}`,
  );
  const forged = await submitDecision(forge(email.reject), approver);
  check('a forged link is refused', forged.status === 403, `HTTP ${forged.status}`);
  const decided = await submitDecision(email.approve, approver);
  check('the POST from the page approves', decided.status === 200, `HTTP ${decided.status}`);
  const replay = await submitDecision(email.approve, approver);
  check('a replayed approval is refused', replay.status === 409, `HTTP ${replay.status}`);
  const done = await alice.waitForErasure(requestId, ['COMPLETED', 'PARTIALLY_FAILED', 'FAILED']);
  check(
    'the erasure completes',
    done.status === 'COMPLETED',
    `${done.status} ${JSON.stringify(done.counts ?? {})}`,
  );

  const aliceLeft = await findLeftovers(app, 'user-alice', aliceUploads);
  check(
    'no object version of alice remains in any bucket',
    aliceLeft.objectVersions.length === 0,
    `${aliceLeft.objectVersions.length} left`,
  );
  check(
    'no table item mentions alice or her uploads',
    aliceLeft.items.length === 0,
    `${aliceLeft.items.length} left`,
  );
  const bobLeft = await findLeftovers(app, 'user-bob', bobUploads);
  check(
    'bob is untouched',
    bobLeft.objectVersions.length >= 2 * 3 && bobLeft.items.length >= 2 * 2,
    `${bobLeft.objectVersions.length} object versions, ${bobLeft.items.length} items`,
  );

  // Carol asks too, and the approver rejects: nothing of hers is deleted.
  const carolBefore = await findLeftovers(app, 'user-carol', carolUploads);
  const carolStarted = Date.now();
  const carolRequest = (await carol.requestErasure()).body.requestId;
  const carolEmail = await waitForApprovalEmail(dataDir, carolRequest, { after: carolStarted - 1000 });
  const rejected = await submitDecision(carolEmail.reject, approver);
  const carolDone = await carol.waitForErasure(carolRequest, ['REJECTED', 'FAILED']);
  const carolAfter = await findLeftovers(app, 'user-carol', carolUploads);
  check(
    'a rejected request deletes nothing',
    rejected.status === 200 &&
      carolDone.status === 'REJECTED' &&
      carolAfter.objectVersions.length === carolBefore.objectVersions.length,
    `${carolDone.status}, ${carolAfter.objectVersions.length} object versions kept`,
  );
  return { steps, ok: steps.every((step) => step.ok) } satisfies GdprDemoResult;
}
