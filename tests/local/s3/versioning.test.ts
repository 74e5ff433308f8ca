import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutObjectCommand,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { startLocalS3 } from '../../../local/s3';
import { VERSION_BLOB_BUCKET, VERSION_INDEX_DIRECTORY } from '../../../local/s3/version-store';
import {
  adminAccess,
  BUCKET,
  bodyText,
  CORS_BUCKET,
  defined,
  type Harness,
  makeClient,
  REGION,
  startHarness,
  VERSIONED_BUCKET,
  waitFor,
} from './local-s3-harness';

async function failure(promise: Promise<unknown>): Promise<S3ServiceException> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof S3ServiceException) return error;
    throw error;
  }
  throw new Error('expected the request to fail');
}

describe('object versioning in a bucket whose template enables it', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness();
  });

  afterAll(async () => {
    await harness.close();
  });

  const put = async (key: string, body: string, bucket = VERSIONED_BUCKET) =>
    defined(
      (await harness.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }))).VersionId,
    );
  const get = (key: string, versionId?: string) =>
    harness.client.send(new GetObjectCommand({ Bucket: VERSIONED_BUCKET, Key: key, VersionId: versionId }));
  const versionsOf = async (prefix: string) =>
    harness.client.send(new ListObjectVersionsCommand({ Bucket: VERSIONED_BUCKET, Prefix: prefix }));

  it('lists only the buckets of the app and answers NoSuchBucket for the internal ones (version data, version index)', async () => {
    await put('internal/a.txt', 'data');

    const listed = await harness.client.send(new ListBucketsCommand({}));
    const internal = await Promise.all(
      [VERSION_BLOB_BUCKET, VERSION_INDEX_DIRECTORY].flatMap((bucket) => [
        failure(harness.client.send(new ListObjectsV2Command({ Bucket: bucket }))),
        failure(harness.client.send(new GetObjectCommand({ Bucket: bucket, Key: 'CURRENT' }))),
        failure(harness.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'CURRENT', Body: 'x' }))),
      ]),
    );

    expect(listed.Buckets?.map((bucket) => bucket.Name)).toEqual(
      [BUCKET, VERSIONED_BUCKET, CORS_BUCKET].sort(),
    );
    expect(listed.Buckets?.every((bucket) => bucket.CreationDate instanceof Date)).toBe(true);
    expect(internal.map((error) => [error.name, error.$metadata.httpStatusCode])).toEqual(
      Array.from({ length: 6 }, () => ['NoSuchBucket', 404]),
    );
  });

  it('reports its versioning status as Enabled', async () => {
    const status = await harness.client.send(new GetBucketVersioningCommand({ Bucket: VERSIONED_BUCKET }));

    expect(status.Status).toBe('Enabled');
  });

  it('gives every PutObject its own opaque version id and keeps every version readable', async () => {
    const first = await put('keep/a.txt', 'one');
    const second = await put('keep/a.txt', 'two');

    const latest = await get('keep/a.txt');
    const old = await get('keep/a.txt', first);
    const head = await harness.client.send(
      new HeadObjectCommand({ Bucket: VERSIONED_BUCKET, Key: 'keep/a.txt' }),
    );

    expect(first).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(second).not.toBe(first);
    expect([latest.VersionId, await bodyText(latest)]).toEqual([second, 'two']);
    expect([old.VersionId, await bodyText(old)]).toEqual([first, 'one']);
    expect(head.VersionId).toBe(second);
  });

  it('adds a delete marker on a DeleteObject without version id, after which GET and HEAD answer 404', async () => {
    const version = await put('marker/a.txt', 'data');

    const deleted = await harness.client.send(
      new DeleteObjectCommand({ Bucket: VERSIONED_BUCKET, Key: 'marker/a.txt' }),
    );
    const getError = await failure(get('marker/a.txt'));
    const headError = await failure(
      harness.client.send(new HeadObjectCommand({ Bucket: VERSIONED_BUCKET, Key: 'marker/a.txt' })),
    );
    const stillThere = await get('marker/a.txt', version);

    expect(deleted.DeleteMarker).toBe(true);
    expect(deleted.VersionId).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect([getError.name, getError.$metadata.httpStatusCode]).toEqual(['NoSuchKey', 404]);
    expect(getError.$response?.headers['x-amz-delete-marker']).toBe('true');
    expect(getError.$response?.headers['x-amz-version-id']).toBe(deleted.VersionId);
    expect([headError.$metadata.httpStatusCode, headError.$response?.headers['x-amz-delete-marker']]).toEqual(
      [404, 'true'],
    );
    expect(await bodyText(stillThere)).toBe('data');
  });

  it('answers 405 MethodNotAllowed to a GET of a delete marker by its version id', async () => {
    await put('marker/b.txt', 'data');
    const marker = await harness.client.send(
      new DeleteObjectCommand({ Bucket: VERSIONED_BUCKET, Key: 'marker/b.txt' }),
    );

    const error = await failure(get('marker/b.txt', marker.VersionId));

    expect([error.name, error.$metadata.httpStatusCode]).toEqual(['MethodNotAllowed', 405]);
    expect(error.$response?.headers['x-amz-delete-marker']).toBe('true');
  });

  it('deleting the delete marker by version id makes the previous version current again', async () => {
    await put('restore/a.txt', 'back again');
    const marker = await harness.client.send(
      new DeleteObjectCommand({ Bucket: VERSIONED_BUCKET, Key: 'restore/a.txt' }),
    );

    const removed = await harness.client.send(
      new DeleteObjectCommand({
        Bucket: VERSIONED_BUCKET,
        Key: 'restore/a.txt',
        VersionId: marker.VersionId,
      }),
    );

    expect([removed.VersionId, removed.DeleteMarker]).toEqual([marker.VersionId, true]);
    expect(await bodyText(await get('restore/a.txt'))).toBe('back again');
  });

  it('deletes a specific version for good and leaves the others', async () => {
    const first = await put('purge/a.txt', 'one');
    const second = await put('purge/a.txt', 'two');

    const removed = await harness.client.send(
      new DeleteObjectCommand({ Bucket: VERSIONED_BUCKET, Key: 'purge/a.txt', VersionId: second }),
    );
    const listed = await versionsOf('purge/');
    const gone = await failure(get('purge/a.txt', second));

    expect(removed.VersionId).toBe(second);
    expect(removed.DeleteMarker).toBeUndefined();
    expect(listed.Versions?.map((version) => [version.VersionId, version.IsLatest])).toEqual([[first, true]]);
    expect([gone.name, gone.$metadata.httpStatusCode]).toEqual(['NoSuchVersion', 404]);
    expect(await bodyText(await get('purge/a.txt'))).toBe('one');
  });

  it('refuses a malformed version id with 400 InvalidArgument', async () => {
    await put('malformed/a.txt', 'x');

    const error = await failure(get('malformed/a.txt', 'not a version id'));

    expect([error.name, error.$metadata.httpStatusCode]).toEqual(['InvalidArgument', 400]);
  });

  it('lists versions and delete markers newest first with IsLatest, ETag, Size and LastModified', async () => {
    const first = await put('list/a.txt', 'one');
    const second = await put('list/a.txt', 'second');
    const marker = await harness.client.send(
      new DeleteObjectCommand({ Bucket: VERSIONED_BUCKET, Key: 'list/a.txt' }),
    );
    const other = await put('list/b.txt', 'b');

    const listed = await versionsOf('list/');

    expect(listed.Versions?.map((v) => [v.Key, v.VersionId, v.IsLatest, v.Size])).toEqual([
      ['list/a.txt', second, false, 6],
      ['list/a.txt', first, false, 3],
      ['list/b.txt', other, true, 1],
    ]);
    expect(listed.DeleteMarkers?.map((m) => [m.Key, m.VersionId, m.IsLatest])).toEqual([
      ['list/a.txt', marker.VersionId, true],
    ]);
    for (const version of listed.Versions ?? []) {
      expect(version.ETag).toMatch(/^"[0-9a-f]{32}"$/);
      expect(version.LastModified).toBeInstanceOf(Date);
    }
  });

  it('pages through versions with MaxKeys, NextKeyMarker and NextVersionIdMarker', async () => {
    const ids = [
      await put('page/a', '1'),
      await put('page/a', '2'),
      await put('page/a', '3'),
      await put('page/b', '4'),
    ];
    const seen: string[] = [];
    let keyMarker: string | undefined;
    let versionIdMarker: string | undefined;
    let pages = 0;

    do {
      const page = await harness.client.send(
        new ListObjectVersionsCommand({
          Bucket: VERSIONED_BUCKET,
          Prefix: 'page/',
          MaxKeys: 2,
          KeyMarker: keyMarker,
          VersionIdMarker: versionIdMarker,
        }),
      );
      pages++;
      seen.push(...(page.Versions ?? []).map((version) => defined(version.VersionId)));
      keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
      versionIdMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
    } while (keyMarker);

    expect(seen).toEqual([ids[2], ids[1], ids[0], ids[3]]);
    expect(pages).toBe(2);
  });

  it('lists only current versions that are not delete markers in ListObjectsV2', async () => {
    await put('current/kept.txt', 'old');
    await put('current/kept.txt', 'newest');
    await put('current/deleted.txt', 'x');
    await harness.client.send(
      new DeleteObjectCommand({ Bucket: VERSIONED_BUCKET, Key: 'current/deleted.txt' }),
    );

    const listed = await harness.client.send(
      new ListObjectsV2Command({ Bucket: VERSIONED_BUCKET, Prefix: 'current/' }),
    );

    expect(listed.Contents?.map((object) => [object.Key, object.Size])).toEqual([['current/kept.txt', 6]]);
    expect(listed.KeyCount).toBe(1);
  });

  it('pages ListObjectsV2 with continuation tokens and groups common prefixes', async () => {
    for (const key of ['tree/a', 'tree/b', 'tree/sub/c', 'tree/sub/d', 'tree/z']) await put(key, key);
    const keys: string[] = [];
    const prefixes: string[] = [];
    let token: string | undefined;

    do {
      const page = await harness.client.send(
        new ListObjectsV2Command({
          Bucket: VERSIONED_BUCKET,
          Prefix: 'tree/',
          Delimiter: '/',
          MaxKeys: 2,
          ContinuationToken: token,
        }),
      );
      keys.push(...(page.Contents ?? []).map((object) => defined(object.Key)));
      prefixes.push(...(page.CommonPrefixes ?? []).map((prefix) => defined(prefix.Prefix)));
      token = page.NextContinuationToken;
    } while (token);

    expect(keys).toEqual(['tree/a', 'tree/b', 'tree/z']);
    expect(prefixes).toEqual(['tree/sub/']);
  });

  it('deletes versions and adds markers in one DeleteObjects request', async () => {
    const first = await put('batch/a.txt', 'one');
    const second = await put('batch/a.txt', 'two');
    await put('batch/b.txt', 'b');

    const result = await harness.client.send(
      new DeleteObjectsCommand({
        Bucket: VERSIONED_BUCKET,
        Delete: {
          Objects: [
            { Key: 'batch/a.txt', VersionId: first },
            { Key: 'batch/a.txt', VersionId: second },
            { Key: 'batch/b.txt' },
          ],
        },
      }),
    );
    const listed = await versionsOf('batch/');

    expect(result.Errors).toBeUndefined();
    expect(result.Deleted?.map((entry) => [entry.Key, entry.VersionId, entry.DeleteMarker])).toEqual([
      ['batch/a.txt', first, undefined],
      ['batch/a.txt', second, undefined],
      ['batch/b.txt', undefined, true],
    ]);
    expect(result.Deleted?.[2]?.DeleteMarkerVersionId).toBe(listed.DeleteMarkers?.[0]?.VersionId);
    expect(listed.Versions?.map((version) => version.Key)).toEqual(['batch/b.txt']);
    expect(listed.DeleteMarkers?.map((marker) => [marker.Key, marker.IsLatest])).toEqual([
      ['batch/b.txt', true],
    ]);
  });

  it('copies a chosen version and answers both version ids', async () => {
    const first = await put('copy/source.txt', 'first');
    await put('copy/source.txt', 'second');

    const copied = await harness.client.send(
      new CopyObjectCommand({
        Bucket: VERSIONED_BUCKET,
        Key: 'copy/target.txt',
        CopySource: `${VERSIONED_BUCKET}/copy/source.txt?versionId=${first}`,
      }),
    );

    expect(copied.CopySourceVersionId).toBe(first);
    expect(copied.VersionId).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(await bodyText(await get('copy/target.txt'))).toBe('first');
  });

  it('sends notifications that carry the version id, and one for a delete marker', async () => {
    const versionId = await put('notify/a.txt', 'x');
    const marker = await harness.client.send(
      new DeleteObjectCommand({ Bucket: VERSIONED_BUCKET, Key: 'notify/a.txt' }),
    );

    const created = await waitFor(() =>
      harness.records.find(
        (record) => record.s3.object.key === 'notify/a.txt' && record.eventName === 'ObjectCreated:Put',
      ),
    );
    const removed = await waitFor(() =>
      harness.records.find(
        (record) =>
          record.s3.object.key === 'notify/a.txt' && record.eventName === 'ObjectRemoved:DeleteMarkerCreated',
      ),
    );

    expect(created.s3.object.versionId).toBe(versionId);
    expect(removed.s3.object.versionId).toBe(marker.VersionId);
  });

  it('keeps a second POST with the same upload ticket as a second version, each notified with its id', async () => {
    const { url, fields } = await createPresignedPost(harness.client, {
      Bucket: VERSIONED_BUCKET,
      Key: 'tickets/photo.jpg',
      Conditions: [['content-length-range', 1, 1024]],
      Expires: 300,
    });
    const post = async (content: string) => {
      const form = new FormData();
      for (const [name, value] of Object.entries(fields)) form.append(name, value);
      form.append('file', new Blob([content]), 'photo.jpg');
      const response = await fetch(url, { method: 'POST', body: form });
      return { status: response.status, versionId: response.headers.get('x-amz-version-id') };
    };

    const first = await post('first upload');
    const second = await post('second upload');
    const records = await waitFor(() => {
      const found = harness.records.filter((record) => record.s3.object.key === 'tickets/photo.jpg');
      return found.length === 2 ? found : undefined;
    });
    const listed = await versionsOf('tickets/');

    expect([first.status, second.status]).toEqual([204, 204]);
    expect(first.versionId).not.toBe(second.versionId);
    expect(records.map((record) => [record.eventName, record.s3.object.versionId])).toEqual([
      ['ObjectCreated:Post', first.versionId],
      ['ObjectCreated:Post', second.versionId],
    ]);
    expect(listed.Versions?.map((version) => version.VersionId)).toEqual([second.versionId, first.versionId]);
    expect(await bodyText(await get('tickets/photo.jpg', defined(first.versionId ?? undefined)))).toBe(
      'first upload',
    );
  });

  it('keeps every version and marker across a restart', async () => {
    const first = await put('restart/a.txt', 'one');
    await put('restart/a.txt', 'two');
    await harness.client.send(new DeleteObjectCommand({ Bucket: VERSIONED_BUCKET, Key: 'restart/a.txt' }));
    const before = await versionsOf('restart/');

    await harness.restart();
    const after = await versionsOf('restart/');

    expect(after.Versions).toEqual(before.Versions);
    expect(after.DeleteMarkers).toEqual(before.DeleteMarkers);
    expect(await bodyText(await get('restart/a.txt', first))).toBe('one');
  });

  it('keeps unversioned buckets single-version: no version id, version "null" in listings', async () => {
    const put = await harness.client.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: 'plain/a.txt', Body: 'x' }),
    );
    const listed = await harness.client.send(
      new ListObjectVersionsCommand({ Bucket: BUCKET, Prefix: 'plain/' }),
    );
    const record = await waitFor(() =>
      harness.records.find((entry) => entry.s3.object.key === 'plain/a.txt'),
    );

    expect(put.VersionId).toBeUndefined();
    expect(listed.Versions?.map((version) => version.VersionId)).toEqual(['null']);
    expect(record.s3.object.versionId).toBeUndefined();
  });

  it('serves the versions of a data directory whose index is a journal of the earlier format, then deletes the journal', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-s3-journal-'));
    const before = await startHarness(dataDir);
    const putOld = async (key: string, body: string) =>
      (await before.client.send(new PutObjectCommand({ Bucket: VERSIONED_BUCKET, Key: key, Body: body })))
        .VersionId;
    const first = defined(await putOld('old/a.txt', 'one'));
    await putOld('old/a.txt', 'two');
    await before.client.send(new DeleteObjectCommand({ Bucket: VERSIONED_BUCKET, Key: 'old/b.txt' }));
    const listedBefore = await before.client.send(
      new ListObjectVersionsCommand({ Bucket: VERSIONED_BUCKET }),
    );
    before.client.destroy();
    await before.s3.close();
    // The same index as the journal an earlier local S3 kept: one `add` line per version, oldest first.
    const adds = [
      ...[...(listedBefore.Versions ?? [])].reverse().map((version) => ({
        add: {
          key: version.Key,
          versionId: version.VersionId,
          deleteMarker: false,
          lastModified: version.LastModified?.toISOString(),
          eTag: version.ETag,
          size: version.Size,
        },
      })),
      ...(listedBefore.DeleteMarkers ?? []).map((marker) => ({
        add: {
          key: marker.Key,
          versionId: marker.VersionId,
          deleteMarker: true,
          lastModified: marker.LastModified?.toISOString(),
        },
      })),
    ];
    fs.rmSync(path.join(dataDir, VERSION_INDEX_DIRECTORY), { recursive: true });
    const journal = path.join(dataDir, `${VERSIONED_BUCKET}.jsonl`);
    fs.writeFileSync(journal, adds.map((line) => `${JSON.stringify(line)}\n`).join(''));

    const after = await startHarness(dataDir);
    try {
      const listedAfter = await after.client.send(
        new ListObjectVersionsCommand({ Bucket: VERSIONED_BUCKET }),
      );
      const old = await after.client.send(
        new GetObjectCommand({ Bucket: VERSIONED_BUCKET, Key: 'old/a.txt', VersionId: first }),
      );

      expect(listedAfter.Versions).toEqual(listedBefore.Versions);
      expect(listedAfter.DeleteMarkers).toEqual(listedBefore.DeleteMarkers);
      expect(await bodyText(old)).toBe('one');
      expect(fs.existsSync(journal)).toBe(false);
    } finally {
      await after.close();
    }
  });

  it('keeps objects stored before the bucket was versioned as versions of their keys', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-s3-adopt-'));
    const unversioned = await startLocalS3({
      dataDir,
      region: REGION,
      access: adminAccess(dataDir),
      buckets: [{ name: VERSIONED_BUCKET }],
    });
    const client = makeClient(unversioned.endpoint);
    await client.send(
      new PutObjectCommand({ Bucket: VERSIONED_BUCKET, Key: 'old/a.txt', Body: 'from before' }),
    );
    client.destroy();
    await unversioned.close();

    const versioned = await startHarness(dataDir);
    try {
      const got = await versioned.client.send(
        new GetObjectCommand({ Bucket: VERSIONED_BUCKET, Key: 'old/a.txt' }),
      );
      const listed = await versioned.client.send(
        new ListObjectVersionsCommand({ Bucket: VERSIONED_BUCKET, Prefix: 'old/' }),
      );

      expect(await bodyText(got)).toBe('from before');
      expect(listed.Versions?.map((version) => [version.VersionId, version.IsLatest])).toEqual([
        [got.VersionId, true],
      ]);
    } finally {
      await versioned.close();
    }
  });
});
