/**
 * The version index of versioned buckets: for each key, its versions and delete markers, newest
 * first. It lives on disk, in one LevelDB database (`VERSION_INDEX_DIRECTORY` in the local S3's data
 * directory), and is read with range scans whose iterators are always closed, so memory does not
 * grow with the number of stored objects. Every change is synced to disk before it resolves. The
 * versions' data are s3rver objects in an internal bucket (see `versionBlobKey`); delete markers
 * have none.
 *
 * Key layout (UTF-8 strings, which LevelDB orders bytewise: S3's order of keys):
 *
 *     sequence                                   → the last sequence number given out (JSON number)
 *     version/<bucket>/<object key>␀␁<inverted>  → one version or delete marker (JSON ObjectVersion)
 *
 * Every version or marker added takes the next sequence number; `<inverted>` is
 * Number.MAX_SAFE_INTEGER minus it, as 16 decimal digits, so that a key's newest version comes first. `␀␁` (NUL, U+0001) ends the
 * object key: it sorts before any character a longer key can continue with, so every key's
 * versions are one range and keys follow S3's order. A NUL inside an object key is written `␀␂`
 * (NUL, U+0002) for the same reason.
 *
 * Data directories of earlier versions kept the index in memory and in one journal per bucket,
 * `<bucket>.jsonl` (JSON lines `{"add": ObjectVersion}` and `{"remove": {key, versionId}}`). Opening
 * the store imports such a journal into the database and deletes it afterwards; an import cut
 * short by a kill is done again from the start.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { ClassicLevel } from 'classic-level';
import { LEVELDB_MEMORY } from '../dynamodb/dynalite';

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

/** The s3rver bucket that holds the data of every version of every versioned bucket. */
export const VERSION_BLOB_BUCKET = 'local-s3-object-versions';

/** The LevelDB database of the version index, in the local S3's data directory. */
export const VERSION_INDEX_DIRECTORY = 'local-s3-version-index';

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

/** S3's order of keys: their UTF-8 bytes (JavaScript's `<` compares UTF-16 code units). */
function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

const SEQUENCE = 'sequence';
const KEY_END = '\u0000\u0001';
const ESCAPED_NUL = '\u0000\u0002';
/** Sorts after every character but itself: seeking to `prefix` + this passes every key under `prefix`. */
const LAST_CHARACTER = '\u{10FFFF}';

/** Where the bucket's entries are: `/` ends a bucket name, and `0` is the character after `/`. */
function bucketRange(bucket: string) {
  return { gte: `version/${bucket}/`, lt: `version/${bucket}0` };
}

/** Where the entries of `key`, and of every key that starts with it, begin. */
function atKey(bucket: string, key: string): string {
  return `version/${bucket}/${key.replaceAll('\u0000', ESCAPED_NUL)}`;
}

/** Just past the entries of `key` (longer keys that start with it come after). */
function afterKey(bucket: string, key: string): string {
  return atKey(bucket, key) + ESCAPED_NUL;
}

function entryKey(bucket: string, key: string, sequence: number): string {
  return atKey(bucket, key) + KEY_END + String(Number.MAX_SAFE_INTEGER - sequence).padStart(16, '0');
}

/** The entries of `key` alone, newest first. */
function keyRange(bucket: string, key: string) {
  return { gte: atKey(bucket, key) + KEY_END, lt: afterKey(bucket, key) };
}

type JournalLine = { add: ObjectVersion } | { remove: { key: string; versionId: string } };

