/**
 * A short soak of the whole offline app (workflow v4): after a warm-up, 2,000 place-page requests
 * (each a DynamoDB Query) and 20 photos must leave the heap, measured after a full GC, within 8 MB
 * of where it was (measured: about 2 MB; with dynalite's iterator leak and every execution record
 * kept in memory, about 15 MB).
 * `npx tsx local/load/soak.ts` runs the long one (20,000 requests, 500 photos) and prints RSS too.
 */
import { join } from 'node:path';
import { soak } from '../../../local/load/soak';

jest.setTimeout(240_000);

describe('offline runtime soak', () => {
  it('keeps heap-after-GC growth under 8 MB over 2,000 place-page requests (DynamoDB Queries) and 20 photos, all answered 200 and processed', async () => {
    const report = await soak(join(__dirname, '..', '..', '..'), {
      requests: 2000,
      photos: 20,
      concurrency: 16,
      batch: 10,
      maxMinutes: 3,
      warmUpRequests: 200,
      placePageShare: 1,
    });

    expect(report.cutShort).toBe(false);
    expect(report.requests.byStatus).toEqual({ 200: 2000 });
    expect(report.photos.byStatus).toEqual({ PROCESSED: 20 });
    expect(report.after.heapUsedMb - report.before.heapUsedMb).toBeLessThan(8);
  });
});
