import { ListObjectVersionsCommand } from '@aws-sdk/client-s3';
import { s3 } from '#clients/s3';

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
