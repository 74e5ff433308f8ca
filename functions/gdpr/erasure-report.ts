import { createHash } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, NoSuchKey, PutObjectCommand, S3ServiceException } from '@aws-sdk/client-s3';
import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import { dynamo } from '#clients/dynamodb';
import { s3 } from '#clients/s3';
import { keys, publishedImageKeys, USER_INDEX, uploadObjectKey } from '#shared/model';
import { listObjectVersions } from '#shared/object-versions';
import {
  erasureKeys,
  type PurgeReport,
  type ReportSummary,
  type ResourceCounts,
  reportKeyFor,
  TERMINAL_STATUSES,
} from './erasure';
import { ErasureRequestNotFoundError, getErasureRequest } from './erasure-requests';
import { mapLimit } from './object-versions';

/**
 * The purge report of an erasure request: everything of one user, found through the per-user
 * index (never a scan), written once to the reports bucket as deterministic JSON whose SHA-256 the
 * approver approves. Every later step re-reads it and refuses it when the hash differs.
 *
 * Items of entity types other than uploads and photos that carry the user's id are listed as
 * `other-record` (counted only when there are any): the contract's ResourceKind does not name them yet.
 */

export type ObjectKind = PurgeReport['objects'][number]['kind'];
export type RecordKind = PurgeReport['records'][number]['kind'] | 'other-record';
export interface ReportObject {
  bucket: string;
  key: string;
  kind: ObjectKind;
  /**
   * Versions and delete markers the listing found when the report was built. 0 only for the keys
   * of an upload still in progress (its ticket may still be used, its workflow may still write):
   * nothing is there yet, and whatever arrives there before the purge is deleted too.
   */
  versions: number;
}
export interface ReportRecord {
  pk: string;
  sk: string;
  kind: RecordKind;
  /** The photo record an upload still in progress may still write; not there when listed. */
  pending?: boolean;
}
/**
 * What the approver approves, all counted from what exists: objects by kind (at least one version
 * listed), `object-version` (every version and delete marker of them), records by kind, and
 * `upload-in-progress` (uploads whose photos may still arrive; their keys are purged too).
 */
export type ReportCounts = ResourceCounts & {
  'other-record'?: number;
  'object-version'?: number;
  'upload-in-progress'?: number;
};
/** The report as stored: the contract's PurgeReport, with other per-user items as `other-record`. */
export interface StoredReport extends Omit<PurgeReport, 'records' | 'counts' | 'objects'> {
  objects: ReportObject[];
  records: ReportRecord[];
  counts: ReportCounts;
}

const OBJECT_KINDS = ['original', 'tile', 'scaled'] as const satisfies readonly ObjectKind[];
const RECORD_KINDS = [
  'upload-record',
  'photo-record',
  'other-record',
] as const satisfies readonly RecordKind[];
/** The counts in the order the report's bytes list them. */
const COUNT_KEYS = [
  'original',
  'tile',
  'scaled',
  'object-version',
  'upload-record',
  'photo-record',
  'other-record',
  'upload-in-progress',
] as const satisfies ReadonlyArray<keyof ReportCounts>;

// ------------------------------------------------------------------ errors

/** The report differs from the approved one (hash, request id or location): nothing is purged. */
export class ReportTamperedError extends Error {
  override readonly name = 'ReportTamperedError';
}

/** The report object is gone from the reports bucket. */
export class ReportNotFoundError extends Error {
  override readonly name = 'ReportNotFoundError';
}

/** The request was closed (a terminal status) while the flow was still working on it. */
export class ErasureRequestClosedError extends Error {
  override readonly name = 'ErasureRequestClosedError';
}

// ------------------------------------------------------------------ finding the user's data

type Item = Record<string, unknown>;

/**
 * Every item of the user in the ByUser index (sparse: only items with `userId`), all pages; with
 * `keysOnly`, just their table keys.
 */
