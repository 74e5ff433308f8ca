import { Readable } from 'node:stream';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  GetObjectCommand,
  ListObjectVersionsCommand,
  type ListObjectVersionsCommandInput,
  NoSuchKey,
  PutObjectCommand,
  type PutObjectCommandInput,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import sharp from 'sharp';
import { handler as issueTicket } from '../../../../functions/backend/create-upload-ticket';
import {
  buildReport,
  createPurgeReport,
  parseReport,
  readApprovedReport,
  serializeReport,
  sha256Hex,
  storeReport,
} from '../../../../functions/gdpr/erasure-report';
import { handler as publish } from '../../../../functions/workflow/publish';
import { handler as resize } from '../../../../functions/workflow/resize';
import { apiFixture } from '../../../helpers/fixtures';
import { REPORT_BUCKETS as buckets, NOW, PLACE as PARK, REPORT_KEY, REQUEST_ID } from '../gdpr/setup';

const s3 = mockClient(S3Client);
const dynamo = mockClient(DynamoDBDocumentClient);

const settings = { ...buckets, tableName: 'app-table', reportsBucket: 'reports-bucket' };
const CAFE = 'ChIJ-blue-bottle-cafe';
const id = (n: number) => `0192f3a0-7b1c-7d2e-8f3a-4b5c6d7e8f${String(n).padStart(2, '0')}`;

type Item = Record<string, unknown>;

const upload = (n: number, userId: string, status: string, placeId = PARK): Item => ({
  pk: `UPLOAD#${id(n)}`,
  sk: 'UPLOAD',
  entity: 'upload',
  uploadId: id(n),
  placeId,
  userId,
  status,
  bucket: 'upload-bucket',
  objectKey: `${placeId}/${id(n)}.jpg`,
  createdAt: '2026-11-20T10:00:00.000Z',
  ...(status === 'PROCESSED'
    ? { images: { tileKey: `tiles/${placeId}/${id(n)}.jpg`, scaledKey: `photos/${placeId}/${id(n)}.jpg` } }
    : {}),
});
const photo = (n: number, userId: string, placeId = PARK): Item => ({
  pk: `PLACE#${placeId}`,
  sk: `PHOTO#${id(n)}`,
  entity: 'photo',
  uploadId: id(n),
  placeId,
  userId,
  tileKey: `tiles/${placeId}/${id(n)}.jpg`,
  scaledKey: `photos/${placeId}/${id(n)}.jpg`,
  createdAt: '2026-11-20T10:01:00.000Z',
});

// ------------------------------------------------------------------ in-memory table and reports bucket

let table: Item[];
/** Object versions in the upload and distribution buckets, as ListObjectVersions lists them. */
let stored: Array<{ bucket: string; key: string; versionId: string }>;
let requestItem: Item | undefined;
let reports: Map<string, Buffer>;
const PAGE_SIZE = 2;

/** Answers ByUser queries from `table`, PAGE_SIZE items a page, like the sparse index would. */
function queryIndex(input: QueryCommandInput) {
  const userId = input.ExpressionAttributeValues?.[':userId'];
  const entries = table.filter((item) => item.userId === userId);
  const after = input.ExclusiveStartKey;
  const start = after ? entries.findIndex((item) => item.pk === after.pk && item.sk === after.sk) + 1 : 0;
  const page = entries.slice(start, start + PAGE_SIZE);
  const last = page[page.length - 1];
  const more = start + PAGE_SIZE < entries.length;
  return {
    Items: structuredClone(page),
    ...(more && last ? { LastEvaluatedKey: { pk: last.pk, sk: last.sk, userId } } : {}),
  };
}

function listVersions(input: ListObjectVersionsCommandInput) {
  const versions = stored
    .filter((object) => object.bucket === input.Bucket && object.key.startsWith(String(input.Prefix)))
    .map((object) => ({ Key: object.key, VersionId: object.versionId }));
  return { Versions: versions, IsTruncated: false };
}