/** A line of an earlier journal, or undefined for a line torn by a crash in the middle of an append. */
function parseJournalLine(text: string): JournalLine | undefined {
  let line: unknown;
  try {
    line = JSON.parse(text);
  } catch {
    return undefined;
  }
  const { add, remove } = (line ?? {}) as { add?: Partial<ObjectVersion>; remove?: Partial<ObjectVersion> };
  if (typeof add?.key === 'string' && typeof add.versionId === 'string') return { add: add as ObjectVersion };
  if (typeof remove?.key === 'string' && typeof remove.versionId === 'string') {
    return { remove: { key: remove.key, versionId: remove.versionId } };
  }
  return undefined;
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

type IndexDatabase = ClassicLevel<string, ObjectVersion | number>;

export class VersionStore {
  /** Changes are written one after the other: each addition takes the next sequence number. */
  private writes: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly db: IndexDatabase,
    private readonly versioned: ReadonlySet<string>,
    private sequence: number,
  ) {}

  /**
   * Opens the version index in `directory` for the versioned buckets, importing (then deleting)
   * their journals of the earlier format.
   */
  static async open(
    directory: string,
    bucketNames: readonly string[],
    log: (line: string) => void = () => undefined,
  ): Promise<VersionStore> {
    fs.mkdirSync(directory, { recursive: true });
    const db: IndexDatabase = new ClassicLevel(path.join(directory, VERSION_INDEX_DIRECTORY), {
      keyEncoding: 'utf8',
      valueEncoding: 'json',
      ...LEVELDB_MEMORY,
    });
    await db.open();
    try {
      const sequence = await db.get(SEQUENCE);
      const store = new VersionStore(db, new Set(bucketNames), typeof sequence === 'number' ? sequence : 0);
      for (const bucket of bucketNames) await store.importJournal(directory, bucket, log);
      return store;
    } catch (error) {
      await db.close();
      throw error;
    }
  }

  private async importJournal(directory: string, bucket: string, log: (line: string) => void) {
    const journalPath = path.join(directory, `${bucket}.jsonl`);
    if (!fs.existsSync(journalPath)) return;
    // The journal is deleted only once imported: what the index holds of the bucket now is what an
    // import cut short left, so the import starts again from nothing.
    await this.db.clear(bucketRange(bucket));
    let imported = 0;
    let unreadable = 0;
    const lines = readline.createInterface({
      input: fs.createReadStream(journalPath, 'utf8'),
      crlfDelay: Infinity,
    });
    for await (const text of lines) {
      if (text.trim() === '') continue;
      const line = parseJournalLine(text);
      if (!line) unreadable++;
      else if ('add' in line) await this.write(() => this.put(bucket, line.add, false));
      else await this.write(() => this.delete(bucket, line.remove.key, line.remove.versionId, false));
      if (line) imported++;
    }
    // A synced write makes the unsynced ones before it durable too (LevelDB's "bulk load" advice).
    await this.db.put(SEQUENCE, this.sequence, { sync: true });
    fs.rmSync(journalPath);
    log(
      `imported ${imported} changes of bucket ${bucket} from ${journalPath} into the version index` +
        (unreadable > 0 ? ` (${unreadable} unreadable lines skipped)` : ''),
    );
  }

  isVersioned(bucket: string): boolean {
    return this.versioned.has(bucket);
  }

  private requireVersioned(bucket: string) {
    if (!this.versioned.has(bucket)) throw new Error(`bucket ${bucket} is not versioned`);
  }

  private write(change: () => Promise<void>): Promise<void> {
    const written = this.writes.then(change);
    this.writes = written.catch(() => undefined);
    return written;
  }

  private async put(bucket: string, version: ObjectVersion, sync: boolean) {
    const sequence = this.sequence + 1;
    await this.db
      .batch()
      .put(entryKey(bucket, version.key, sequence), version)
      .put(SEQUENCE, sequence)
      .write({ sync });
    this.sequence = sequence;
  }

  private async delete(bucket: string, key: string, versionId: string, sync: boolean) {
    let found: string | undefined;
    for await (const [entry, version] of this.db.iterator(keyRange(bucket, key))) {
      if ((version as ObjectVersion).versionId === versionId) {
        found = entry;
        break;
      }
    }
    if (found !== undefined) await this.db.del(found, { sync });
  }

  async current(bucket: string, key: string): Promise<ObjectVersion | undefined> {
    this.requireVersioned(bucket);
    const [newest] = await this.db.values({ ...keyRange(bucket, key), limit: 1 }).all();
    return newest as ObjectVersion | undefined;
  }

  async find(bucket: string, key: string, versionId: string): Promise<ObjectVersion | undefined> {
    this.requireVersioned(bucket);
    for await (const version of this.db.values(keyRange(bucket, key))) {
      if ((version as ObjectVersion).versionId === versionId) return version as ObjectVersion;
    }
    return undefined;
  }

  /** Makes `version` the key's current one; resolves once it is durable. */
  async add(bucket: string, version: ObjectVersion): Promise<void> {
    this.requireVersioned(bucket);
    await this.write(() => this.put(bucket, version, true));
  }

  /** Forgets a version or delete marker for good; resolves once it is durable. */
  async remove(bucket: string, key: string, versionId: string): Promise<void> {
    this.requireVersioned(bucket);
    await this.write(() => this.delete(bucket, key, versionId, true));
  }

  /** Reads the bucket's entries in order from `from`; `visit` may seek and answers false to stop. */
  private async scan(
    bucket: string,
    from: string,
    visit: (version: ObjectVersion, seek: (target: string) => void) => boolean,
  ): Promise<void> {
    const iterator = this.db.values({ gte: from, lt: bucketRange(bucket).lt });
    try {
      const seek = (target: string) => iterator.seek(target);
      for (let version = await iterator.next(); version !== undefined; version = await iterator.next()) {
        if (!visit(version as ObjectVersion, seek)) break;
      }
    } finally {
      await iterator.close();
    }
  }

  /** ListObjectVersions: keys in order, each key's versions newest first, from the markers on. */
  async listVersions(
    bucket: string,
    query: { prefix: string; delimiter: string; keyMarker: string; versionIdMarker: string; maxKeys: number },
  ): Promise<ListVersionsPage> {
    this.requireVersioned(bucket);
    const page: ListVersionsPage = { versions: [], commonPrefixes: [], isTruncated: false };
    const resumeInsideMarker = query.keyMarker !== '' && query.versionIdMarker !== '';
    const from =
      compareKeys(query.prefix, query.keyMarker) > 0
        ? atKey(bucket, query.prefix)
        : resumeInsideMarker
          ? atKey(bucket, query.keyMarker)
          : afterKey(bucket, query.keyMarker);
    let count = 0;
    let previousKey: string | undefined;
    let markerPassed = !resumeInsideMarker;
    const full = () => {
      page.isTruncated = count === query.maxKeys;
      return page.isTruncated;
    };
    await this.scan(bucket, from, (version, seek) => {
      const { key } = version;
      if (!key.startsWith(query.prefix)) return false;
      const delimiterAt = query.delimiter ? key.indexOf(query.delimiter, query.prefix.length) : -1;
      if (delimiterAt !== -1) {
        const commonPrefix = key.slice(0, delimiterAt + query.delimiter.length);
        seek(atKey(bucket, commonPrefix) + LAST_CHARACTER);
        if (commonPrefix === query.keyMarker || commonPrefix === page.commonPrefixes.at(-1)) return true;
        if (full()) return false;
        page.commonPrefixes.push(commonPrefix);
        page.nextKeyMarker = commonPrefix;
        page.nextVersionIdMarker = undefined;
        count++;
        return true;
      }
      const isLatest = key !== previousKey;
      previousKey = key;
      if (!markerPassed && key === query.keyMarker) {
        // Resuming inside the marker's key: its versions up to the marker were on earlier pages.
        markerPassed = version.versionId === query.versionIdMarker;
        return true;
      }
      if (full()) return false;
      page.versions.push({ ...version, isLatest });
      page.nextKeyMarker = key;
      page.nextVersionIdMarker = version.versionId;
      count++;
      return true;
    });
    if (!page.isTruncated) {
      page.nextKeyMarker = undefined;
      page.nextVersionIdMarker = undefined;
    }
    return page;
  }

  /** ListObjects(V2): the current versions that are not delete markers, keys after `startAfter`. */
  async listCurrent(
    bucket: string,
    query: { prefix: string; delimiter: string; startAfter: string; maxKeys: number },
  ): Promise<CurrentObjectsPage> {
    this.requireVersioned(bucket);
    const page: CurrentObjectsPage = { objects: [], commonPrefixes: [], isTruncated: false };
    const from =
      compareKeys(query.prefix, query.startAfter) > 0
        ? atKey(bucket, query.prefix)
        : afterKey(bucket, query.startAfter);
    let previousKey: string | undefined;
    await this.scan(bucket, from, (latest, seek) => {
      const { key } = latest;
      if (!key.startsWith(query.prefix)) return false;
      // Only the newest entry of a key counts; the older ones follow it.
      if (key === previousKey) return true;
      previousKey = key;
      if (latest.deleteMarker) return true;
      const delimiterAt = query.delimiter ? key.indexOf(query.delimiter, query.prefix.length) : -1;
      const commonPrefix =
        delimiterAt === -1 ? undefined : key.slice(0, delimiterAt + query.delimiter.length);
      if (commonPrefix !== undefined) {
        seek(atKey(bucket, commonPrefix) + LAST_CHARACTER);
        if (commonPrefix === page.lastReturned || compareKeys(commonPrefix, query.startAfter) <= 0)
          return true;
      }
      if (page.objects.length + page.commonPrefixes.length === query.maxKeys) {
        page.isTruncated = true;
        return false;
      }
      if (commonPrefix !== undefined) page.commonPrefixes.push(commonPrefix);
      else page.objects.push(latest);
      page.lastReturned = commonPrefix ?? key;
      return true;
    });
    return page;
  }

  /** Waits for the changes being written, then closes the database. */
  async close(): Promise<void> {
    await this.writes;
    await this.db.close();
  }
}