export async function findUserItems(
  tableName: string,
  userId: string,
  options: { keysOnly?: boolean } = {},
): Promise<Item[]> {
  const items: Item[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await dynamo.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: USER_INDEX,
        KeyConditionExpression: '#userId = :userId',
        ...(options.keysOnly
          ? {
              ProjectionExpression: '#pk, #sk',
              ExpressionAttributeNames: { '#userId': 'userId', '#pk': 'pk', '#sk': 'sk' },
            }
          : { ExpressionAttributeNames: { '#userId': 'userId' } }),
        ExpressionAttributeValues: { ':userId': userId },
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      }),
    );
    items.push(...((page.Items ?? []) as Item[]));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}

const text = (item: Item, field: string): string | undefined => {
  const value = item[field];
  return typeof value === 'string' && value !== '' ? value : undefined;
};

export interface ReportBuckets {
  uploadBucket: string;
  distributionBucket: string;
}

/** An object key the user's items point to, before listing says whether anything is there. */
export interface CandidateObject {
  bucket: string;
  key: string;
  kind: ObjectKind;
  /** It belongs to an upload still PENDING or PROCESSING: kept in the report even when absent. */
  inProgress: boolean;
}

const IN_PROGRESS = new Set(['PENDING', 'PROCESSING']);
const objectId = (object: { bucket: string; key: string }) => `${object.bucket}\u0000${object.key}`;

/**
 * The object keys the user's index entries point to: an upload's original and the copies it
 * names or that its ids derive (a failed execution may have written them), a photo's copies and
 * its derived original. Deduplicated; in progress when any upload naming it is in progress.
 */
export function candidateObjects(items: readonly Item[], buckets: ReportBuckets): CandidateObject[] {
  const candidates = new Map<string, CandidateObject>();
  const add = (bucket: string, key: string | undefined, kind: ObjectKind, inProgress: boolean) => {
    if (!key) return;
    const id = objectId({ bucket, key });
    const known = candidates.get(id);
    candidates.set(id, { bucket, key, kind, inProgress: inProgress || (known?.inProgress ?? false) });
  };
  const addCopies = (
    placeId: string | undefined,
    uploadId: string | undefined,
    named: Item,
    inProgress: boolean,
  ) => {
    add(buckets.distributionBucket, text(named, 'tileKey'), 'tile', inProgress);
    add(buckets.distributionBucket, text(named, 'scaledKey'), 'scaled', inProgress);
    if (!placeId || !uploadId) return;
    const derived = publishedImageKeys(placeId, uploadId);
    add(buckets.distributionBucket, derived.tileKey, 'tile', inProgress);
    add(buckets.distributionBucket, derived.scaledKey, 'scaled', inProgress);
  };
  for (const item of items) {
    if (!text(item, 'pk') || !text(item, 'sk')) continue;
    const placeId = text(item, 'placeId');
    const uploadId = text(item, 'uploadId');
    const derivedOriginal = placeId && uploadId ? uploadObjectKey(placeId, uploadId) : undefined;
    if (item.entity === 'upload') {
      const inProgress = IN_PROGRESS.has(String(item.status));
      add(buckets.uploadBucket, text(item, 'objectKey') ?? derivedOriginal, 'original', inProgress);
      const images = item.images && typeof item.images === 'object' ? (item.images as Item) : {};
      addCopies(placeId, uploadId, images, inProgress);
    } else if (item.entity === 'photo') {
      add(buckets.uploadBucket, derivedOriginal, 'original', false);
      addCopies(placeId, uploadId, item, false);
    }
  }
  return [...candidates.values()];
}

/** How many versions and delete markers a listing found at each key (`bucket\0key`). */
export type VersionCounts = (object: { bucket: string; key: string }) => number;

/**
 * The report for `items` (the user's index entries), from what the listings found: every
 * candidate object with at least one version or delete marker, with their number, and the keys of
 * uploads still in progress even when nothing is there yet (versions 0), so whatever lands there
 * before the purge is deleted too; every record, plus the photo record an upload in progress may
 * still write. Deduplicated and sorted: kind (originals, tiles, scaled; upload, photo, other
 * records), then key.
 */