/** `count` versions of `key` in `bucket`. */
function store(bucket: string, key: string, count = 1) {
  for (let n = 1; n <= count; n++) stored.push({ bucket, key, versionId: `v${n}` });
}

const present = () => 1;

const preconditionFailed = () =>
  new S3ServiceException({
    name: 'PreconditionFailed',
    $fault: 'client',
    $metadata: { httpStatusCode: 412 },
    message: 'At least one of the pre-conditions you specified did not hold',
  });

function putReport(input: PutObjectCommandInput) {
  const key = String(input.Key);
  if (input.IfNoneMatch === '*' && reports.has(key)) throw preconditionFailed();
  reports.set(key, Buffer.from(String(input.Body)));
  return { ETag: '"etag"' };
}

function getReport(input: { Key?: string }) {
  const bytes = reports.get(String(input.Key));
  if (!bytes) throw new NoSuchKey({ message: 'The specified key does not exist.', $metadata: {} });
  return { Body: Readable.from([bytes]) as never };
}

beforeEach(() => {
  table = [];
  stored = [];
  reports = new Map();
  requestItem = {
    pk: `ERASURE#${REQUEST_ID}`,
    sk: 'ERASURE',
    requestId: REQUEST_ID,
    requesterId: 'user-alice',
    status: 'REQUESTED',
  };
  s3.reset();
  s3.on(PutObjectCommand).callsFake(putReport);
  s3.on(GetObjectCommand).callsFake(getReport);
  s3.on(ListObjectVersionsCommand).callsFake(listVersions);
  dynamo.reset();
  dynamo.on(QueryCommand).callsFake(queryIndex);
  dynamo.on(GetCommand).callsFake(() => ({ Item: requestItem }));
  dynamo.on(UpdateCommand).resolves({});
});

const storedReport = () => parseReport(reports.get(REPORT_KEY)?.toString('utf8') ?? '');

