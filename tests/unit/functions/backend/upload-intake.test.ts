/**
 * The upload claim against a real DynamoDB implementation (dynalite), so its condition and update
 * expressions are exercised, not just their text: the ticket's PENDING record, then S3
 * notifications for the object it allowed, redelivered, replaced or misplaced.
 */
import type { AppEvent } from '#shared/events';
import type { UploadCompleteDetail } from '#shared/model';
import { type LocalTable, startLocalTable } from '../../../workflows/local-engine';

type Upload = AppEvent & { detail: UploadCompleteDetail };

let table: LocalTable;
let claimUploads: typeof import('../../../../functions/backend/upload-intake').claimUploads;
let issueUploadTicket: typeof import('../../../../functions/backend/uploads').issueUploadTicket;

beforeAll(async () => {
  table = await startLocalTable();
  // The SDK clients read the endpoint when the modules create them: import after the start.
  ({ claimUploads } = await import('../../../../functions/backend/upload-intake'));
  ({ issueUploadTicket } = await import('../../../../functions/backend/uploads'));
});

afterAll(async () => {
  await table.close();
});

const tableName = () => String(process.env.TABLE_NAME);
const now = new Date('2026-11-26T12:00:00.000Z');

async function ticket(placeId = 'ChIJ-central-park') {
  return issueUploadTicket(
    { tableName: tableName(), bucket: 'upload-bucket', maxUploadBytes: 10_485_760, ttlSeconds: 300 },
    { placeId, userId: 'user-alice' },
    now,
  );
}

function landed(
  issued: { uploadId: string; key: string },
  object: { versionId?: string; etag?: string; size?: number; placeId?: string } = {},
): Upload {
  const placeId = object.placeId ?? issued.key.split('/')[0] ?? '';
  return {
    source: 'happy-path.uploads',
    detailType: 'uploadComplete',
    detail: {
      bucket: 'upload-bucket',
      key: `${placeId}/${issued.uploadId}.jpg`,
      placeId,
      uploadId: issued.uploadId,
      size: object.size ?? 1000,
      etag: object.etag ?? 'etag-1',
      ...(object.versionId === undefined ? {} : { versionId: object.versionId }),
    },
  };
}

const record = (uploadId: string) => table.read({ pk: `UPLOAD#${uploadId}`, sk: 'UPLOAD' });

describe('upload claim', () => {
  it('gives the PENDING record of a ticket an expiry 14 days after the ticket, in epoch seconds', async () => {
    const issued = await ticket();

    expect(await record(issued.uploadId)).toMatchObject({
      status: 'PENDING',
      expiresAtEpoch: Date.parse(issued.expiresAt) / 1000 + 15 * 24 * 3600,
    });
  });

  it('claims a landed object: PROCESSING, pinned to its version, ETag and size, expiry removed', async () => {
    const issued = await ticket();

    const result = await claimUploads(tableName(), [landed(issued, { versionId: 'v1', size: 2048 })], now);

    expect(result).toEqual({
      claimed: [landed(issued, { versionId: 'v1', size: 2048 })],
      skipped: [],
      unknown: [],
    });
    const item = await record(issued.uploadId);
    expect(item).toMatchObject({
      status: 'PROCESSING',
      objectVersionId: 'v1',
      objectEtag: 'etag-1',
      objectSize: 2048,
      userId: 'user-alice',
    });
    expect(item).not.toHaveProperty('expiresAtEpoch');
  });

  it('claims the same object again when the notification is redelivered (idempotent)', async () => {
    const issued = await ticket();
    await claimUploads(tableName(), [landed(issued, { versionId: 'v1' })], now);

    const again = await claimUploads(tableName(), [landed(issued, { versionId: 'v1' })], now);

    expect(again.claimed).toHaveLength(1);
    expect(again.skipped).toEqual([]);
  });

  it('skips a second object version for the same upload and keeps the first pinned', async () => {
    const issued = await ticket();
    await claimUploads(tableName(), [landed(issued, { versionId: 'v1' })], now);

    const second = await claimUploads(
      tableName(),
      [landed(issued, { versionId: 'v2', etag: 'etag-2', size: 9 })],
      now,
    );

    expect(second).toEqual({
      claimed: [],
      skipped: [
        `upload ${issued.uploadId} is already claimed for another object (a second POST with its ticket)`,
      ],
      unknown: [],
    });
    expect(second.skipped.join()).not.toContain('user-alice');
    expect(await record(issued.uploadId)).toMatchObject({
      objectVersionId: 'v1',
      objectEtag: 'etag-1',
      objectSize: 1000,
    });
  });

  it('claims both objects of one notification only once: the first wins', async () => {
    const issued = await ticket();

    const result = await claimUploads(
      tableName(),
      [landed(issued, { versionId: 'v1' }), landed(issued, { versionId: 'v2', etag: 'etag-2' })],
      now,
    );

    expect(result.claimed.map((upload) => upload.detail.versionId)).toEqual(['v1']);
    expect(result.skipped).toHaveLength(1);
  });

  it('skips an object without a version id and leaves its upload PENDING', async () => {
    const issued = await ticket();

    const result = await claimUploads(tableName(), [landed(issued)], now);

    expect(result.claimed).toEqual([]);
    expect(result.skipped).toEqual([
      `upload ${issued.uploadId}: the notification carries no version id (is the upload bucket versioned?)`,
    ]);
    expect((await record(issued.uploadId))?.status).toBe('PENDING');
  });

  it("skips an object whose key names another place than the ticket's", async () => {
    const issued = await ticket();

    const result = await claimUploads(
      tableName(),
      [landed(issued, { versionId: 'v1', placeId: 'ChIJ-elsewhere' })],
      now,
    );

    expect(result.skipped).toEqual([
      `upload ${issued.uploadId}: the object's place is not the ticket's place`,
    ]);
    expect(await record(issued.uploadId)).toMatchObject({ status: 'PENDING' });
  });

  it('skips an upload that already ended, and lists one without a record as unknown, to be deleted', async () => {
    const issued = await ticket();
    await claimUploads(tableName(), [landed(issued, { versionId: 'v1' })], now);
    await table.put({ ...(await record(issued.uploadId)), status: 'PROCESSED' });
    const unknown = { uploadId: '0192f3a0-7b1c-7d2e-8f3a-4b5c6d7e0000', key: 'ChIJ-central-park/x.jpg' };

    const result = await claimUploads(
      tableName(),
      [landed(issued, { versionId: 'v1' }), landed(unknown, { versionId: 'v1' })],
      now,
    );

    expect(result).toEqual({
      claimed: [],
      skipped: [
        `upload ${issued.uploadId} already ended PROCESSED`,
        `upload ${unknown.uploadId} has no upload record`,
      ],
      unknown: [
        {
          source: 'happy-path.uploads',
          detailType: 'uploadUnknown',
          detail: {
            bucket: 'upload-bucket',
            key: `ChIJ-central-park/${unknown.uploadId}.jpg`,
            uploadId: unknown.uploadId,
          },
        },
      ],
    });
  });
});