export function buildReport(
  requestId: string,
  items: readonly Item[],
  buckets: ReportBuckets,
  versionsOf: VersionCounts,
  now = new Date(),
): StoredReport {
  const objects = candidateObjects(items, buckets)
    .map((candidate) => ({
      bucket: candidate.bucket,
      key: candidate.key,
      kind: candidate.kind,
      versions: versionsOf(candidate),
      inProgress: candidate.inProgress,
    }))
    .filter((object) => object.versions > 0 || object.inProgress)
    .map(({ inProgress: _, ...object }) => object);
  const records = new Map<string, ReportRecord>();
  const pending = new Map<string, ReportRecord>();
  for (const item of items) {
    const pk = text(item, 'pk');
    const sk = text(item, 'sk');
    if (!pk || !sk) continue;
    const kind: RecordKind =
      item.entity === 'upload' ? 'upload-record' : item.entity === 'photo' ? 'photo-record' : 'other-record';
    records.set(`${pk}\u0000${sk}`, { pk, sk, kind });
    const placeId = text(item, 'placeId');
    const uploadId = text(item, 'uploadId');
    if (item.entity === 'upload' && IN_PROGRESS.has(String(item.status)) && placeId && uploadId) {
      const photo = keys.photo(placeId, uploadId);
      pending.set(`${photo.pk}\u0000${photo.sk}`, { ...photo, kind: 'photo-record', pending: true });
    }
  }
  for (const [id, record] of pending) if (!records.has(id)) records.set(id, record);

  const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  const sortedObjects = objects.sort(
    (a, b) =>
      OBJECT_KINDS.indexOf(a.kind) - OBJECT_KINDS.indexOf(b.kind) ||
      byText(a.bucket, b.bucket) ||
      byText(a.key, b.key),
  );
  const sortedRecords = [...records.values()].sort(
    (a, b) =>
      RECORD_KINDS.indexOf(a.kind) - RECORD_KINDS.indexOf(b.kind) || byText(a.pk, b.pk) || byText(a.sk, b.sk),
  );
  const inProgress = items.filter(
    (item) => item.entity === 'upload' && IN_PROGRESS.has(String(item.status)) && text(item, 'pk'),
  ).length;
  return {
    version: 1,
    requestId,
    createdAt: now.toISOString(),
    counts: countsOf(sortedObjects, sortedRecords, inProgress),
    total: totalOf(sortedObjects, sortedRecords),
    objects: sortedObjects,
    records: sortedRecords,
  };
}

/** Objects with at least one version and records that exist: what the approver is told exists. */
function totalOf(objects: readonly ReportObject[], records: readonly ReportRecord[]): number {
  return (
    objects.filter((object) => object.versions > 0).length +
    records.filter((record) => !record.pending).length
  );
}

function countsOf(
  objects: readonly ReportObject[],
  records: readonly ReportRecord[],
  uploadsInProgress: number,
): ReportCounts {
  const existing = [
    ...objects.filter((object) => object.versions > 0),
    ...records.filter((record) => !record.pending),
  ];
  const count = (kind: string) => existing.filter((entry) => entry.kind === kind).length;
  const counts: ReportCounts = {
    original: count('original'),
    tile: count('tile'),
    scaled: count('scaled'),
    'object-version': objects.reduce((sum, object) => sum + object.versions, 0),
    'upload-record': count('upload-record'),
    'photo-record': count('photo-record'),
  };
  const others = count('other-record');
  if (others > 0) counts['other-record'] = others;
  if (uploadsInProgress > 0) counts['upload-in-progress'] = uploadsInProgress;
  return counts;
}

// ------------------------------------------------------------------ bytes and hash

/**
 * The report's bytes: keys in a fixed order, lists already sorted, two-space indentation and a
 * final newline. The same report always gives the same bytes, hence the same hash.
 */
export function serializeReport(report: StoredReport): string {
  const ordered = {
    version: report.version,
    requestId: report.requestId,
    createdAt: report.createdAt,
    counts: Object.fromEntries(
      COUNT_KEYS.filter((kind) => report.counts[kind] !== undefined).map((kind) => [
        kind,
        report.counts[kind],
      ]),
    ),
    total: report.total,
    objects: report.objects.map((object) => ({
      bucket: object.bucket,
      key: object.key,
      kind: object.kind,
      versions: object.versions,
    })),
    records: report.records.map((record) => ({
      pk: record.pk,
      sk: record.sk,
      kind: record.kind,
      ...(record.pending ? { pending: true } : {}),
    })),
  };
  return `${JSON.stringify(ordered, null, 2)}\n`;
}

