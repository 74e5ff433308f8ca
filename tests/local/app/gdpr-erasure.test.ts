import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import {
  DescribeExecutionCommand,
  ListExecutionsCommand,
  SFNClient,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { approvalLinkUrl } from '../../../functions/gdpr/approval-links';
import { loadGdprKeys } from '../../../functions/gdpr/gdpr-keys';
import {
  approverToken,
  findLeftovers,
  GdprClient,
  type GdprDemoResult,
  openPage,
  runGdprDemo,
  submitDecision,
  uploadPhotos,
  waitForApprovalEmail,
} from '../../../local/demo/gdpr-scenario';
import { photo } from '../../../local/demo/photos';
import { placeIdOf } from '../../../local/demo/scenario';
import { type LocalApp, startLocalApp } from '../../../local/runtime/app';
import { readOutbox } from '../../../local/services';
import { TEST_APP_CONCURRENCY } from '../../helpers/local-app';
import { recordAuthorizations, refusals, undeclaredActions } from '../iam/recorded-authorizations';

/**
 * The GDPR erasure flow offline, end to end: intake API, bus, start function, state machine from
 * its ASL, purge report in S3, approval email in the outbox, the links against the local API,
 * purge, verification, audit and the SNS notification. Then, in the same app (each test with users
 * of its own), erasure against uploads and executions that escape the flow: a photo posted with an
 * upload ticket issued before the erasure, after the purge completed, leaves nothing behind; no
 * ticket is issued while a request is open; an erasure execution stopped from outside closes its
 * request, so the user can ask again.
 */
jest.setTimeout(180_000);

const root = join(__dirname, '..', '..', '..');

/** Every version and delete marker whose key mentions the upload id, as `bucket/key@versionId`. */
async function versionsOf(s3: S3Client, buckets: readonly string[], uploadId: string) {
  const found = { versions: [] as string[], markers: [] as string[] };
  for (const bucket of buckets) {
    let keyMarker: string | undefined;
    let versionIdMarker: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectVersionsCommand({
          Bucket: bucket,
          KeyMarker: keyMarker,
          VersionIdMarker: versionIdMarker,
        }),
      );
      for (const version of page.Versions ?? [])
        if (version.Key?.includes(uploadId))
          found.versions.push(`${bucket}/${version.Key}@${version.VersionId}`);
      for (const marker of page.DeleteMarkers ?? [])
        if (marker.Key?.includes(uploadId)) found.markers.push(`${bucket}/${marker.Key}@${marker.VersionId}`);
      keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
      versionIdMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
    } while (keyMarker);
  }
  return found;
}

/**
 * Gives each of the upload's objects more history, as S3 keeps it: the original gets a second
 * version and then a delete marker on top; each published copy a delete marker and then a new
 * version on top of it.
 */
async function addHistory(s3: S3Client, buckets: { upload: string; distribution: string }, uploadId: string) {
  for (const bucket of [buckets.upload, buckets.distribution]) {
    const listed = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket }));
    const keys = [...new Set((listed.Versions ?? []).map((version) => String(version.Key)))].filter((key) =>
      key.includes(uploadId),
    );
    for (const key of keys) {
      const current = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const body = await (
        current.Body as { transformToByteArray(): Promise<Uint8Array> }
      ).transformToByteArray();
      const rewrite = () =>
        s3.send(
          new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: current.ContentType }),
        );
      if (bucket === buckets.upload) {
        await rewrite();
        await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
      } else {
        await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
        await rewrite();
      }
    }
  }
}

interface Ticket {
  uploadId: string;
  url: string;
  fields: Record<string, string>;
}

async function requestTicket(app: LocalApp, userId: string) {
  const response = await fetch(`${app.api.url}/uploads/url?placeId=${placeIdOf('park')}`, {
    headers: { authorization: `Bearer ${app.token(userId)}` },
  });
  return { status: response.status, body: (await response.json()) as Ticket & { code?: string } };
}

async function post(ticket: Ticket, bytes: Buffer): Promise<number> {
  const form = new FormData();
  for (const [name, value] of Object.entries(ticket.fields)) form.append(name, value);
  form.append('file', new Blob([bytes], { type: 'image/jpeg' }), 'late.jpg');
  return (await fetch(ticket.url, { method: 'POST', body: form })).status;
}

