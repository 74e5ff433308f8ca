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
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { approvalLinkUrl } from '../../../functions/gdpr/approval-links';
import { loadGdprKeys } from '../../../functions/gdpr/gdpr-keys';
import {
  approverToken,
  GdprClient,
  type GdprDemoResult,
  openPage,
  runGdprDemo,
  submitDecision,
  uploadPhotos,
  waitForApprovalEmail,
} from '../../../local/demo/gdpr-scenario';
import { photo } from '../../../local/demo/photos';
import { type LocalApp, startLocalApp } from '../../../local/runtime/app';
import { readOutbox } from '../../../local/services';
import { TEST_APP_CONCURRENCY } from '../../helpers/local-app';
import { recordAuthorizations, refusals, undeclaredActions } from '../iam/recorded-authorizations';

/**
 * The GDPR erasure flow offline, end to end: intake API, bus, start function, state machine from
 * its ASL, purge report in S3, approval email in the outbox, the links against the local API,
 * purge, verification, audit and the SNS notification.
 */
jest.setTimeout(120_000);

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

  it("makes only calls the templates' roles allow, each declared in the static call list of tests/local/iam", () => {
    // Functions and state machines acted as their roles throughout the flow and the tests above.
    expect(authorizations.records.length).toBeGreaterThan(0);
    expect(refusals(authorizations.records)).toEqual([]);
    expect(undeclaredActions(authorizations.records, app.runtime.stacks)).toEqual([]);
  });
});
