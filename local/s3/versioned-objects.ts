/**
 * Object operations on versioned buckets, as S3 answers them: which version a read or a copy
 * addresses, what a delete does (a delete marker, or a version removed for good), and the data
 * of each version kept as its own s3rver object.
 */
import type S3rver from 's3rver';
import { invalidArgument, S3RequestError } from './errors';
import { encodeObjectPath } from './s3-request';
import {
  isWellFormedVersionId,
  newVersionId,
  type ObjectVersion,
  VERSION_BLOB_BUCKET,
  type VersionStore,
  versionBlobKey,
} from './version-store';
import type { DeleteOutcome } from './versions';

export const invalidVersionId = (versionId: string) =>
  invalidArgument('Invalid version id specified', { ArgumentName: 'versionId', ArgumentValue: versionId });

const noSuchKey = (key: string, headers: Record<string, string> = {}) =>
  new S3RequestError('NoSuchKey', 404, 'The specified key does not exist.', { Key: key }, headers);

const noSuchVersion = (key: string, versionId: string) =>
  new S3RequestError('NoSuchVersion', 404, 'The specified version does not exist.', {
    Key: key,
    VersionId: versionId,
  });

/** The encoded s3rver path of a version's data. */
export function versionDataPath(bucket: string, versionId: string): string {
  return encodeObjectPath(VERSION_BLOB_BUCKET, versionBlobKey(bucket, versionId));
}

export interface VersionedObjects {
  /**
   * The version a GET or HEAD reads: the given one, or the current one. A delete marker answers
   * 404 NoSuchKey when current and 405 MethodNotAllowed when asked for by id, both with
   * `x-amz-delete-marker: true`.
   */
  versionToRead(
    bucket: string,
    key: string,
    versionId: string | undefined,
    method: string,
  ): Promise<ObjectVersion>;
  /** Records the version just stored at `versionDataPath(bucket, versionId)` as the key's current one. */
  recordStored(bucket: string, key: string, versionId: string): Promise<ObjectVersion>;
  /** DeleteObject: a new delete marker without a version id; the version removed for good with one. */
  deleteObject(bucket: string, key: string, versionId: string | undefined): Promise<DeleteResult>;
}

export interface DeleteResult {
  /** The new delete marker's id, or the version asked for. */
  versionId: string;
  /** The new version or the removed one is a delete marker. */
  deleteMarker: boolean;
  markerCreated: boolean;
  /** A version (or marker) was removed for good. */
  versionRemoved: boolean;
}

export function versionedObjects(versions: VersionStore, store: S3rver.S3rverStore): VersionedObjects {
  return {
    async versionToRead(bucket, key, versionId, method) {
      if (versionId === undefined) {
        const current = await versions.current(bucket, key);
        if (!current) throw noSuchKey(key);
        if (current.deleteMarker) {
          throw noSuchKey(key, { 'x-amz-delete-marker': 'true', 'x-amz-version-id': current.versionId });
        }
        return current;
      }
      if (!isWellFormedVersionId(versionId)) throw invalidVersionId(versionId);
      const version = await versions.find(bucket, key, versionId);
      if (!version) throw noSuchVersion(key, versionId);
      if (version.deleteMarker) {
        throw new S3RequestError(
          'MethodNotAllowed',
          405,
          'The specified method is not allowed against this resource.',
          { Method: method, ResourceType: 'DeleteMarker' },
          {
            'x-amz-delete-marker': 'true',
            'x-amz-version-id': version.versionId,
            'last-modified': new Date(version.lastModified).toUTCString(),
          },
        );
      }
      return version;
    },

    async recordStored(bucket, key, versionId) {
      const metadata = await store.getMetadata(VERSION_BLOB_BUCKET, versionBlobKey(bucket, versionId));
      const version: ObjectVersion = {
        key,
        versionId,
        deleteMarker: false,
        lastModified: new Date(metadata['last-modified'] ?? Date.now()).toISOString(),
        eTag: metadata.etag ?? '',
        size: Number(metadata['content-length'] ?? 0),
      };
      await versions.add(bucket, version);
      return version;
    },

    async deleteObject(bucket, key, versionId) {
      if (versionId === undefined) {
        const marker: ObjectVersion = {
          key,
          versionId: newVersionId(),
          deleteMarker: true,
          lastModified: new Date().toISOString(),
        };
        await versions.add(bucket, marker);
        return {
          versionId: marker.versionId,
          deleteMarker: true,
          markerCreated: true,
          versionRemoved: false,
        };
      }
      if (!isWellFormedVersionId(versionId)) throw invalidVersionId(versionId);
      const version = await versions.find(bucket, key, versionId);
      // Deleting a version that does not exist succeeds, as in S3.
      if (!version) return { versionId, deleteMarker: false, markerCreated: false, versionRemoved: false };
      await versions.remove(bucket, key, versionId);
      if (!version.deleteMarker)
        await store.deleteObject(VERSION_BLOB_BUCKET, versionBlobKey(bucket, versionId));
      return { versionId, deleteMarker: version.deleteMarker, markerCreated: false, versionRemoved: true };
    },
  };
}

