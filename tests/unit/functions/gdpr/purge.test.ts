import { CloudFrontClient, CreateInvalidationCommand } from '@aws-sdk/client-cloudfront';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteObjectsCommand,
  type DeleteObjectsCommandInput,
  ListObjectVersionsCommand,
  type ListObjectVersionsCommandInput,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import {
  BatchWriteCommand,
  type BatchWriteCommandInput,
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import type { ReportObject, ReportRecord, StoredReport } from '../../../../functions/gdpr/erasure-report';
import {
  cdnPath,
  chunkRanges,
  entriesOf,
  markPurging,
  ObjectsNotDeletedError,
  planPurge,
  purgeObjects,
  purgeRecords,
  verifyPurge,
} from '../../../../functions/gdpr/purge';
import { listObjectVersions } from '../../../../functions/shared/object-versions';
import { REQUEST_ID } from '../gdpr/setup';

const s3 = mockClient(S3Client);
const cloudFront = mockClient(CloudFrontClient);
const dynamo = mockClient(DynamoDBDocumentClient);

const id = (n: number) => `0192f3a0-7b1c-7d2e-8f3a-${String(n).padStart(12, '0')}`;
const original = (n: number): ReportObject => ({
  bucket: 'upload-bucket',
  key: `ChIJ-central-park/${id(n)}.jpg`,
  kind: 'original',
  versions: 1,
});
const tile = (n: number): ReportObject => ({
  bucket: 'distribution-bucket',
  key: `tiles/ChIJ-central-park/${id(n)}.jpg`,
  kind: 'tile',
  versions: 1,
});
const scaled = (n: number): ReportObject => ({
  bucket: 'distribution-bucket',
  key: `photos/ChIJ-central-park/${id(n)}.jpg`,
  kind: 'scaled',
  versions: 1,
});
const uploadRecord = (n: number): ReportRecord => ({
  pk: `UPLOAD#${id(n)}`,
  sk: 'UPLOAD',
  kind: 'upload-record',
});
const settings = {
  allowedBuckets: ['upload-bucket', 'distribution-bucket'],
  distributionBucket: 'distribution-bucket',
  distributionId: 'E2QWRUHEXAMPLE',
  callerReference: `${REQUEST_ID}-0`,
};

// ------------------------------------------------------------------ an in-memory versioned S3

interface StoredVersion {
  bucket: string;
  key: string;
  versionId: string;
  deleteMarker: boolean;
}

/** Versioned buckets: ListObjectVersions (sorted, paged, key/version markers) and DeleteObjects by version. */
class VersionedS3 {
  versions: StoredVersion[] = [];
  pageSize = 1000;
  /** Version deletions S3 answers with an error in `Errors`, per key: how many times left. */
  failures = new Map<string, number>();
  private counter = 0;

  put(bucket: string, key: string, count = 1): void {
    for (let n = 0; n < count; n++)
      this.versions.push({ bucket, key, versionId: `v${++this.counter}`, deleteMarker: false });
  }
  markDeleted(bucket: string, key: string): void {
    this.versions.push({ bucket, key, versionId: `m${++this.counter}`, deleteMarker: true });
  }
  keysOf(bucket: string): string[] {
    return this.versions.filter((version) => version.bucket === bucket).map((version) => version.key);
  }

  list(input: ListObjectVersionsCommandInput) {
    const sorted = this.versions
      .filter((version) => version.bucket === input.Bucket && version.key.startsWith(input.Prefix ?? ''))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    let start = 0;
    if (input.KeyMarker !== undefined) {
      const marker = input.VersionIdMarker
        ? sorted.findIndex((v) => v.key === input.KeyMarker && v.versionId === input.VersionIdMarker)
        : sorted.findLastIndex((v) => v.key <= String(input.KeyMarker));
      start = marker + 1;
    }
    const page = sorted.slice(start, start + this.pageSize);
    const last = page[page.length - 1];
    const truncated = start + this.pageSize < sorted.length;
    const entry = (version: StoredVersion) => ({ Key: version.key, VersionId: version.versionId });
    return {
      Versions: page.filter((version) => !version.deleteMarker).map(entry),
      DeleteMarkers: page.filter((version) => version.deleteMarker).map(entry),
      IsTruncated: truncated,
      ...(truncated && last ? { NextKeyMarker: last.key, NextVersionIdMarker: last.versionId } : {}),
    };
  }

  delete(input: DeleteObjectsCommandInput) {
    const errors = [];
    for (const target of input.Delete?.Objects ?? []) {
      const left = this.failures.get(String(target.Key)) ?? 0;
      if (left > 0) {
        this.failures.set(String(target.Key), left - 1);
        errors.push({
          Key: target.Key,
          VersionId: target.VersionId,
          Code: 'InternalError',
          Message: 'retry',
        });
        continue;
      }
      this.versions = this.versions.filter(
        (version) =>
          !(
            version.bucket === input.Bucket &&
            version.key === target.Key &&
            version.versionId === target.VersionId
          ),
      );
    }
    return errors.length > 0 ? { Errors: errors } : {};
  }
}

let store: VersionedS3;
const waits: number[] = [];
const wait = async (ms: number) => {
  waits.push(ms);
};

beforeEach(() => {
  store = new VersionedS3();
  waits.length = 0;
  s3.reset();
  s3.on(ListObjectVersionsCommand).callsFake((input) => store.list(input));
  s3.on(DeleteObjectsCommand).callsFake((input) => store.delete(input));
  cloudFront.reset();
  cloudFront.on(CreateInvalidationCommand).resolves({ Invalidation: undefined });
  dynamo.reset();
});

describe('purge plan', () => {
  it('splits objects and records separately into chunks of the configured size', () => {
    const report = {
      objects: Array.from({ length: 1200 }, (_, n) => original(n)),
      records: Array.from({ length: 3 }, (_, n) => uploadRecord(n)),
    } as StoredReport;

    expect(planPurge(report, 500)).toEqual({
      objectChunks: [
        { start: 0, end: 500 },
        { start: 500, end: 1000 },
        { start: 1000, end: 1200 },
      ],
      recordChunks: [{ start: 0, end: 3 }],
    });
    expect(chunkRanges(0, 500)).toEqual([]);
  });

  it('refuses a chunk outside the report', () => {
    expect(() => entriesOf([1, 2, 3], { start: 2, end: 4 })).toThrow(
      expect.objectContaining({ name: 'InvalidTaskInputError' }),
    );
    expect(entriesOf([1, 2, 3], { start: 1, end: 3 })).toEqual([2, 3]);
  });

  it('marks the request PURGING only while it is open', async () => {
    dynamo
      .on(UpdateCommand)
      .resolvesOnce({})
      .rejects(new ConditionalCheckFailedException({ message: 'no', $metadata: {} }));

    await markPurging('app-table', REQUEST_ID);
    await expect(markPurging('app-table', REQUEST_ID)).rejects.toMatchObject({
      name: 'ErasureRequestClosedError',
    });

    expect(dynamo).toHaveReceivedCommandWith(UpdateCommand, {
      Key: { pk: `ERASURE#${REQUEST_ID}`, sk: 'ERASURE' },
      ConditionExpression: expect.stringContaining('NOT #status IN'),
      ExpressionAttributeValues: expect.objectContaining({ ':purging': 'PURGING', ':t5': 'FAILED' }),
    });
  });
});

describe('listing object versions', () => {
  it('lists every version and delete marker of exactly the key, across pages', async () => {
    store.pageSize = 2;
    store.put('upload-bucket', original(1).key, 3);
    store.markDeleted('upload-bucket', original(1).key);
    store.put('upload-bucket', `${original(1).key}.bak`);

    const versions = await listObjectVersions('upload-bucket', original(1).key);

    expect(versions.sort()).toEqual(['m4', 'v1', 'v2', 'v3']);
    expect(s3).toHaveReceivedCommandWith(ListObjectVersionsCommand, {
      Bucket: 'upload-bucket',
      Prefix: original(1).key,
      KeyMarker: original(1).key,
      VersionIdMarker: expect.any(String),
    });
  });
});

describe('purging objects', () => {
  it('removes every version and delete marker of each object and counts them', async () => {
    store.put('upload-bucket', original(1).key, 2);
    store.markDeleted('upload-bucket', original(1).key);
    store.put('distribution-bucket', tile(1).key);
    store.put('distribution-bucket', scaled(1).key, 2);
    store.put('upload-bucket', original(2).key);

    const result = await purgeObjects([original(1), tile(1), scaled(1)], settings, { wait });

    expect(result).toEqual({ requested: 3, deleted: 3, versionsDeleted: 6, failed: 0 });
    expect(store.keysOf('upload-bucket')).toEqual([original(2).key]);
    expect(store.keysOf('distribution-bucket')).toEqual([]);
    expect(s3).toHaveReceivedCommandWith(DeleteObjectsCommand, {
      Bucket: 'upload-bucket',
      Delete: { Objects: expect.arrayContaining([{ Key: original(1).key, VersionId: 'm3' }]), Quiet: true },
    });
  });

  it('deletes in batches of at most 1000 versions', async () => {
    store.put('upload-bucket', original(1).key, 2500);

    const result = await purgeObjects([original(1)], settings, { wait });

    const sizes = s3
      .commandCalls(DeleteObjectsCommand)
      .map((call) => call.args[0].input.Delete?.Objects?.length);
    expect(sizes).toEqual([1000, 1000, 500]);
    expect(result.versionsDeleted).toBe(2500);
    expect(store.versions).toEqual([]);
  });

  it('retries only the keys S3 could not delete, with back-off', async () => {
    store.put('upload-bucket', original(1).key);
    store.put('upload-bucket', original(2).key);
    store.failures.set(original(2).key, 2);

    const result = await purgeObjects([original(1), original(2)], settings, { wait });

    expect(result).toEqual({ requested: 2, deleted: 2, versionsDeleted: 2, failed: 0 });
    const batches = s3
      .commandCalls(DeleteObjectsCommand)
      .map((call) => call.args[0].input.Delete?.Objects?.map((object) => object.Key));
    expect(batches).toEqual([[original(1).key, original(2).key], [original(2).key], [original(2).key]]);
    expect(waits).toHaveLength(2);
  });

  it('fails with ObjectsNotDeletedError and counts when S3 still refuses a key after three attempts, having deleted the others', async () => {
    store.put('upload-bucket', original(1).key);
    store.put('upload-bucket', original(2).key, 2);
    store.failures.set(original(2).key, 100);

    const purge = purgeObjects([original(1), original(2)], settings, { wait });

    await expect(purge).rejects.toBeInstanceOf(ObjectsNotDeletedError);
    await expect(purge).rejects.toMatchObject({
      name: 'ObjectsNotDeletedError',
      counts: {
        requested: 2,
        deleted: 1,
        versionsDeleted: 1,
        failed: 1,
        versionsLeft: 2,
        outsideAllowedBuckets: 0,
      },
    });
    expect(s3).toHaveReceivedCommandTimes(DeleteObjectsCommand, 3);
    expect(store.keysOf('upload-bucket')).toEqual([original(2).key, original(2).key]);
  });

  it('names counts in the ObjectsNotDeletedError message, never object keys', async () => {
    store.put('distribution-bucket', tile(1).key);
    store.failures.set(tile(1).key, 100);

    const error = await purgeObjects([tile(1)], settings, { wait }).catch((thrown: unknown) => thrown);

    expect(error).toBeInstanceOf(ObjectsNotDeletedError);
    const { message } = error as Error;
    expect(message).toContain('1 of 1 objects could not be deleted');
    expect(message).not.toContain(id(1));
    expect(message).not.toContain('ChIJ');
  });

  it('still invalidates the published copies it deleted before failing with ObjectsNotDeletedError', async () => {
    store.put('distribution-bucket', tile(1).key);
    store.put('distribution-bucket', scaled(1).key);
    store.failures.set(scaled(1).key, 100);

    await expect(purgeObjects([tile(1), scaled(1)], settings, { wait })).rejects.toMatchObject({
      name: 'ObjectsNotDeletedError',
    });
    expect(cloudFront).toHaveReceivedCommandTimes(CreateInvalidationCommand, 1);
  });

  it('counts only objects that were there as deleted: already absent ones are neither deleted nor failed', async () => {
    const result = await purgeObjects([original(1), tile(1)], settings, { wait });

    expect(result).toEqual({ requested: 2, deleted: 0, versionsDeleted: 0, failed: 0 });
    expect(s3).not.toHaveReceivedCommand(DeleteObjectsCommand);
  });

  it('never touches a bucket it was not given, and fails the chunk for such an object', async () => {
    const foreign: ReportObject = {
      bucket: 'someone-elses-bucket',
      key: 'a.jpg',
      kind: 'original',
      versions: 1,
    };

    await expect(purgeObjects([foreign, original(1)], settings, { wait })).rejects.toMatchObject({
      name: 'ObjectsNotDeletedError',
      counts: { requested: 2, deleted: 0, failed: 1, versionsLeft: 0, outsideAllowedBuckets: 1 },
    });
    expect(s3).not.toHaveReceivedCommandWith(ListObjectVersionsCommand, { Bucket: 'someone-elses-bucket' });
  });

  it('invalidates the published copies in CloudFront with a caller reference fixed per chunk', async () => {
    store.put('distribution-bucket', tile(1).key);

    await purgeObjects([original(1), tile(1), scaled(1)], settings, { wait });

    expect(cloudFront).toHaveReceivedCommandTimes(CreateInvalidationCommand, 1);
    expect(cloudFront).toHaveReceivedCommandWith(CreateInvalidationCommand, {
      DistributionId: 'E2QWRUHEXAMPLE',
      InvalidationBatch: {
        CallerReference: `${REQUEST_ID}-0`,
        Paths: { Quantity: 2, Items: [`/${scaled(1).key}`, `/${tile(1).key}`] },
      },
    });
  });

  it('does not invalidate anything for a chunk of originals only', async () => {
    await purgeObjects([original(1)], settings, { wait });

    expect(cloudFront).not.toHaveReceivedCommand(CreateInvalidationCommand);
  });

  it('waits out TooManyInvalidationsInProgress a few times', async () => {
    const tooMany = Object.assign(new Error('Too many invalidations'), {
      name: 'TooManyInvalidationsInProgress',
    });
    cloudFront.on(CreateInvalidationCommand).rejectsOnce(tooMany).resolves({});

    await purgeObjects([tile(1)], settings, { wait });

    expect(cloudFront).toHaveReceivedCommandTimes(CreateInvalidationCommand, 2);
    expect(waits).toHaveLength(1);
  });

  it('percent-encodes unsafe characters in CloudFront paths, keeping the slashes', () => {
    expect(cdnPath('tiles/place one/ü.jpg')).toBe('/tiles/place%20one/%C3%BC.jpg');
  });

  it('lets S3 throttling fail the chunk so the state machine retries it', async () => {
    store.put('upload-bucket', original(1).key);
    s3.on(DeleteObjectsCommand).rejects(
      new S3ServiceException({
        name: 'SlowDown',
        $fault: 'server',
        $metadata: {},
        message: 'Please reduce your request rate.',
      }),
    );

    await expect(purgeObjects([original(1)], settings, { wait })).rejects.toMatchObject({ name: 'SlowDown' });
  });

  it('is safe to run twice: the second run finds nothing and makes the same invalidation', async () => {
    store.put('upload-bucket', original(1).key, 2);
    store.put('distribution-bucket', tile(1).key);

    const first = await purgeObjects([original(1), tile(1)], settings, { wait });
    const second = await purgeObjects([original(1), tile(1)], settings, { wait });

    expect(first).toEqual({ requested: 2, deleted: 2, versionsDeleted: 3, failed: 0 });
    expect(second).toEqual({ requested: 2, deleted: 0, versionsDeleted: 0, failed: 0 });
    const references = cloudFront
      .commandCalls(CreateInvalidationCommand)
      .map((call) => call.args[0].input.InvalidationBatch);
    expect(references[1]).toEqual(references[0]);
  });
});

describe('purging records', () => {
  const records = Array.from({ length: 60 }, (_, n) => uploadRecord(n));

  it('deletes records in batches of 25', async () => {
    dynamo.on(BatchWriteCommand).resolves({});

    const result = await purgeRecords('app-table', records, { wait });

    expect(result).toEqual({ requested: 60, deleted: 60, failed: 0 });
    const sizes = dynamo
      .commandCalls(BatchWriteCommand)
      .map((call) => call.args[0].input.RequestItems?.['app-table']?.length);
    expect(sizes).toEqual([25, 25, 10]);
    expect(dynamo).toHaveReceivedCommandWith(BatchWriteCommand, {
      RequestItems: {
        'app-table': expect.arrayContaining([
          { DeleteRequest: { Key: { pk: `UPLOAD#${id(0)}`, sk: 'UPLOAD' } } },
        ]),
      },
    });
  });

  it('retries unprocessed items with back-off until they are deleted', async () => {
    const unprocessed = (input: BatchWriteCommandInput, count: number) => ({
      UnprocessedItems: { 'app-table': input.RequestItems?.['app-table']?.slice(0, count) ?? [] },
    });
    dynamo
      .on(BatchWriteCommand)
      .callsFakeOnce((input) => unprocessed(input, 5))
      .callsFakeOnce((input) => unprocessed(input, 2))
      .resolves({});

    const result = await purgeRecords('app-table', records.slice(0, 10), { wait });

    expect(result).toEqual({ requested: 10, deleted: 10, failed: 0 });
    const sizes = dynamo
      .commandCalls(BatchWriteCommand)
      .map((call) => call.args[0].input.RequestItems?.['app-table']?.length);
    expect(sizes).toEqual([10, 5, 2]);
    expect(waits).toHaveLength(2);
  });

  it('counts items still unprocessed after the bounded attempts as failed', async () => {
    dynamo.on(BatchWriteCommand).callsFake((input: BatchWriteCommandInput) => ({
      UnprocessedItems: { 'app-table': input.RequestItems?.['app-table']?.slice(0, 1) ?? [] },
    }));

    const result = await purgeRecords('app-table', records.slice(0, 3), { wait });

    expect(result).toEqual({ requested: 3, deleted: 2, failed: 1 });
    expect(dynamo).toHaveReceivedCommandTimes(BatchWriteCommand, 6);
  });

  it('sends each key once even when the chunk repeats it', async () => {
    dynamo.on(BatchWriteCommand).resolves({});

    await purgeRecords('app-table', [uploadRecord(1), uploadRecord(1)], { wait });

    expect(dynamo.commandCalls(BatchWriteCommand)[0]?.args[0].input.RequestItems?.['app-table']).toHaveLength(
      1,
    );
  });
});

describe('verifying the purge', () => {
  const report = {
    objects: [original(1), tile(1), scaled(1)],
    records: [uploadRecord(1), { pk: 'PLACE#ChIJ-central-park', sk: `PHOTO#${id(1)}`, kind: 'photo-record' }],
  } as StoredReport;
  let table: Array<{ pk: string; sk: string; userId?: string }>;

  beforeEach(() => {
    table = [];
    dynamo.on(GetCommand).callsFake((input: { Key: { pk: string; sk: string } }) => ({
      Item: table.find((item) => item.pk === input.Key.pk && item.sk === input.Key.sk),
    }));
    dynamo.on(QueryCommand).callsFake((input: { ExpressionAttributeValues: { ':userId': string } }) => ({
      Items: table.filter((item) => item.userId === input.ExpressionAttributeValues[':userId']),
    }));
  });

  it('finds nothing left after a complete purge', async () => {
    table = [{ pk: 'UPLOAD#other', sk: 'UPLOAD', userId: 'user-bob' }];

    const result = await verifyPurge(report, 'user-alice', { tableName: 'app-table' }, { wait });

    expect(result).toEqual({ remaining: { objects: 0, records: 0, indexEntries: 0 }, total: 0 });
    expect(dynamo).toHaveReceivedCommandWith(GetCommand, { ConsistentRead: true });
    expect(dynamo).toHaveReceivedCommandWith(QueryCommand, { IndexName: 'ByUser' });
  });

  it('counts objects with a version or only a delete marker left, records left and index entries left', async () => {
    store.put('upload-bucket', original(1).key);
    store.markDeleted('distribution-bucket', tile(1).key);
    table = [
      { pk: `UPLOAD#${id(1)}`, sk: 'UPLOAD', userId: 'user-alice' },
      { pk: `UPLOAD#${id(7)}`, sk: 'UPLOAD', userId: 'user-alice' },
    ];

    const result = await verifyPurge(report, 'user-alice', { tableName: 'app-table' }, { wait });

    expect(result).toEqual({ remaining: { objects: 2, records: 1, indexEntries: 2 }, total: 5 });
  });

  it('asks the index again while it only lists items already gone from the table (index lag)', async () => {
    const lagging = { pk: `UPLOAD#${id(1)}`, sk: 'UPLOAD', userId: 'user-alice' };
    dynamo
      .on(QueryCommand)
      .resolvesOnce({ Items: [lagging] })
      .resolves({ Items: [] });

    const result = await verifyPurge(report, 'user-alice', { tableName: 'app-table' }, { wait });

    expect(result.total).toBe(0);
    expect(dynamo).toHaveReceivedCommandTimes(QueryCommand, 2);
    expect(waits).toHaveLength(1);
  });

  it('counts index entries that stay listed after the bounded re-queries', async () => {
    dynamo.on(QueryCommand).resolves({ Items: [{ pk: `UPLOAD#${id(1)}`, sk: 'UPLOAD' }] });

    const result = await verifyPurge(report, 'user-alice', { tableName: 'app-table' }, { wait });

    expect(result.remaining.indexEntries).toBe(1);
    expect(dynamo).toHaveReceivedCommandTimes(QueryCommand, 4);
  });
});
