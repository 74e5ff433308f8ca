import { CreateInvalidationCommand } from '@aws-sdk/client-cloudfront';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteObjectsCommand } from '@aws-sdk/client-s3';
import { BatchWriteCommand, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { cloudFront } from '#clients/cloudfront';
import { dynamo } from '#clients/dynamodb';
import { s3 } from '#clients/s3';
import { listObjectVersions } from '#shared/object-versions';
import { fullJitterBackoffMs, type RetryOptions, sleep } from '#shared/retry';
import { InvalidTaskInputError } from '#shared/task-input';
import { erasureKeys, type PurgeChunkResult, type PurgePlan, type VerificationResult } from './erasure';
import {
  ErasureRequestClosedError,
  findUserItems,
  type ReportObject,
  type ReportRecord,
  type StoredReport,
  whileOpen,
} from './erasure-report';
import { mapLimit } from './object-versions';

/**
 * The purge and its verification: data before index entries (the ASL deletes every object chunk
 * before any record chunk, and verifies after both; an object chunk that cannot delete all its
 * objects fails with ObjectsNotDeletedError, so no record is deleted). Every step is safe to run twice: what is
 * already absent is not an error (and is not counted as deleted), CloudFront invalidations reuse their caller reference.
 * Nothing here logs or returns keys: results are counts.
 */

const inBatches = <T>(items: readonly T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, index) =>
    items.slice(index * size, (index + 1) * size),
  );

// ------------------------------------------------------------------ plan

/** Index ranges [start, end) of `length` entries, `size` at a time. */
export function chunkRanges(length: number, size: number): Array<{ start: number; end: number }> {
  return Array.from({ length: Math.ceil(length / size) }, (_, index) => ({
    start: index * size,
    end: Math.min(length, (index + 1) * size),
  }));
}

/** Objects and records chunked separately: the ASL purges all object chunks before any record chunk. */
export function planPurge(report: StoredReport, chunkSize: number): PurgePlan {
  return {
    objectChunks: chunkRanges(report.objects.length, chunkSize),
    recordChunks: chunkRanges(report.records.length, chunkSize),
  };
}

/** The entries of one chunk; a range outside the list means the ASL and the report disagree. */
export function entriesOf<T>(list: readonly T[], chunk: { start: number; end: number }): T[] {
  if (chunk.start > chunk.end || chunk.end > list.length)
    throw new InvalidTaskInputError(
      `Chunk [${chunk.start}, ${chunk.end}) is outside the report's ${list.length} entries`,
    );
  return list.slice(chunk.start, chunk.end);
}

/** Marks the request PURGING, only while it is open (ErasureRequestClosedError otherwise). */
export async function markPurging(tableName: string, requestId: string, now = new Date()): Promise<void> {
  try {
    await dynamo.send(
      new UpdateCommand({
        TableName: tableName,
        Key: erasureKeys.request(requestId),
        UpdateExpression: 'SET #status = :purging, updatedAt = :now',
        ConditionExpression: whileOpen.condition,
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':purging': 'PURGING', ':now': now.toISOString(), ...whileOpen.values },
      }),
    );
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException)
      throw new ErasureRequestClosedError(`Erasure request ${requestId} is closed: nothing is purged`);
    throw error;
  }
}

// ------------------------------------------------------------------ objects

/** Concurrent ListObjectVersions calls per chunk. */
const LIST_CONCURRENCY = 8;
/** DeleteObjects takes at most 1000 keys (versions) per request. */
const DELETE_BATCH = 1000;
const DELETE_ATTEMPTS = 3;
/** CloudFront accepts up to 3000 individual paths in progress per distribution. */
const INVALIDATION_BATCH = 1000;
const INVALIDATION_ATTEMPTS = 4;

export interface ObjectPurgeSettings {
  /** Only objects in these buckets are touched; others in a report fail the chunk (ObjectsNotDeletedError). */
  allowedBuckets: readonly string[];
  /** Published copies live here; after deletion they are invalidated in CloudFront. */
  distributionBucket: string;
  distributionId: string;
  /** `${requestId}-${start}`: the same chunk always makes the same invalidation. */
  callerReference: string;
}

type Version = { Key: string; VersionId: string };

/** What is left of a chunk whose objects could not all be deleted: counts only, never keys. */
export interface ObjectsNotDeleted extends PurgeChunkResult {
  /** Versions and delete markers S3 still refused (DeleteObjects `Errors`) after the retries. */
  versionsLeft: number;
  /** Reported objects outside the buckets the purge may touch. */
  outsideAllowedBuckets: number;
}

/**
 * Some objects of a chunk are still there after the retries. The records of the user are their
 * index (the only way to find the objects again), so the flow must stop before "Purge records":
 * the ASL retries the chunk a few times, then ends the request FAILED with every record intact.
 */