export function sha256Hex(bytes: string | Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

const storedReportSchema = z.object({
  version: z.literal(1),
  requestId: z.string(),
  createdAt: z.string(),
  counts: z.record(z.string(), z.number()),
  total: z.number(),
  objects: z.array(
    z.object({
      bucket: z.string(),
      key: z.string(),
      kind: z.enum(OBJECT_KINDS),
      versions: z.number().check(z.int(), z.gte(0)),
    }),
  ),
  records: z.array(
    z.object({
      pk: z.string(),
      sk: z.string(),
      kind: z.enum(RECORD_KINDS),
      pending: z.optional(z.literal(true)),
    }),
  ),
});

/** Parses report bytes; undefined when they are not a well-formed report whose counts add up. */
export function parseReport(bytes: string): StoredReport | undefined {
  let json: unknown;
  try {
    json = JSON.parse(bytes);
  } catch {
    return undefined;
  }
  const parsed = storedReportSchema.safeParse(json);
  if (!parsed.success) return undefined;
  const report = parsed.data as StoredReport;
  const expected = countsOf(report.objects, report.records, report.counts['upload-in-progress'] ?? 0);
  const countsMatch = COUNT_KEYS.every((kind) => (report.counts[kind] ?? 0) === (expected[kind] ?? 0));
  if (!countsMatch || report.total !== totalOf(report.objects, report.records)) return undefined;
  return report;
}

// ------------------------------------------------------------------ storing and reading

type Body = AsyncIterable<Uint8Array>;

async function readObject(bucket: string, key: string): Promise<Buffer | undefined> {
  try {
    const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const chunks: Uint8Array[] = [];
    for await (const chunk of (response.Body ?? []) as Body) chunks.push(chunk);
    return Buffer.concat(chunks);
  } catch (error) {
    if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey') return undefined;
    throw error;
  }
}

const httpStatusOf = (error: unknown) =>
  error instanceof S3ServiceException ? error.$metadata.httpStatusCode : undefined;

export interface StoredReportRef {
  report: StoredReport;
  reportKey: string;
  reportSha256: string;
  /** False when a report was already there (a retried invocation): that one is used. */
  written: boolean;
}

/**
 * Writes the report at `reports/<requestId>/report.json` only if nothing is there yet
 * (`If-None-Match: *`): a report is never overwritten. When one exists (412, a retried
 * invocation) or another write is in flight (409), the stored report is read back and used.
 * Encryption is left to the bucket default (SSE-S3 in templates/gdpr.yaml).
 */
export async function storeReport(bucket: string, report: StoredReport): Promise<StoredReportRef> {
  const reportKey = reportKeyFor(report.requestId);
  const bytes = serializeReport(report);
  for (let attempt = 1; ; attempt++) {
    try {
      await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: reportKey,
          Body: bytes,
          ContentType: 'application/json',
          IfNoneMatch: '*',
        }),
      );
      return { report, reportKey, reportSha256: sha256Hex(bytes), written: true };
    } catch (error) {
      const status = httpStatusOf(error);
      if (status !== 412 && status !== 409) throw error;
      const existing = await readObject(bucket, reportKey);
      if (existing) return { ...checkedExisting(report.requestId, existing), reportKey, written: false };
      // 409: the other write did not complete; try again (bounded).
      if (attempt >= 3) throw error;
    }
  }
}

function checkedExisting(requestId: string, bytes: Buffer): { report: StoredReport; reportSha256: string } {
  const report = parseReport(bytes.toString('utf8'));
  if (!report || report.requestId !== requestId)
    throw new ReportTamperedError(`The stored report of erasure request ${requestId} is not a valid report`);
  return { report, reportSha256: sha256Hex(bytes) };
}

export interface ApprovedReportRef {
  requestId: string;
  reportKey: string;
  approvedSha256: string;
}

