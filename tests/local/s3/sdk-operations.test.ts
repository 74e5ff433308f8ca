import { Readable } from 'node:stream';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import {
  BUCKET,
  bodyText,
  CREDENTIALS,
  defined,
  type Harness,
  REGION,
  startHarness,
  waitFor,
} from './local-s3-harness';

const TRICKY_KEYS = ['space name.jpg', 'plus+sign.jpg', 'unicode/été 日本.jpg', 'symbols/a(1)!~*=&.jpg'];

describe('AWS SDK operations against the local S3 endpoint', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness();
  });

  afterAll(async () => {
    await harness.close();
  });

  it('is addressed path-style by an SDK client configured through AWS_ENDPOINT_URL_S3', async () => {
    const previous = process.env.AWS_ENDPOINT_URL_S3;
    process.env.AWS_ENDPOINT_URL_S3 = harness.s3.endpoint;
    const client = new S3Client({ region: REGION, credentials: CREDENTIALS });
    const seenUrls: string[] = [];
    client.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { hostname: string; path: string };
        seenUrls.push(`${request.hostname}${request.path}`);
        return next(args);
      },
      { step: 'finalizeRequest' },
    );

    try {
      await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'env/configured.txt', Body: 'hello' }));
    } finally {
      if (previous === undefined) delete process.env.AWS_ENDPOINT_URL_S3;
      else process.env.AWS_ENDPOINT_URL_S3 = previous;
      client.destroy();
    }

    expect(seenUrls).toEqual([`127.0.0.1/${BUCKET}/env/configured.txt`]);
  });

  it.each(TRICKY_KEYS)('round-trips the key %p with its metadata and a quoted ETag', async (key) => {
    const put = await harness.client.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: key,
        Body: `body of ${key}`,
        ContentType: 'text/plain',
        Metadata: { owner: 'user-7', 'place-id': 'p-1' },
      }),
    );

    const head = await harness.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    const got = await harness.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));

    expect(put.ETag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(head.ETag).toBe(put.ETag);
    expect(head.Metadata).toEqual({ owner: 'user-7', 'place-id': 'p-1' });
    expect(head.ContentType).toBe('text/plain');
    expect(await bodyText(got)).toBe(`body of ${key}`);
  });

  it('lists tricky keys exactly as they were written', async () => {
    const listing = await harness.client.send(new ListObjectsV2Command({ Bucket: BUCKET }));

    const keys = (listing.Contents ?? []).map((object) => object.Key);

    expect(keys).toEqual(expect.arrayContaining(TRICKY_KEYS));
    expect(listing.Contents?.[0]?.ETag).toMatch(/^"[0-9a-f]{32}"$/);
  });

  it('refuses a conditional PutObject (IfNoneMatch *) over an existing object with 412 PreconditionFailed', async () => {
    const put = (body: string) =>
      harness.client.send(
        new PutObjectCommand({ Bucket: BUCKET, Key: 'reports/once.json', Body: body, IfNoneMatch: '*' }),
      );
    await put('first');

    await expect(put('second')).rejects.toMatchObject({
      name: 'PreconditionFailed',
      $metadata: { httpStatusCode: 412 },
    });
    const stored = await harness.client.send(
      new GetObjectCommand({ Bucket: BUCKET, Key: 'reports/once.json' }),
    );
    expect(await bodyText(stored)).toBe('first');
  });

  it('stores a streamed body sent with aws-chunked encoding without the chunk framing', async () => {
    const body = Readable.from([Buffer.from('first chunk, '), Buffer.from('second chunk')]);

    await harness.client.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: 'streamed.txt', Body: body, ContentLength: 25 }),
    );

    const got = await harness.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'streamed.txt' }));
    expect(await bodyText(got)).toBe('first chunk, second chunk');
  });

  it('keeps the object an aws-chunked PutObject was replacing when its client gives up mid-body, and leaves no request for the stop to wait for', async () => {
    await harness.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'given-up.bin', Body: 'before' }));
    const abort = new AbortController();
    let sent = 0;
    // 256 KB of the 1 MB announced, then the client waits and gives up.
    const body = new Readable({
      read() {
        if (sent < 256 * 1024) {
          sent += 64 * 1024;
          this.push(Buffer.alloc(64 * 1024, 7));
        } else setTimeout(() => abort.abort(), 200);
      },
    });

    await expect(
      harness.client.send(
        new PutObjectCommand({ Bucket: BUCKET, Key: 'given-up.bin', Body: body, ContentLength: 1024 * 1024 }),
        { abortSignal: abort.signal },
      ),
    ).rejects.toThrow(/abort/i);

    const kept = await harness.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'given-up.bin' }));
    expect(await bodyText(kept)).toBe('before');
    await harness.restart();
    expect(harness.logLines.filter((line) => /did not finish|internal error/.test(line))).toEqual([]);
    expect(harness.logLines).toContainEqual(
      expect.stringMatching(/PUT .*given-up\.bin\S* refused: 400 IncompleteBody/),
    );
  });

  it('stores a large body that the SDK sends with Expect: 100-continue', async () => {
    const body = Buffer.alloc(3 * 1024 * 1024, 42);

    await harness.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'large.bin', Body: body }));

    const head = await harness.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'large.bin' }));
    expect(head.ContentLength).toBe(body.length);
  });

  it('notifies ObjectCreated:Put for an SDK PutObject', async () => {
    await harness.client.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: 'events/put one.txt', Body: '12345' }),
    );

    const record = await waitFor(() => harness.records.find((r) => r.s3.object.key === 'events/put+one.txt'));

    expect(record.eventName).toBe('ObjectCreated:Put');
    expect(record.s3.object.size).toBe(5);
    expect(record.s3.object.eTag).toBe('827ccb0eea8a706c4c34a16891f84e7b');
  });

  it('notifies ObjectCreated:Copy for an SDK CopyObject', async () => {
    await harness.client.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: 'events/source.txt', Body: 'copy me' }),
    );

    await harness.client.send(
      new CopyObjectCommand({
        Bucket: BUCKET,
        Key: 'events/copied.txt',
        CopySource: `${BUCKET}/events/source.txt`,
      }),
    );

    const record = await waitFor(() => harness.records.find((r) => r.s3.object.key === 'events/copied.txt'));
    expect(record.eventName).toBe('ObjectCreated:Copy');
    expect(record.s3.object.size).toBe('copy me'.length);
  });

  it('gives later notifications greater sequencers', async () => {
    await harness.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'events/seq.txt', Body: 'a' }));
    await harness.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'events/seq.txt', Body: 'b' }));

    const records = await waitFor(() => {
      const found = harness.records.filter((r) => r.s3.object.key === 'events/seq.txt');
      return found.length === 2 ? found : undefined;
    });

    expect(defined(records[1]).s3.object.sequencer > defined(records[0]).s3.object.sequencer).toBe(true);
  });

  it('lists every current object as the single "null" version, latest, without delete markers', async () => {
    await harness.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'versions/a.txt', Body: 'a' }));
    await harness.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'versions/b c.txt', Body: 'bb' }));

    const listing = await harness.client.send(
      new ListObjectVersionsCommand({ Bucket: BUCKET, Prefix: 'versions/' }),
    );

    expect(listing.Versions?.map((v) => [v.Key, v.VersionId, v.IsLatest, v.Size])).toEqual([
      ['versions/a.txt', 'null', true, 1],
      ['versions/b c.txt', 'null', true, 2],
    ]);
    expect(listing.Versions?.[0]?.ETag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(listing.DeleteMarkers).toBeUndefined();
    expect(listing.IsTruncated).toBe(false);
  });

  it('pages through versions with MaxKeys and the next key marker', async () => {
    await harness.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'paged/1', Body: '1' }));
    await harness.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'paged/2', Body: '2' }));
    await harness.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'paged/3', Body: '3' }));

    const first = await harness.client.send(
      new ListObjectVersionsCommand({ Bucket: BUCKET, Prefix: 'paged/', MaxKeys: 2 }),
    );
    const second = await harness.client.send(
      new ListObjectVersionsCommand({
        Bucket: BUCKET,
        Prefix: 'paged/',
        MaxKeys: 2,
        KeyMarker: first.NextKeyMarker,
        VersionIdMarker: first.NextVersionIdMarker,
      }),
    );

    expect(first.IsTruncated).toBe(true);
    expect(first.Versions?.map((v) => v.Key)).toEqual(['paged/1', 'paged/2']);
    expect(second.Versions?.map((v) => v.Key)).toEqual(['paged/3']);
    expect(second.IsTruncated).toBe(false);
  });

  it('deletes the "null" versions listed by ListObjectVersions with DeleteObjects', async () => {
    await harness.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'purge/x.txt', Body: 'x' }));
    await harness.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'purge/y é.txt', Body: 'y' }));
    const listing = await harness.client.send(
      new ListObjectVersionsCommand({ Bucket: BUCKET, Prefix: 'purge/' }),
    );

    const result = await harness.client.send(
      new DeleteObjectsCommand({
        Bucket: BUCKET,
        Delete: { Objects: (listing.Versions ?? []).map((v) => ({ Key: v.Key, VersionId: v.VersionId })) },
      }),
    );

    expect(result.Deleted?.map((d) => [d.Key, d.VersionId])).toEqual([
      ['purge/x.txt', 'null'],
      ['purge/y é.txt', 'null'],
    ]);
    expect(result.Errors).toBeUndefined();
    const after = await harness.client.send(
      new ListObjectVersionsCommand({ Bucket: BUCKET, Prefix: 'purge/' }),
    );
    expect(after.Versions).toBeUndefined();
  });

  it('reports an unknown version in DeleteObjects as NoSuchVersion and keeps the object', async () => {
    await harness.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'keep/z.txt', Body: 'z' }));

    const result = await harness.client.send(
      new DeleteObjectsCommand({
        Bucket: BUCKET,
        Delete: { Objects: [{ Key: 'keep/z.txt', VersionId: 'v-123' }] },
      }),
    );

    expect(result.Errors?.[0]).toMatchObject({ Key: 'keep/z.txt', Code: 'NoSuchVersion' });
    await expect(
      harness.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'keep/z.txt' })),
    ).resolves.toBeDefined();
  });

  it('reads and deletes a single object by its "null" version id', async () => {
    await harness.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'single/v.txt', Body: 'v' }));

    const got = await harness.client.send(
      new GetObjectCommand({ Bucket: BUCKET, Key: 'single/v.txt', VersionId: 'null' }),
    );
    await harness.client.send(
      new DeleteObjectCommand({ Bucket: BUCKET, Key: 'single/v.txt', VersionId: 'null' }),
    );

    expect(await bodyText(got)).toBe('v');
    await expect(
      harness.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'single/v.txt' })),
    ).rejects.toMatchObject({
      name: 'NotFound',
    });
  });

  it('keeps objects and their metadata across a restart on the same data directory', async () => {
    await harness.client.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: 'durable/kept.txt',
        Body: 'kept',
        Metadata: { owner: 'user-9' },
      }),
    );

    await harness.restart();

    const head = await harness.client.send(
      new HeadObjectCommand({ Bucket: BUCKET, Key: 'durable/kept.txt' }),
    );
    const got = await harness.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'durable/kept.txt' }));
    expect(head.Metadata).toEqual({ owner: 'user-9' });
    expect(await bodyText(got)).toBe('kept');
  });
});
