import { ListObjectVersionsCommand } from '@aws-sdk/client-s3';
import { s3 } from '#clients/s3';

/** Listing what exists of an object, for the report, the purge and its verification. */

/** Runs `task` over `items` with at most `limit` in flight; results in input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * Every version and delete marker of exactly `key` (ListObjectVersions with the key as prefix,
 * other keys sharing the prefix ignored), all pages.
 */
export async function listObjectVersions(bucket: string, key: string): Promise<string[]> {
  const versionIds: string[] = [];
  let keyMarker: string | undefined;
  let versionIdMarker: string | undefined;
  for (;;) {
    const page = await s3.send(
      new ListObjectVersionsCommand({
        Bucket: bucket,
        Prefix: key,
        ...(keyMarker !== undefined ? { KeyMarker: keyMarker } : {}),
        ...(versionIdMarker !== undefined ? { VersionIdMarker: versionIdMarker } : {}),
      }),
    );
    for (const entry of [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])])
      if (entry.Key === key && entry.VersionId) versionIds.push(entry.VersionId);
    // Keys come in order: once the listing has moved past `key`, no later page holds it.
    if (!page.IsTruncated || page.NextKeyMarker !== key) return versionIds;
    keyMarker = page.NextKeyMarker;
    versionIdMarker = page.NextVersionIdMarker;
  }
}
