import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type ObjectVersion, VERSION_INDEX_DIRECTORY, VersionStore } from '../../../local/s3/version-store';

const BUCKET = 'photos';
const OTHER_BUCKET = 'photos-archive';

let sequence = 0;
function version(key: string, deleteMarker = false): ObjectVersion {
  sequence++;
  return {
    key,
    versionId: `v${sequence}`.padEnd(32, '0'),
    deleteMarker,
    lastModified: new Date(Date.UTC(2026, 11, 6, 12, 0, sequence)).toISOString(),
    ...(deleteMarker ? {} : { eTag: `"etag-${sequence}"`, size: sequence }),
  };
}

const everyVersion = { prefix: '', delimiter: '', keyMarker: '', versionIdMarker: '', maxKeys: 1000 };
const everyObject = { prefix: '', delimiter: '', startAfter: '', maxKeys: 1000 };

describe('the local S3 version index on disk', () => {
  let directory: string;
  let store: VersionStore | undefined;

  beforeEach(() => {
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'version-store-'));
  });

  afterEach(async () => {
    await store?.close();
    store = undefined;
    fs.rmSync(directory, { recursive: true, force: true });
  });

  const open = async () => {
    store = await VersionStore.open(directory, [BUCKET, OTHER_BUCKET]);
    return store;
  };

  it('keeps every version and delete marker, newest first, after a close and a reopen', async () => {
    const first = version('a.jpg');
    const second = version('a.jpg');
    const marker = version('a.jpg', true);
    const other = version('b.jpg');
    const elsewhere = version('a.jpg');
    const before = await open();
    for (const added of [first, second, marker, other]) await before.add(BUCKET, added);
    await before.add(OTHER_BUCKET, elsewhere);
    await before.remove(BUCKET, 'a.jpg', second.versionId);
    await before.close();

    const after = await open();
    const listed = await after.listVersions(BUCKET, everyVersion);

    expect(listed.versions.map((entry) => [entry.key, entry.versionId, entry.isLatest])).toEqual([
      ['a.jpg', marker.versionId, true],
      ['a.jpg', first.versionId, false],
      ['b.jpg', other.versionId, true],
    ]);
    expect(await after.current(BUCKET, 'a.jpg')).toEqual(marker);
    expect(await after.find(BUCKET, 'a.jpg', first.versionId)).toEqual(first);
    expect(await after.find(BUCKET, 'a.jpg', second.versionId)).toBeUndefined();
    expect((await after.listCurrent(OTHER_BUCKET, everyObject)).objects).toEqual([elsewhere]);
  });

  it('continues the newest-first order after a reopen: a version added then is the current one', async () => {
    const before = await open();
    await before.add(BUCKET, version('a.jpg'));
    await before.close();
    const later = version('a.jpg');

    const after = await open();
    await after.add(BUCKET, later);

    expect(await after.current(BUCKET, 'a.jpg')).toEqual(later);
  });

  it('finishes a change in flight before closing, so that the next open has it', async () => {
    const added = version('in-flight.jpg');
    const before = await open();

    const adding = before.add(BUCKET, added);
    await before.close();
    await adding;
    const after = await open();

    expect(await after.current(BUCKET, 'in-flight.jpg')).toEqual(added);
  });

  it('imports a bucket journal of the earlier format, skipping its torn last line, then deletes it', async () => {
    const kept = version('kept.jpg');
    const removed = version('kept.jpg');
    const marker = version('gone.jpg', true);
    const journal = path.join(directory, `${BUCKET}.jsonl`);
    const changes = [
      { add: kept },
      { add: removed },
      { add: marker },
      { remove: { key: 'kept.jpg', versionId: removed.versionId } },
    ];
    const tornLine = '{"add":{"key":"torn.jpg","versio';
    fs.writeFileSync(journal, `${changes.map((line) => `${JSON.stringify(line)}\n`).join('')}${tornLine}`);

    const imported = await open();

    expect((await imported.listVersions(BUCKET, everyVersion)).versions).toEqual([
      { ...marker, isLatest: true },
      { ...kept, isLatest: true },
    ]);
    expect(fs.existsSync(journal)).toBe(false);
    expect(fs.existsSync(path.join(directory, VERSION_INDEX_DIRECTORY))).toBe(true);
  });

  it('imports a journal again without duplicates when a kill left it behind after an import', async () => {
    const lines = [{ add: version('photo.jpg') }, { add: version('photo.jpg') }];
    const text = lines.map((line) => `${JSON.stringify(line)}\n`).join('');
    const journal = path.join(directory, `${BUCKET}.jsonl`);
    fs.writeFileSync(journal, text);
    await (await open()).close();
    fs.writeFileSync(journal, text); // as if the kill came between the import and the delete

    const reimported = await open();

    expect(
      (await reimported.listVersions(BUCKET, everyVersion)).versions.map((entry) => entry.versionId),
    ).toEqual([lines[1]?.add.versionId, lines[0]?.add.versionId]);
  });

  it('lists keys in UTF-8 byte order, as S3 does, keeping a key apart from longer keys with NUL or U+0001', async () => {
    // UTF-16 puts the emoji (a surrogate pair, D83D…) before U+FFFD; UTF-8 (F0… after EF…) after it.
    const keys = ['a', 'a\u0000', 'a\u0000\u0001', 'a\u0001', 'ab', '\uFFFD.jpg', '😀.jpg'];
    const index = await open();
    for (const key of [...keys].reverse()) await index.add(BUCKET, version(key));
    const newestOfA = version('a');
    await index.add(BUCKET, newestOfA);

    const listed = await index.listCurrent(BUCKET, everyObject);

    expect(listed.objects.map((object) => object.key)).toEqual(keys);
    expect(await index.current(BUCKET, 'a')).toEqual(newestOfA);
    expect((await index.listVersions(BUCKET, { ...everyVersion, prefix: 'a' })).versions).toHaveLength(6);
  });

  it('pages ListObjects over common prefixes that hold many keys, resuming after the last one returned', async () => {
    const index = await open();
    for (const key of ['2026/01/a.jpg', '2026/01/b.jpg', '2026/02/c.jpg', '2027/01/d.jpg', 'top.jpg']) {
      await index.add(BUCKET, version(key));
    }
    await index.add(BUCKET, version('2027/01/d.jpg', true));

    const first = await index.listCurrent(BUCKET, { ...everyObject, delimiter: '/', maxKeys: 1 });
    const rest = await index.listCurrent(BUCKET, {
      ...everyObject,
      delimiter: '/',
      startAfter: first.lastReturned ?? '',
    });

    expect([first.commonPrefixes, first.isTruncated]).toEqual([['2026/'], true]);
    expect([rest.commonPrefixes, rest.objects.map((object) => object.key), rest.isTruncated]).toEqual([
      [],
      ['top.jpg'],
      false,
    ]);
  });
});