export class ObjectsNotDeletedError extends Error {
  override readonly name = 'ObjectsNotDeletedError';
  constructor(readonly counts: ObjectsNotDeleted) {
    super(
      `${counts.failed} of ${counts.requested} objects could not be deleted ` +
        `(${counts.versionsLeft} versions refused after ${DELETE_ATTEMPTS} attempts, ` +
        `${counts.outsideAllowedBuckets} outside the purged buckets; ${counts.versionsDeleted} versions deleted): ` +
        'no record may be deleted while they remain',
    );
  }
}

/**
 * Deletes every version and delete marker of each object (DeleteObjects, ≤ 1000 per request,
 * Quiet), retrying the versions S3 reports in `Errors` up to 3 attempts per key with back-off.
 * An object with no versions is already absent: not counted as deleted, and not a failure. Published copies are then
 * invalidated in CloudFront. Request-level errors (throttling, 5xx) propagate for the ASL to retry.
 * Objects still there after the retries, or outside `allowedBuckets`, fail the chunk with
 * ObjectsNotDeletedError (after the invalidation of what was deleted): a returned result always
 * has `failed: 0`.
 */
export async function purgeObjects(
  objects: readonly ReportObject[],
  settings: ObjectPurgeSettings,
  options: RetryOptions = {},
): Promise<PurgeChunkResult> {
  const wait = options.wait ?? sleep;
  const allowed = objects.filter((object) => settings.allowedBuckets.includes(object.bucket));
  const failedKeys = new Set<string>();
  let versionsDeleted = 0;
  let versionsLeft = 0;

  const listed = await mapLimit(allowed, LIST_CONCURRENCY, async (object) => ({
    object,
    versionIds: await listObjectVersions(object.bucket, object.key),
  }));
  for (const bucket of new Set(allowed.map((object) => object.bucket))) {
    const versions: Version[] = listed
      .filter((entry) => entry.object.bucket === bucket)
      .flatMap((entry) => entry.versionIds.map((VersionId) => ({ Key: entry.object.key, VersionId })));
    for (const batch of inBatches(versions, DELETE_BATCH)) {
      const left = await deleteVersions(bucket, batch, wait);
      versionsDeleted += batch.length - left.length;
      versionsLeft += left.length;
      for (const version of left) failedKeys.add(`${bucket}\u0000${version.Key}`);
    }
  }

  const paths = [
    ...new Set(
      objects
        .filter((object) => object.bucket === settings.distributionBucket)
        .map((object) => cdnPath(object.key)),
    ),
  ];
  if (paths.length > 0) await invalidate(settings.distributionId, paths, settings.callerReference, wait);

  const outsideAllowedBuckets = objects.length - allowed.length;
  const failed = outsideAllowedBuckets + failedKeys.size;
  // Only what was there and is gone now counts as deleted: absent objects are not.
  const deleted = listed.filter(
    (entry) =>
      entry.versionIds.length > 0 && !failedKeys.has(`${entry.object.bucket}\u0000${entry.object.key}`),
  ).length;
  const result = { requested: objects.length, deleted, versionsDeleted, failed };
  if (failed > 0) throw new ObjectsNotDeletedError({ ...result, versionsLeft, outsideAllowedBuckets });
  return result;
}

/** Deletes `batch`; returns the versions still not deleted after the retries. */
async function deleteVersions(
  bucket: string,
  batch: Version[],
  wait: (ms: number) => Promise<void>,
): Promise<Version[]> {
  let pending = batch;
  for (let attempt = 1; pending.length > 0; attempt++) {
    const response = await s3.send(
      new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: pending, Quiet: true } }),
    );
    const errors = new Set((response.Errors ?? []).map((error) => `${error.Key}\u0000${error.VersionId}`));
    pending = pending.filter((version) => errors.has(`${version.Key}\u0000${version.VersionId}`));
    if (pending.length === 0 || attempt >= DELETE_ATTEMPTS) break;
    await wait(fullJitterBackoffMs(attempt, 200, 2000));
  }
  return pending;
}

/** The CloudFront path of a distribution-bucket key (segments percent-encoded, slashes kept). */
export function cdnPath(key: string): string {
  return `/${key.split('/').map(encodeURIComponent).join('/')}`;
}

/**
 * One invalidation per ≤ 1000 paths. The caller reference is fixed per chunk (and batch), so a
 * retried chunk gets CloudFront's existing invalidation back instead of a new one.
 * TooManyInvalidationsInProgress is waited out a few times, then propagates.
 */