/**
 * Re-reads the report and returns it only if it is the approved one: stored at the request's own
 * key, its SHA-256 equal to the approved hash, its request id the request's. Throws
 * ReportTamperedError otherwise (ReportNotFoundError when it is gone).
 */
export async function readApprovedReport(bucket: string, ref: ApprovedReportRef): Promise<StoredReport> {
  if (ref.reportKey !== reportKeyFor(ref.requestId))
    throw new ReportTamperedError(`The report key is not the one of erasure request ${ref.requestId}`);
  const bytes = await readObject(bucket, ref.reportKey);
  if (!bytes) throw new ReportNotFoundError(`The report of erasure request ${ref.requestId} is missing`);
  if (sha256Hex(bytes) !== ref.approvedSha256)
    throw new ReportTamperedError(`The report of erasure request ${ref.requestId} is not the approved one`);
  const report = parseReport(bytes.toString('utf8'));
  if (!report || report.requestId !== ref.requestId)
    throw new ReportTamperedError(`The report of erasure request ${ref.requestId} is not a valid report`);
  return report;
}

// ------------------------------------------------------------------ the task

export interface PurgeReportSettings extends ReportBuckets {
  tableName: string;
  reportsBucket: string;
}

/** The raw user id of an open request; throws ErasureRequestNotFoundError when there is none. */
export async function requesterOf(tableName: string, requestId: string): Promise<string> {
  const request = await getErasureRequest(tableName, requestId);
  if (!request) throw new ErasureRequestNotFoundError(`Erasure request ${requestId} does not exist`);
  if (!request.requesterId)
    throw new ErasureRequestNotFoundError(`Erasure request ${requestId} has no requester (already closed)`);
  return request.requesterId;
}

const terminalValues = Object.fromEntries(TERMINAL_STATUSES.map((status, index) => [`:t${index}`, status]));
/** `NOT #status IN (:t0, …)` with its values, for updates allowed only while a request is open. */
export const whileOpen = {
  condition: `attribute_exists(pk) AND NOT #status IN (${Object.keys(terminalValues).join(', ')})`,
  values: terminalValues,
};

/** Concurrent ListObjectVersions calls while building a report. */
const LIST_CONCURRENCY = 8;

/**
 * "Build purge report": the request's user → their index entries → a listing of every object
 * they point to (what exists, every version) → the report, written once →
 * its key, hash and counts recorded on the request (only while it is open) → the summary.
 */
export async function createPurgeReport(
  settings: PurgeReportSettings,
  requestId: string,
  now = new Date(),
): Promise<ReportSummary & { written: boolean }> {
  const userId = await requesterOf(settings.tableName, requestId);
  const items = await findUserItems(settings.tableName, userId);
  const candidates = candidateObjects(items, settings);
  const listed = await mapLimit(candidates, LIST_CONCURRENCY, async (candidate) => ({
    id: objectId(candidate),
    versions: (await listObjectVersions(candidate.bucket, candidate.key)).length,
  }));
  const versions = new Map(listed.map((entry) => [entry.id, entry.versions]));
  const report = buildReport(
    requestId,
    items,
    settings,
    (object) => versions.get(objectId(object)) ?? 0,
    now,
  );
  const stored = await storeReport(settings.reportsBucket, report);
  try {
    await dynamo.send(
      new UpdateCommand({
        TableName: settings.tableName,
        Key: erasureKeys.request(requestId),
        UpdateExpression: 'SET reportKey = :key, reportSha256 = :sha, #counts = :counts, updatedAt = :now',
        ConditionExpression: whileOpen.condition,
        ExpressionAttributeNames: { '#status': 'status', '#counts': 'counts' },
        ExpressionAttributeValues: {
          ':key': stored.reportKey,
          ':sha': stored.reportSha256,
          ':counts': stored.report.counts,
          ':now': now.toISOString(),
          ...whileOpen.values,
        },
      }),
    );
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException)
      throw new ErasureRequestClosedError(`Erasure request ${requestId} was closed meanwhile`);
    throw error;
  }
  return {
    reportKey: stored.reportKey,
    reportSha256: stored.reportSha256,
    counts: stored.report.counts,
    total: stored.report.total,
    written: stored.written,
  };
}