describe('purge report contents', () => {
  it('lists and counts only the objects the listings find, every version included, then the records', async () => {
    table = [
      upload(1, 'user-alice', 'PROCESSED'),
      photo(1, 'user-alice'),
      upload(2, 'user-alice', 'REJECTED'),
      upload(3, 'user-alice', 'FAILED', CAFE),
    ];
    store('upload-bucket', `${PARK}/${id(1)}.jpg`, 2);
    store('distribution-bucket', `tiles/${PARK}/${id(1)}.jpg`);
    store('distribution-bucket', `photos/${PARK}/${id(1)}.jpg`);
    store('upload-bucket', `${PARK}/${id(2)}.jpg`);
    store('upload-bucket', `${CAFE}/${id(3)}.jpg`);
    // The failed execution wrote the tile before it failed; the rejected upload has no copies.
    store('distribution-bucket', `tiles/${CAFE}/${id(3)}.jpg`, 3);

    const summary = await createPurgeReport(settings, REQUEST_ID, NOW);

    const report = storedReport();
    expect(report?.objects).toEqual([
      { bucket: 'upload-bucket', key: `${CAFE}/${id(3)}.jpg`, kind: 'original', versions: 1 },
      { bucket: 'upload-bucket', key: `${PARK}/${id(1)}.jpg`, kind: 'original', versions: 2 },
      { bucket: 'upload-bucket', key: `${PARK}/${id(2)}.jpg`, kind: 'original', versions: 1 },
      { bucket: 'distribution-bucket', key: `tiles/${CAFE}/${id(3)}.jpg`, kind: 'tile', versions: 3 },
      { bucket: 'distribution-bucket', key: `tiles/${PARK}/${id(1)}.jpg`, kind: 'tile', versions: 1 },
      { bucket: 'distribution-bucket', key: `photos/${PARK}/${id(1)}.jpg`, kind: 'scaled', versions: 1 },
    ]);
    expect(report?.records).toEqual([
      { pk: `UPLOAD#${id(1)}`, sk: 'UPLOAD', kind: 'upload-record' },
      { pk: `UPLOAD#${id(2)}`, sk: 'UPLOAD', kind: 'upload-record' },
      { pk: `UPLOAD#${id(3)}`, sk: 'UPLOAD', kind: 'upload-record' },
      { pk: `PLACE#${PARK}`, sk: `PHOTO#${id(1)}`, kind: 'photo-record' },
    ]);
    expect(summary).toEqual({
      reportKey: REPORT_KEY,
      reportSha256: sha256Hex(reports.get(REPORT_KEY) ?? ''),
      counts: {
        original: 3,
        tile: 2,
        scaled: 1,
        'object-version': 9,
        'upload-record': 3,
        'photo-record': 1,
      },
      total: 10,
      written: true,
    });
    expect(s3).toHaveReceivedCommandWith(ListObjectVersionsCommand, {
      Bucket: 'distribution-bucket',
      Prefix: `photos/${CAFE}/${id(3)}.jpg`,
    });
  });

  it('counts nothing of a candidate key the listing finds empty', async () => {
    table = [upload(1, 'user-alice', 'PROCESSED'), photo(1, 'user-alice')];

    const summary = await createPurgeReport(settings, REQUEST_ID, NOW);

    expect(storedReport()?.objects).toEqual([]);
    expect(summary.counts).toMatchObject({ original: 0, tile: 0, scaled: 0, 'object-version': 0 });
    expect(summary.total).toBe(2);
  });

  it('keeps the keys of an upload in progress, absent or not, and the photo record it may still write, counted apart', async () => {
    table = [upload(5, 'user-alice', 'PENDING')];

    const summary = await createPurgeReport(settings, REQUEST_ID, NOW);

    const report = storedReport();
    expect(report?.objects.map((object) => [object.kind, object.versions])).toEqual([
      ['original', 0],
      ['tile', 0],
      ['scaled', 0],
    ]);
    expect(report?.records).toEqual([
      { pk: `UPLOAD#${id(5)}`, sk: 'UPLOAD', kind: 'upload-record' },
      { pk: `PLACE#${PARK}`, sk: `PHOTO#${id(5)}`, kind: 'photo-record', pending: true },
    ]);
    expect(summary.counts).toEqual({
      original: 0,
      tile: 0,
      scaled: 0,
      'object-version': 0,
      'upload-record': 1,
      'photo-record': 0,
      'upload-in-progress': 1,
    });
    expect(summary.total).toBe(1);
  });

  it('finds the user through every page of the ByUser index and never lists another user', async () => {
    table = [
      upload(1, 'user-alice', 'PROCESSED'),
      upload(4, 'user-bob', 'PROCESSED'),
      photo(4, 'user-bob'),
      photo(1, 'user-alice'),
      upload(2, 'user-alice', 'REJECTED'),
      upload(5, 'user-alice', 'PENDING'),
      upload(6, 'user-alice', 'PROCESSING'),
    ];

    const summary = await createPurgeReport(settings, REQUEST_ID, NOW);

    expect(dynamo).toHaveReceivedCommandTimes(QueryCommand, 3);
    expect(dynamo).toHaveReceivedCommandWith(QueryCommand, {
      TableName: 'app-table',
      IndexName: 'ByUser',
      ExpressionAttributeValues: { ':userId': 'user-alice' },
    });
    expect(dynamo).not.toHaveReceivedCommandWith(QueryCommand, {
      ExpressionAttributeValues: { ':userId': 'user-bob' },
    });
    expect(summary.counts['upload-record']).toBe(4);
    expect(summary.counts['photo-record']).toBe(1);
    const text = reports.get(REPORT_KEY)?.toString('utf8') ?? '';
    expect(text).not.toContain(id(4));
    expect(text).not.toContain('user-alice');
  });

  it('lists items of other entity types that carry the user id as other records', () => {
    const report = buildReport(
      REQUEST_ID,
      [
        upload(1, 'user-alice', 'REJECTED'),
        { pk: 'REVIEW#r-1', sk: 'REVIEW', entity: 'review', userId: 'x' },
      ],
      buckets,
      present,
      NOW,
    );

    expect(report.records).toContainEqual({ pk: 'REVIEW#r-1', sk: 'REVIEW', kind: 'other-record' });
    expect(report.counts['other-record']).toBe(1);
    expect(report.total).toBe(5);
  });

  it('lists a photo without its upload record with its original and copies, and each object once', () => {
    const photoOnly = buildReport(REQUEST_ID, [photo(1, 'user-alice')], buckets, present);
    const both = buildReport(
      REQUEST_ID,
      [photo(1, 'user-alice'), upload(1, 'user-alice', 'PROCESSED')],
      buckets,
      present,
    );

    expect(photoOnly.objects.map((object) => object.kind)).toEqual(['original', 'tile', 'scaled']);
    expect(both.objects).toEqual(photoOnly.objects);
    expect(both.records).toHaveLength(2);
  });

  it('still writes an empty report when the user has nothing', async () => {
    const summary = await createPurgeReport(settings, REQUEST_ID, NOW);

    expect(summary).toMatchObject({ total: 0, written: true });
    expect(storedReport()).toMatchObject({ requestId: REQUEST_ID, objects: [], records: [], total: 0 });
  });
});