async function invalidate(
  distributionId: string,
  paths: string[],
  callerReference: string,
  wait: (ms: number) => Promise<void>,
): Promise<void> {
  const batches = inBatches([...paths].sort(), INVALIDATION_BATCH);
  for (const [index, batch] of batches.entries()) {
    const reference = index === 0 ? callerReference : `${callerReference}-${index}`;
    for (let attempt = 1; ; attempt++) {
      try {
        await cloudFront.send(
          new CreateInvalidationCommand({
            DistributionId: distributionId,
            InvalidationBatch: {
              CallerReference: reference,
              Paths: { Quantity: batch.length, Items: batch },
            },
          }),
        );
        break;
      } catch (error) {
        if ((error as { name?: string }).name !== 'TooManyInvalidationsInProgress') throw error;
        if (attempt >= INVALIDATION_ATTEMPTS) throw error;
        await wait(fullJitterBackoffMs(attempt, 2000, 10_000));
      }
    }
  }
}

// ------------------------------------------------------------------ records

/** BatchWriteItem takes at most 25 requests per call. */
const WRITE_BATCH = 25;
const WRITE_ATTEMPTS = 6;

/**
 * Deletes the records with BatchWriteItem (≤ 25 per call), retrying UnprocessedItems with
 * exponential back-off (6 attempts per batch). Deleting an absent item succeeds: it counts as
 * deleted. Items still unprocessed after the retries count as failed.
 */
export async function purgeRecords(
  tableName: string,
  records: readonly ReportRecord[],
  options: RetryOptions = {},
): Promise<PurgeChunkResult> {
  const wait = options.wait ?? sleep;
  const unique = [...new Map(records.map((record) => [`${record.pk}\u0000${record.sk}`, record])).values()];
  let failed = 0;
  for (const batch of inBatches(unique, WRITE_BATCH)) {
    let pending: Array<{ DeleteRequest: { Key: Record<string, unknown> } }> = batch.map((record) => ({
      DeleteRequest: { Key: { pk: record.pk, sk: record.sk } },
    }));
    for (let attempt = 1; pending.length > 0; attempt++) {
      const response = await dynamo.send(new BatchWriteCommand({ RequestItems: { [tableName]: pending } }));
      pending = (response.UnprocessedItems?.[tableName] ?? []).filter(
        (request): request is { DeleteRequest: { Key: Record<string, unknown> } } =>
          request.DeleteRequest?.Key !== undefined,
      );
      if (pending.length === 0 || attempt >= WRITE_ATTEMPTS) break;
      await wait(fullJitterBackoffMs(attempt, 50, 2000));
    }
    failed += pending.length;
  }
  return { requested: records.length, deleted: records.length - failed, failed };
}

// ------------------------------------------------------------------ verification

const CHECK_CONCURRENCY = 16;
const INDEX_ATTEMPTS = 4;

export interface VerifySettings {
  tableName: string;
}

/**
 * Nothing reported may remain: an object with any version or delete marker left counts, a
 * record still in the table (consistent read) counts, and so does any entry of the user still in
 * the ByUser index (also items written after the report). The index is eventually consistent:
 * while every entry it lists is already gone from the table, it is asked again after a back-off.
 */
export async function verifyPurge(
  report: StoredReport,
  userId: string,
  settings: VerifySettings,
  options: RetryOptions = {},
): Promise<VerificationResult> {
  const wait = options.wait ?? sleep;
  const objectsLeft = await mapLimit(
    report.objects,
    CHECK_CONCURRENCY,
    async (object) => (await listObjectVersions(object.bucket, object.key)).length > 0,
  );
  const recordsLeft = await mapLimit(report.records, CHECK_CONCURRENCY, (record) =>
    itemExists(settings.tableName, record),
  );
  let indexEntries = 0;
  for (let attempt = 1; ; attempt++) {
    const entries = await findUserItems(settings.tableName, userId, { keysOnly: true });
    indexEntries = entries.length;
    if (entries.length === 0 || attempt >= INDEX_ATTEMPTS) break;
    const present = await mapLimit(entries, CHECK_CONCURRENCY, (key) =>
      itemExists(settings.tableName, { pk: String(key.pk), sk: String(key.sk) }),
    );
    // Entries whose item is gone are index lag: ask again; entries whose item is there are data left.
    if (present.every(Boolean)) break;
    await wait(fullJitterBackoffMs(attempt, 250, 2000) + 250);
  }
  const remaining = {
    objects: objectsLeft.filter(Boolean).length,
    records: recordsLeft.filter(Boolean).length,
    indexEntries,
  };
  return { remaining, total: remaining.objects + remaining.records + remaining.indexEntries };
}

async function itemExists(tableName: string, key: { pk: string; sk: string }): Promise<boolean> {
  const { Item } = await dynamo.send(
    new GetCommand({
      TableName: tableName,
      Key: { pk: key.pk, sk: key.sk },
      ConsistentRead: true,
      ProjectionExpression: '#pk',
      ExpressionAttributeNames: { '#pk': 'pk' },
    }),
  );
  return Item !== undefined;
}
