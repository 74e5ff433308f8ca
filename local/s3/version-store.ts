/**
 * The version index of versioned buckets: for each key, its versions and delete markers, newest
 * first. Kept in memory and in an append-only journal per bucket (one JSON line per change, synced
 * before the change is answered), compacted when the bucket is opened. The versions' data are
 * s3rver objects in an internal bucket (see `versionBlobKey`); delete markers have none.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export interface ObjectVersion {
  key: string;
  versionId: string;
  deleteMarker: boolean;
  /** ISO 8601. */
  lastModified: string;
  /** Quoted, as S3 answers it; absent for delete markers. */
  eTag?: string;
  size?: number;
}

type JournalLine = { add: ObjectVersion } | { remove: { key: string; versionId: string } };

/** The s3rver bucket that holds the data of every version of every versioned bucket. */
export const VERSION_BLOB_BUCKET = 'local-s3-object-versions';

/** Where the data of a version lives in `VERSION_BLOB_BUCKET`. */
export function versionBlobKey(bucket: string, versionId: string): string {
  return `${bucket}/${versionId}`;
}

/** A new opaque version id: 32 URL-safe characters, like the ids S3 hands out. */
export function newVersionId(): string {
  return randomBytes(24).toString('base64url');
}

/** Version ids this endpoint could have issued ("null" included); anything else is malformed. */
export function isWellFormedVersionId(versionId: string): boolean {
  return versionId === 'null' || /^[A-Za-z0-9_-]{32}$/.test(versionId);
}

function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The first index in the sorted `keys` whose key is greater than `after` (or not less than `from`). */
function lowerBound(keys: readonly string[], key: string, strictlyAfter: boolean): number {
  let low = 0;
  let high = keys.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    const order = compareKeys(keys[middle] as string, key);
    if (order < 0 || (strictlyAfter && order === 0)) low = middle + 1;
    else high = middle;
  }
  return low;
}

class BucketVersions {
  /** Newest first. */
  readonly byKey = new Map<string, ObjectVersion[]>();
  /** Every key with at least one version or marker, sorted (UTF-8 binary order for ASCII keys). */
  readonly sortedKeys: string[] = [];
  private writes: Promise<void> = Promise.resolve();
  /** Set once the loaded journal is compacted; every later change is appended to it. */
  journal: fs.promises.FileHandle | undefined;

  apply(line: JournalLine) {
    if ('add' in line) {
      const existing = this.byKey.get(line.add.key);
      if (existing) existing.unshift(line.add);
      else {
        this.byKey.set(line.add.key, [line.add]);
        this.sortedKeys.splice(lowerBound(this.sortedKeys, line.add.key, false), 0, line.add.key);
      }
      return;
    }
    const versions = this.byKey.get(line.remove.key);
    if (!versions) return;
    const index = versions.findIndex((version) => version.versionId === line.remove.versionId);
    if (index !== -1) versions.splice(index, 1);
    if (versions.length === 0) {
      this.byKey.delete(line.remove.key);
      this.sortedKeys.splice(lowerBound(this.sortedKeys, line.remove.key, false), 1);
    }
  }

  /** Applies the change in memory at once and resolves once it is synced to the journal. */
  commit(line: JournalLine): Promise<void> {
    this.apply(line);
    const text = `${JSON.stringify(line)}\n`;
    const journal = this.journal;
    if (!journal) throw new Error('the version journal is not open');
    const write = this.writes.then(async () => {
      await journal.appendFile(text, 'utf8');
      await journal.datasync();
    });
    this.writes = write.catch(() => undefined);
    return write;
  }

  async close() {
    await this.writes;
    await this.journal?.close();
    this.journal = undefined;
  }
}

export interface ListVersionsPage {
  versions: Array<ObjectVersion & { isLatest: boolean }>;
  commonPrefixes: string[];
  isTruncated: boolean;
  nextKeyMarker?: string;
  nextVersionIdMarker?: string;
}

export interface CurrentObjectsPage {
  objects: ObjectVersion[];
  commonPrefixes: string[];
  isTruncated: boolean;
  /** The last key or common prefix returned, where the next page starts after. */
  lastReturned?: string;
}

export class VersionStore {
  private constructor(private readonly buckets: Map<string, BucketVersions>) {}

  /** Opens (and compacts) the journals of the versioned buckets in `directory`. */
  static async open(directory: string, bucketNames: readonly string[]): Promise<VersionStore> {
    fs.mkdirSync(directory, { recursive: true });
    const buckets = new Map<string, BucketVersions>();
    for (const name of bucketNames) {
      const journalPath = path.join(directory, `${name}.jsonl`);
      const lines = fs.existsSync(journalPath) ? fs.readFileSync(journalPath, 'utf8').split('\n') : [];
      const bucket = new BucketVersions();
      for (const text of lines) {
        if (text.trim() === '') continue;
        try {
          bucket.apply(JSON.parse(text) as JournalLine);
        } catch {
          // A line torn by a crash in the middle of an append: the change was never answered.
        }
      }
      const compacted = bucket.sortedKeys
        .flatMap((key) => [...(bucket.byKey.get(key) ?? [])].reverse())
        .map((version) => `${JSON.stringify({ add: version })}\n`)
        .join('');
      const temporary = `${journalPath}.tmp`;
      fs.writeFileSync(temporary, compacted);
      const descriptor = fs.openSync(temporary, 'r');
      fs.fsyncSync(descriptor);
      fs.closeSync(descriptor);
      fs.renameSync(temporary, journalPath);
      bucket.journal = await fs.promises.open(journalPath, 'a');
      buckets.set(name, bucket);
    }
    return new VersionStore(buckets);
  }