describe('objects written by the image workflows', () => {
  let jpeg: Buffer;

  beforeAll(async () => {
    jpeg = await sharp({ create: { width: 800, height: 600, channels: 3, background: '#4a7a3a' } })
      .jpeg()
      .toBuffer();
  });

  it('finds every object and item an upload ticket, Resize and Publish write, also when the execution failed after Resize', async () => {
    const written: Array<{ bucket: string; key: string }> = [];
    s3.on(PutObjectCommand).callsFake((input: PutObjectCommandInput) => {
      if (input.Bucket === 'reports-bucket') return putReport(input);
      written.push({ bucket: String(input.Bucket), key: String(input.Key) });
      store(String(input.Bucket), String(input.Key));
      return {};
    });
    s3.on(GetObjectCommand).callsFake((input: { Bucket?: string; Key?: string }) =>
      input.Bucket === 'reports-bucket' ? getReport(input) : { Body: Readable.from([jpeg]) as never },
    );
    dynamo
      .on(GetCommand)
      .callsFake((input: { Key?: Item }) =>
        input.Key?.pk === `ERASURE#${REQUEST_ID}`
          ? { Item: requestItem }
          : String(input.Key?.pk).startsWith('UPLOAD_HOLD#')
            ? {}
            : { Item: { placeId: PARK, type: 'park' } },
      );
    dynamo.on(PutCommand).callsFake((input: { Item: Item }) => {
      table.push(input.Item);
      return {};
    });
    dynamo.on(UpdateCommand).callsFake((input: { Key?: Item; ExpressionAttributeValues?: Item }) => {
      const item = table.find((entry) => entry.pk === input.Key?.pk && entry.sk === input.Key?.sk);
      if (item)
        Object.assign(item, { status: 'PROCESSED', images: input.ExpressionAttributeValues?.[':images'] });
      return { Attributes: structuredClone(item) };
    });

    // Two uploads through real tickets (the client's POST writes the original at the ticket's key) …
    const tickets = [];
    for (let n = 0; n < 2; n++) {
      const response = await issueTicket(apiFixture('backend/create-upload-ticket.json'));
      const ticket = JSON.parse(String(response.body)) as { uploadId: string; key: string };
      written.push({ bucket: 'upload-bucket', key: ticket.key });
      store('upload-bucket', ticket.key);
      tickets.push(ticket);
    }
    // … both resized by the workflow; only the first one is published (the second execution failed after Resize).
    const refs = tickets.map((ticket) => ({
      bucket: 'upload-bucket',
      key: ticket.key,
      placeId: PARK,
      uploadId: ticket.uploadId,
      size: jpeg.length,
      etag: 'etag',
    }));
    const images = await Promise.all(refs.map((ref) => resize({ upload: ref })));
    await publish({ upload: refs[0], images: images[0], executionId: 'arn:aws:states:execution:v4:run-1' });

    await createPurgeReport(settings, REQUEST_ID, NOW);

    const report = storedReport();
    expect(written).toHaveLength(6);
    for (const object of written)
      expect(report?.objects).toContainEqual(
        expect.objectContaining({ bucket: object.bucket, key: object.key }),
      );
    const existing = report?.records.filter((record) => !record.pending) ?? [];
    expect(existing.map((record) => `${record.pk} ${record.sk}`).sort()).toEqual(
      table.map((item) => `${item.pk} ${item.sk}`).sort(),
    );
    expect(existing.map((record) => record.kind).sort()).toEqual([
      'photo-record',
      'upload-record',
      'upload-record',
    ]);
    // The upload its workflow never finished is still PENDING: the photo record it may write is purged too.
    expect(report?.records.filter((record) => record.pending)).toEqual([
      { pk: `PLACE#${PARK}`, sk: `PHOTO#${tickets[1]?.uploadId}`, kind: 'photo-record', pending: true },
    ]);
  });
});