/** DeleteObject's answer headers for a versioned bucket. */
export function deleteHeaders(result: DeleteResult): Record<string, string> {
  return {
    'x-amz-version-id': result.versionId,
    ...(result.deleteMarker ? { 'x-amz-delete-marker': 'true' } : {}),
  };
}

/** One DeleteObjects entry's outcome, as the DeleteResult XML reports it. */
export function deleteOutcome(result: DeleteResult, requestedVersionId: string | undefined): DeleteOutcome {
  if (result.markerCreated) return { deleteMarker: true, deleteMarkerVersionId: result.versionId };
  return {
    ...(requestedVersionId === undefined ? {} : { versionId: requestedVersionId }),
    ...(result.deleteMarker ? { deleteMarker: true, deleteMarkerVersionId: result.versionId } : {}),
  };
}

export interface CopySource {
  bucket: string;
  key: string;
  versionId: string | undefined;
}

/** Reads `x-amz-copy-source`: `[/]bucket/key[?versionId=id]`, URL-encoded. */
export function parseCopySource(header: string): CopySource {
  const [path = '', query = ''] = header.split('?', 2);
  const trimmed = path.startsWith('/') ? path.slice(1) : path;
  const slash = trimmed.indexOf('/');
  let decoded: { bucket: string; key: string };
  try {
    decoded = {
      bucket: decodeURIComponent(slash === -1 ? trimmed : trimmed.slice(0, slash)),
      key: slash === -1 ? '' : decodeURIComponent(trimmed.slice(slash + 1)),
    };
  } catch {
    throw invalidArgument('Invalid copy source encoding', { ArgumentName: 'x-amz-copy-source' });
  }
  if (decoded.bucket === '' || decoded.key === '') {
    throw invalidArgument('Copy Source must mention the source bucket and key: sourcebucket/sourcekey', {
      ArgumentName: 'x-amz-copy-source',
      ArgumentValue: header,
    });
  }
  const versionId = new URLSearchParams(query).get('versionId') ?? undefined;
  return { ...decoded, versionId };
}

/** The version a copy reads from a versioned source bucket; a delete marker is refused as S3 does. */
export async function versionToCopy(versions: VersionStore, source: CopySource): Promise<ObjectVersion> {
  if (source.versionId === undefined) {
    const current = await versions.current(source.bucket, source.key);
    if (!current || current.deleteMarker) throw noSuchKey(source.key);
    return current;
  }
  if (!isWellFormedVersionId(source.versionId)) throw invalidVersionId(source.versionId);
  const version = await versions.find(source.bucket, source.key, source.versionId);
  if (!version) throw noSuchVersion(source.key, source.versionId);
  if (version.deleteMarker) {
    throw new S3RequestError(
      'InvalidRequest',
      400,
      'The source of a copy request may not specifically refer to a delete marker by version id.',
    );
  }
  return version;
}