  isVersioned(bucket: string): boolean {
    return this.buckets.has(bucket);
  }

  private bucket(name: string): BucketVersions {
    const bucket = this.buckets.get(name);
    if (!bucket) throw new Error(`bucket ${name} is not versioned`);
    return bucket;
  }

  /** Newest first; empty when the key has none. */
  versionsOf(bucket: string, key: string): readonly ObjectVersion[] {
    return this.bucket(bucket).byKey.get(key) ?? [];
  }

  current(bucket: string, key: string): ObjectVersion | undefined {
    return this.versionsOf(bucket, key)[0];
  }

  find(bucket: string, key: string, versionId: string): ObjectVersion | undefined {
    return this.versionsOf(bucket, key).find((version) => version.versionId === versionId);
  }

  /** Makes `version` the key's current one; resolves once it is durable. */
  add(bucket: string, version: ObjectVersion): Promise<void> {
    return this.bucket(bucket).commit({ add: version });
  }

  /** Forgets a version or delete marker for good; resolves once it is durable. */
  remove(bucket: string, key: string, versionId: string): Promise<void> {
    return this.bucket(bucket).commit({ remove: { key, versionId } });
  }

  /** ListObjectVersions: keys in order, each key's versions newest first, from the markers on. */
  listVersions(
    bucket: string,
    query: { prefix: string; delimiter: string; keyMarker: string; versionIdMarker: string; maxKeys: number },
  ): ListVersionsPage {
    const { sortedKeys, byKey } = this.bucket(bucket);
    const page: ListVersionsPage = { versions: [], commonPrefixes: [], isTruncated: false };
    let count = 0;
    const startKey =
      query.keyMarker !== '' && query.prefix > query.keyMarker ? query.prefix : query.keyMarker;
    const resumeInsideMarker = query.keyMarker !== '' && query.versionIdMarker !== '';
    let index = lowerBound(sortedKeys, startKey, startKey === query.keyMarker && !resumeInsideMarker);
    for (; index < sortedKeys.length; index++) {
      const key = sortedKeys[index] as string;
      if (!key.startsWith(query.prefix)) {
        if (key > query.prefix) break;
        continue;
      }
      const delimiterAt = query.delimiter ? key.indexOf(query.delimiter, query.prefix.length) : -1;
      if (delimiterAt !== -1) {
        const commonPrefix = key.slice(0, delimiterAt + query.delimiter.length);
        if (commonPrefix === query.keyMarker || page.commonPrefixes.includes(commonPrefix)) continue;
        if (count === query.maxKeys) {
          page.isTruncated = true;
          break;
        }
        page.commonPrefixes.push(commonPrefix);
        page.nextKeyMarker = commonPrefix;
        page.nextVersionIdMarker = undefined;
        count++;
        continue;
      }
      let versions = byKey.get(key) ?? [];
      if (resumeInsideMarker && key === query.keyMarker) {
        const at = versions.findIndex((version) => version.versionId === query.versionIdMarker);
        versions = at === -1 ? [] : versions.slice(at + 1);
      }
      for (const version of versions) {
        if (count === query.maxKeys) {
          page.isTruncated = true;
          break;
        }
        page.versions.push({ ...version, isLatest: version === byKey.get(key)?.[0] });
        page.nextKeyMarker = version.key;
        page.nextVersionIdMarker = version.versionId;
        count++;
      }
      if (page.isTruncated) break;
    }
    if (!page.isTruncated) {
      page.nextKeyMarker = undefined;
      page.nextVersionIdMarker = undefined;
    }
    return page;
  }

  /** ListObjects(V2): the current versions that are not delete markers, keys after `startAfter`. */
  listCurrent(
    bucket: string,
    query: { prefix: string; delimiter: string; startAfter: string; maxKeys: number },
  ): CurrentObjectsPage {
    const { sortedKeys, byKey } = this.bucket(bucket);
    const page: CurrentObjectsPage = { objects: [], commonPrefixes: [], isTruncated: false };
    const startsAtPrefix = query.prefix > query.startAfter;
    const from = startsAtPrefix ? query.prefix : query.startAfter;
    for (
      let index = lowerBound(sortedKeys, from, from === query.startAfter);
      index < sortedKeys.length;
      index++
    ) {
      const key = sortedKeys[index] as string;
      if (!key.startsWith(query.prefix)) {
        if (key > query.prefix) break;
        continue;
      }
      const latest = byKey.get(key)?.[0];
      if (!latest || latest.deleteMarker) continue;
      const delimiterAt = query.delimiter ? key.indexOf(query.delimiter, query.prefix.length) : -1;
      const commonPrefix =
        delimiterAt === -1 ? undefined : key.slice(0, delimiterAt + query.delimiter.length);
      if (
        commonPrefix !== undefined &&
        (commonPrefix === page.lastReturned || commonPrefix <= query.startAfter)
      )
        continue;
      if (page.objects.length + page.commonPrefixes.length === query.maxKeys) {
        page.isTruncated = true;
        break;
      }
      if (commonPrefix !== undefined) page.commonPrefixes.push(commonPrefix);
      else page.objects.push(latest);
      page.lastReturned = commonPrefix ?? key;
    }
    return page;
  }

  async close(): Promise<void> {
    for (const bucket of this.buckets.values()) await bucket.close();
  }
}