/** Polls `check` until it returns true or the deadline passes; returns its last answer. */
async function eventually(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('GDPR erasure, offline end to end', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'e2e-gdpr-'));
  let app: LocalApp;
  let result: GdprDemoResult;
  let output = '';
  const authorizations = recordAuthorizations();
  beforeAll(async () => {
    // Every line the runtime and the functions write during the flow is kept, to prove no raw user id is in them.
    app = await startLocalApp({
      root,
      workflow: 'v4',
      dataDir,
      functionEnvironment: { POWERTOOLS_LOG_LEVEL: 'INFO' },
      onAuthorization: authorizations.onAuthorization,
      concurrency: TEST_APP_CONCURRENCY,
      log: (line) => {
        output += `${line}\n`;
      },
    });
    result = await runGdprDemo(app, dataDir);
  });

  afterAll(async () => {
    await app?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('passes every check of the demo: approval, refusals, nothing left, others intact, rejection', () => {
    expect(result.steps.filter((step) => !step.ok)).toEqual([]);
    expect(result.steps.length).toBeGreaterThanOrEqual(12);
  });

  it('keeps an audit entry per closed request with a keyed hash, never the raw user id', async () => {
    const table = app.runtime.stacks
      .flatMap((stack) => Object.values(stack.resources))
      .find((resource) => resource.type === 'AWS::DynamoDB::Table');
    const items = DynamoDBDocumentClient.from(new DynamoDBClient({}));
    const scan = await items.send(new ScanCommand({ TableName: String(table?.physicalId) }));
    const audit = (scan.Items ?? []).filter((item) => String(item.pk).startsWith('AUDIT#'));

    expect(audit.map((entry) => entry.outcome).sort()).toEqual(['COMPLETED', 'REJECTED']);
    expect(audit.map((entry) => `${entry.outcome} ${entry.decision}`).sort()).toEqual([
      'COMPLETED APPROVED',
      'REJECTED REJECTED',
    ]);
    for (const entry of audit) {
      expect(entry.userHash).toMatch(/^[0-9a-f]{64}$/);
      // The signed-in approver, as a keyed hash too.
      expect(entry.approverHash).toMatch(/^[0-9a-f]{64}$/);
      expect(JSON.stringify(entry)).not.toMatch(/user-(alice|carol)|approver-dana/);
    }
  });

  it('notifies every outcome on the SNS topic, without user data', () => {
    const notifications = readOutbox(dataDir).filter((message) => message.kind === 'sns');

    expect(notifications.map((message) => JSON.parse(message.message).status).sort()).toEqual([
      'COMPLETED',
      'REJECTED',
    ]);
    for (const message of notifications) expect(message.message).not.toMatch(/user-/);
  });

  it('writes no raw user id of an erased user to the logs', () => {
    expect(output.length).toBeGreaterThan(0);
    expect(output).not.toContain('user-alice');
    expect(output).not.toContain('user-carol');
  });

  it("erases every version and delete marker of the user's objects and keeps every one of another user's", async () => {
    const bucketOf = (logicalId: string) =>
      String(app.runtime.stacks.map((stack) => stack.resources[logicalId]).find(Boolean)?.physicalId);
    const buckets = { upload: bucketOf('UploadBucket'), distribution: bucketOf('DistributionBucket') };
    const erin = new GdprClient(app.api.url, app.token('user-erin'));
    const frank = new GdprClient(app.api.url, app.token('user-frank'));
    const [erinUpload = ''] = await uploadPhotos(erin, [{ place: 'park', bytes: await photo(1000, 800) }]);
    const [frankUpload = ''] = await uploadPhotos(frank, [{ place: 'park', bytes: await photo(1000, 800) }]);
    const s3 = new S3Client({});
    await addHistory(s3, buckets, erinUpload);
    await addHistory(s3, buckets, frankUpload);
    const bucketList = [buckets.upload, buckets.distribution];
    const erinBefore = await versionsOf(s3, bucketList, erinUpload);
    const frankBefore = await versionsOf(s3, bucketList, frankUpload);

    const started = Date.now();
    const { requestId } = (await erin.requestErasure()).body;
    const email = await waitForApprovalEmail(dataDir, requestId, { after: started - 1000 });
    const decided = await submitDecision(email.approve, await approverToken(dataDir));
    const done = await erin.waitForErasure(requestId, ['COMPLETED', 'PARTIALLY_FAILED', 'FAILED']);
    const erinAfter = await versionsOf(s3, bucketList, erinUpload);
    const frankAfter = await versionsOf(s3, bucketList, frankUpload);
    s3.destroy();

    expect(erinBefore.markers.length).toBeGreaterThanOrEqual(2);
    expect(erinBefore.versions.length).toBeGreaterThanOrEqual(4);
    expect([decided.status, done.status]).toEqual([200, 'COMPLETED']);
    expect(erinAfter).toEqual({ versions: [], markers: [] });
    expect(frankBefore.markers.length).toBeGreaterThanOrEqual(2);
    expect(frankAfter).toEqual(frankBefore);
  });

  it('answers 410 to a correctly signed but expired link, GET or POST, and changes nothing', async () => {
    const dave = new GdprClient(app.api.url, app.token('user-dave'));
    await uploadPhotos(dave, [{ place: 'park', bytes: await photo(1000, 800) }]);
    const started = Date.now();
    const { requestId } = (await dave.requestErasure()).body;
    const email = await waitForApprovalEmail(dataDir, requestId, { after: started - 1000 });
    const approvalId = new URL(email.approve).pathname.split('/').pop() as string;
    const secret = app.runtime.stacks
      .flatMap((stack) => Object.values(stack.resources))
      .find((resource) => resource.type === 'AWS::SecretsManager::Secret');
    const keys = await loadGdprKeys(String(secret?.physicalId));
    const expired = approvalLinkUrl(new URL(email.approve).origin, keys.linkSigning, {
      approvalId,
      decision: 'approve',
      expires: Math.floor(Date.now() / 1000) - 60,
    });

    const page = await openPage(expired);
    const post = await submitDecision(expired, await approverToken(dataDir));

    expect([page.status, post.status]).toEqual([410, 410]);
    expect((await dave.erasureStatus(requestId)).status).toBe('AWAITING_APPROVAL');
  });

  it('leaves nothing of the user when a ticket issued before the erasure is used after the purge completed', async () => {
    const gina = new GdprClient(app.api.url, app.token('user-gina'));
    const bytes = await photo(1000, 800);
    const processed = await gina.upload(placeIdOf('park'), bytes, 'first.jpg');
    await gina.waitForUpload(processed);
    const early = await requestTicket(app, 'user-gina');
    expect(early.status).toBe(201);

    const started = Date.now();
    const { requestId } = (await gina.requestErasure()).body;
    const email = await waitForApprovalEmail(dataDir, requestId, { after: started - 1000 });
    const duringRequest = await requestTicket(app, 'user-gina');
    expect([duringRequest.status, duringRequest.body.code]).toEqual([409, 'ERASURE_IN_PROGRESS']);
    expect((await submitDecision(email.approve, await approverToken(dataDir))).status).toBe(200);
    expect((await gina.waitForErasure(requestId, ['COMPLETED', 'PARTIALLY_FAILED', 'FAILED'])).status).toBe(
      'COMPLETED',
    );

    // The old ticket is still valid: S3 takes the photo, with the erased user's id in its metadata.
    expect(await post(early.body, bytes)).toBeLessThan(300);

    const uploads = [processed, early.body.uploadId];
    const gone = await eventually(async () => {
      const left = await findLeftovers(app, 'user-gina', uploads);
      return left.objectVersions.length === 0 && left.items.length === 0;
    });
    expect(await findLeftovers(app, 'user-gina', uploads)).toEqual({ objectVersions: [], items: [] });
    expect(gone).toBe(true);
  });

  it('closes a request whose execution was stopped from outside the flow, and lets the user ask again', async () => {
    const finn = new GdprClient(app.api.url, app.token('user-finn'));
    const uploadId = await finn.upload(placeIdOf('park'), await photo(1000, 800), 'finn.jpg');
    await finn.waitForUpload(uploadId);
    const started = Date.now();
    const { requestId } = (await finn.requestErasure()).body;
    await waitForApprovalEmail(dataDir, requestId, { after: started - 1000 });

    const sfn = new SFNClient({});
    const stateMachineArn = String(
      app.runtime.stacks
        .flatMap((stack) => Object.entries(stack.resources))
        .find(([logicalId]) => logicalId === 'ErasureWorkflow')?.[1].physicalId,
    );
    const executions = await sfn.send(new ListExecutionsCommand({ stateMachineArn }));
    const execution = executions.executions?.find((candidate) => candidate.name === requestId);
    await sfn.send(new StopExecutionCommand({ executionArn: execution?.executionArn }));
    const stopped = await sfn.send(new DescribeExecutionCommand({ executionArn: execution?.executionArn }));
    expect(stopped.status).toBe('ABORTED');
    // The local Step Functions puts the status change on the default bus, as AWS does; the
    // erasure stack's rule hands it to the close function.
    const statusChanges = await eventually(
      async () =>
        app.runtime.buses
          .get('default')
          ?.listArchivedEvents()
          .some(
            (record) =>
              record.event['detail-type'] === 'Step Functions Execution Status Change' &&
              JSON.stringify(record.event.detail).includes('ABORTED'),
          ) ?? false,
    );
    expect(statusChanges).toBe(true);

    const closed = await finn.waitForErasure(requestId, ['FAILED'], 30_000);
    expect(closed.status).toBe('FAILED');
    const notified = await eventually(async () =>
      readOutbox(dataDir).some(
        (message) =>
          message.kind === 'sns' &&
          message.message.includes(requestId) &&
          message.message.includes('ExecutionAborted'),
      ),
    );
    expect(notified).toBe(true);
    const askedAgain = Date.now();
    const again = await finn.requestErasure();
    expect(again.status).toBe(202);
    expect(again.body.requestId).not.toBe(requestId);
    expect((await requestTicket(app, 'user-finn')).status).toBe(409);
    // The new request's flow has written its report and waits for a decision: nothing is in flight at teardown.
    await waitForApprovalEmail(dataDir, again.body.requestId, { after: askedAgain - 1000 });
    sfn.destroy();
  });

  it("makes only calls the templates' roles allow, each declared in the static call list of tests/local/iam", () => {
    // Functions and state machines acted as their roles throughout the flow and the tests above.
    expect(authorizations.records.length).toBeGreaterThan(0);
    expect(refusals(authorizations.records)).toEqual([]);
    expect(undeclaredActions(authorizations.records, app.runtime.stacks)).toEqual([]);
  });
});