describe('report bytes and storage', () => {
  it('serialises the same data to the same bytes whatever order the index returns it in', () => {
    const items = [upload(1, 'u', 'PROCESSED'), photo(1, 'u'), upload(2, 'u', 'FAILED', CAFE)];

    const first = serializeReport(buildReport(REQUEST_ID, items, buckets, present, NOW));
    const second = serializeReport(buildReport(REQUEST_ID, [...items].reverse(), buckets, present, NOW));

    expect(second).toBe(first);
    expect(sha256Hex(second)).toBe(sha256Hex(first));
    expect(Object.keys(JSON.parse(first))).toEqual([
      'version',
      'requestId',
      'createdAt',
      'counts',
      'total',
      'objects',
      'records',
    ]);
  });

  it('writes the report only if none exists, as JSON, at the request key', async () => {
    await storeReport('reports-bucket', buildReport(REQUEST_ID, [], buckets, present, NOW));

    expect(s3).toHaveReceivedCommandWith(PutObjectCommand, {
      Bucket: 'reports-bucket',
      Key: REPORT_KEY,
      IfNoneMatch: '*',
      ContentType: 'application/json',
    });
  });

  it('never overwrites a stored report: a retried build reads it back and uses its hash and counts', async () => {
    table = [upload(1, 'user-alice', 'PROCESSED')];
    const first = await createPurgeReport(settings, REQUEST_ID, NOW);
    const original = reports.get(REPORT_KEY);
    table.push(upload(2, 'user-alice', 'REJECTED'));

    const retried = await createPurgeReport(settings, REQUEST_ID, new Date('2026-11-26T12:05:00.000Z'));

    expect(reports.get(REPORT_KEY)).toEqual(original);
    expect(retried).toEqual({ ...first, written: false });
    const updates = dynamo.commandCalls(UpdateCommand).map((call) => call.args[0].input);
    expect(updates.map((input) => input.ExpressionAttributeValues?.[':sha'])).toEqual([
      first.reportSha256,
      first.reportSha256,
    ]);
  });

  it('refuses a stored report at the key that is not a valid report for the request', async () => {
    reports.set(REPORT_KEY, Buffer.from('{"version":1,"requestId":"someone-else"}'));

    await expect(createPurgeReport(settings, REQUEST_ID, NOW)).rejects.toMatchObject({
      name: 'ReportTamperedError',
    });
  });
});

describe('the request record', () => {
  it('records the report key, hash and counts on the request while it is open', async () => {
    table = [upload(1, 'user-alice', 'REJECTED')];

    const summary = await createPurgeReport(settings, REQUEST_ID, NOW);

    expect(dynamo).toHaveReceivedCommandWith(GetCommand, {
      TableName: 'app-table',
      Key: { pk: `ERASURE#${REQUEST_ID}`, sk: 'ERASURE' },
      ConsistentRead: true,
    });
    expect(dynamo).toHaveReceivedCommandWith(UpdateCommand, {
      TableName: 'app-table',
      Key: { pk: `ERASURE#${REQUEST_ID}`, sk: 'ERASURE' },
      ConditionExpression: expect.stringContaining('NOT #status IN'),
      ExpressionAttributeValues: expect.objectContaining({
        ':key': REPORT_KEY,
        ':sha': summary.reportSha256,
        ':counts': summary.counts,
        ':t0': 'COMPLETED',
      }),
    });
  });

  it('fails with ErasureRequestClosedError when the request closed meanwhile', async () => {
    dynamo
      .on(UpdateCommand)
      .rejects(
        new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }),
      );

    await expect(createPurgeReport(settings, REQUEST_ID, NOW)).rejects.toMatchObject({
      name: 'ErasureRequestClosedError',
    });
  });

  it('fails with ErasureRequestNotFoundError for a missing request or one without a requester', async () => {
    requestItem = undefined;
    await expect(createPurgeReport(settings, REQUEST_ID)).rejects.toMatchObject({
      name: 'ErasureRequestNotFoundError',
    });

    requestItem = { pk: `ERASURE#${REQUEST_ID}`, sk: 'ERASURE', status: 'COMPLETED' };
    await expect(createPurgeReport(settings, REQUEST_ID)).rejects.toMatchObject({
      name: 'ErasureRequestNotFoundError',
    });
    expect(dynamo).not.toHaveReceivedCommand(QueryCommand);
    expect(s3).not.toHaveReceivedCommand(PutObjectCommand);
  });
});

describe('reading the approved report', () => {
  async function stored() {
    table = [upload(1, 'user-alice', 'PROCESSED')];
    store('upload-bucket', `${PARK}/${id(1)}.jpg`);
    store('distribution-bucket', `tiles/${PARK}/${id(1)}.jpg`);
    store('distribution-bucket', `photos/${PARK}/${id(1)}.jpg`);
    return createPurgeReport(settings, REQUEST_ID, NOW);
  }

  it('returns the report when its hash is the approved one', async () => {
    const { reportSha256 } = await stored();

    const report = await readApprovedReport('reports-bucket', {
      requestId: REQUEST_ID,
      reportKey: REPORT_KEY,
      approvedSha256: reportSha256,
    });

    expect(report.objects).toHaveLength(3);
  });

  it('refuses a report changed after approval', async () => {
    const { reportSha256 } = await stored();
    const text = reports.get(REPORT_KEY)?.toString('utf8') ?? '';
    reports.set(REPORT_KEY, Buffer.from(text.replace(`${PARK}/${id(1)}.jpg`, `${PARK}/${id(9)}.jpg`)));

    await expect(
      readApprovedReport('reports-bucket', {
        requestId: REQUEST_ID,
        reportKey: REPORT_KEY,
        approvedSha256: reportSha256,
      }),
    ).rejects.toMatchObject({ name: 'ReportTamperedError' });
  });

  it("refuses another request's report, even with a matching hash", async () => {
    const other = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';
    const bytes = serializeReport(buildReport(other, [], buckets, present, NOW));
    reports.set(REPORT_KEY, Buffer.from(bytes));

    await expect(
      readApprovedReport('reports-bucket', {
        requestId: REQUEST_ID,
        reportKey: REPORT_KEY,
        approvedSha256: sha256Hex(bytes),
      }),
    ).rejects.toMatchObject({ name: 'ReportTamperedError' });
    await expect(
      readApprovedReport('reports-bucket', {
        requestId: REQUEST_ID,
        reportKey: `reports/${other}/report.json`,
        approvedSha256: sha256Hex(bytes),
      }),
    ).rejects.toMatchObject({ name: 'ReportTamperedError' });
  });

  it('fails with ReportNotFoundError when the report is gone', async () => {
    await expect(
      readApprovedReport('reports-bucket', {
        requestId: REQUEST_ID,
        reportKey: REPORT_KEY,
        approvedSha256: 'a'.repeat(64),
      }),
    ).rejects.toMatchObject({ name: 'ReportNotFoundError' });
  });
});
