/**
 * The XML of ListBuckets, ListObjectVersions, ListObjects(V2) for versioned buckets and
 * DeleteObjects. Versioned buckets answer from the version index; unversioned ones from s3rver,
 * where every object is the single version "null", latest, with no delete markers.
 */
import { XMLParser } from 'fast-xml-parser';
import type S3rver from 's3rver';
import { escapeXml } from '../xml';
import { invalidArgument, S3RequestError } from './errors';
import { uriEncode } from './sigv4';
import type { CurrentObjectsPage, ListVersionsPage } from './version-store';

export const NULL_VERSION_ID = 'null';
const S3_XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';
const MAX_KEYS_LIMIT = 1000;

export interface ObjectOwner {
  id: string;
  displayName: string;
}

export interface ListVersionsQuery {
  bucket: string;
  prefix: string;
  delimiter: string;
  keyMarker: string;
  versionIdMarker: string;
  maxKeys: number;
  urlEncoded: boolean;
}

function readMaxKeys(query: Map<string, string>): number {
  const rawMaxKeys = query.get('max-keys');
  const maxKeys = rawMaxKeys === undefined ? MAX_KEYS_LIMIT : Number(rawMaxKeys);
  if (!Number.isInteger(maxKeys) || maxKeys < 0) {
    throw invalidArgument('Provided max-keys not an integer or within integer range', {
      ArgumentName: 'max-keys',
      ArgumentValue: rawMaxKeys ?? '',
    });
  }
  return Math.min(maxKeys, MAX_KEYS_LIMIT);
}

function readUrlEncoding(query: Map<string, string>): boolean {
  const encodingType = query.get('encoding-type');
  if (encodingType !== undefined && encodingType !== 'url') {
    throw invalidArgument('Invalid Encoding Method specified in Request', {
      ArgumentName: 'encoding-type',
      ArgumentValue: encodingType,
    });
  }
  return encodingType === 'url';
}

export function readListVersionsQuery(bucket: string, query: Map<string, string>): ListVersionsQuery {
  const keyMarker = query.get('key-marker') ?? '';
  const versionIdMarker = query.get('version-id-marker') ?? '';
  if (versionIdMarker !== '' && keyMarker === '') {
    throw invalidArgument('A version-id marker cannot be specified without a key marker.', {
      ArgumentName: 'version-id-marker',
      ArgumentValue: versionIdMarker,
    });
  }
  return {
    bucket,
    prefix: query.get('prefix') ?? '',
    delimiter: query.get('delimiter') ?? '',
    keyMarker,
    versionIdMarker,
    maxKeys: readMaxKeys(query),
    urlEncoded: readUrlEncoding(query),
  };
}

/** An unversioned bucket's listing as versions: each object is version "null". */
export async function unversionedVersionsPage(
  store: S3rver.S3rverStore,
  query: ListVersionsQuery,
): Promise<ListVersionsPage> {
  const listing =
    query.maxKeys === 0
      ? { objects: [], commonPrefixes: [], isTruncated: false }
      : await store.listObjects(query.bucket, {
          prefix: query.prefix,
          startAfter: query.keyMarker,
          maxKeys: query.maxKeys,
          delimiter: query.delimiter,
        });
  const versions: ListVersionsPage['versions'] = listing.objects.map((object) => ({
    isLatest: true,
    key: object.key,
    versionId: NULL_VERSION_ID,
    deleteMarker: false,
    lastModified: object.lastModifiedDate.toISOString(),
    eTag: object.metadata.etag ?? '',
    size: object.size,
  }));
  const lastKey = versions[versions.length - 1]?.key;
  return {
    versions,
    commonPrefixes: listing.commonPrefixes,
    isTruncated: listing.isTruncated,
    ...(listing.isTruncated && lastKey !== undefined
      ? { nextKeyMarker: lastKey, nextVersionIdMarker: NULL_VERSION_ID }
      : {}),
  };
}

function textOf(urlEncoded: boolean) {
  const text = (value: string) => escapeXml(urlEncoded ? encodeKeepingSlashes(value) : value);
  return { text, element: (name: string, value: string) => `<${name}>${text(value)}</${name}>` };
}

function ownerXml(owner: ObjectOwner): string {
  return `<Owner><ID>${escapeXml(owner.id)}</ID><DisplayName>${escapeXml(owner.displayName)}</DisplayName></Owner>`;
}

/** ListBuckets: the buckets' names and creation dates, in name order, as S3 lists them. */
export function listBucketsXml(
  buckets: Array<{ name: string; creationDate: Date }>,
  owner: ObjectOwner,
): string {
  const listed = [...buckets]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map(
      (bucket) =>
        `<Bucket><Name>${escapeXml(bucket.name)}</Name><CreationDate>${bucket.creationDate.toISOString()}</CreationDate></Bucket>`,
    );
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<ListAllMyBucketsResult xmlns="${S3_XMLNS}">${ownerXml(owner)}<Buckets>${listed.join('')}</Buckets></ListAllMyBucketsResult>`
  );
}

export function listVersionsXml(
  query: ListVersionsQuery,
  page: ListVersionsPage,
  owner: ObjectOwner,
): string {
  const { element } = textOf(query.urlEncoded);
  const entries = page.versions.map((version) => {
    const common =
      `${element('Key', version.key)}${element('VersionId', version.versionId)}<IsLatest>${version.isLatest}</IsLatest>` +
      `<LastModified>${version.lastModified}</LastModified>`;
    return version.deleteMarker
      ? `<DeleteMarker>${common}${ownerXml(owner)}</DeleteMarker>`
      : `<Version>${common}<ETag>${escapeXml(version.eTag ?? '')}</ETag><Size>${version.size ?? 0}</Size>` +
          `${ownerXml(owner)}<StorageClass>STANDARD</StorageClass></Version>`;
  });
  const commonPrefixes = page.commonPrefixes.map(
    (prefix) => `<CommonPrefixes>${element('Prefix', prefix)}</CommonPrefixes>`,
  );
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<ListVersionsResult xmlns="${S3_XMLNS}">` +
    `<Name>${escapeXml(query.bucket)}</Name>${element('Prefix', query.prefix)}${element('KeyMarker', query.keyMarker)}` +
    `${element('VersionIdMarker', query.versionIdMarker)}<MaxKeys>${query.maxKeys}</MaxKeys>` +
    (query.delimiter ? element('Delimiter', query.delimiter) : '') +
    (query.urlEncoded ? '<EncodingType>url</EncodingType>' : '') +
    `<IsTruncated>${page.isTruncated}</IsTruncated>` +
    (page.isTruncated && page.nextKeyMarker !== undefined
      ? element('NextKeyMarker', page.nextKeyMarker) +
        (page.nextVersionIdMarker === undefined
          ? ''
          : element('NextVersionIdMarker', page.nextVersionIdMarker))
      : '') +
    entries.join('') +
    commonPrefixes.join('') +
    '</ListVersionsResult>'
  );
}

function encodeKeepingSlashes(value: string): string {
  return value.split('/').map(uriEncode).join('/');
}

export interface DeleteRequestEntry {
  key: string;
  versionId: string | undefined;
}

const malformedXml = () =>
  new S3RequestError(
    'MalformedXML',
    400,
    'The XML you provided was not well-formed or did not validate against our published schema',
  );

export function parseDeleteRequest(xml: string): { entries: DeleteRequestEntry[]; quiet: boolean } {
  let document: unknown;
  try {
    document = new XMLParser({
      parseTagValue: false,
      trimValues: false,
      isArray: (name) => name === 'Object',
    }).parse(xml, true);
  } catch {
    throw malformedXml();
  }
  const root = (document as { Delete?: { Object?: unknown[]; Quiet?: unknown } }).Delete;
  if (!root || !Array.isArray(root.Object) || root.Object.length === 0 || root.Object.length > 1000) {
    throw malformedXml();
  }
  const entries = root.Object.map((item) => {
    const { Key, VersionId } = (item ?? {}) as { Key?: unknown; VersionId?: unknown };
    if (typeof Key !== 'string') throw malformedXml();
    return { key: Key, versionId: typeof VersionId === 'string' ? VersionId.trim() : undefined };
  });
  return { entries, quiet: String(root.Quiet ?? '').trim() === 'true' };
}

/** What deleting one key (or one version of it) did, as DeleteObject and DeleteObjects report it. */
export type DeleteOutcome =
  | { versionId?: string; deleteMarker?: boolean; deleteMarkerVersionId?: string }
  | { error: S3RequestError };

export async function deleteObjectsXml(
  request: { entries: DeleteRequestEntry[]; quiet: boolean },
  deleteOne: (key: string, versionId: string | undefined) => Promise<DeleteOutcome>,
): Promise<string> {
  const results: string[] = [];
  for (const { key, versionId } of request.entries) {
    const outcome = await deleteOne(key, versionId);
    const keyElement = `<Key>${escapeXml(key)}</Key>`;
    const versionElement = versionId === undefined ? '' : `<VersionId>${escapeXml(versionId)}</VersionId>`;
    if ('error' in outcome) {
      results.push(
        `<Error>${keyElement}${versionElement}<Code>${escapeXml(outcome.error.code)}</Code>` +
          `<Message>${escapeXml(outcome.error.message)}</Message></Error>`,
      );
      continue;
    }
    if (request.quiet) continue;
    results.push(
      `<Deleted>${keyElement}${versionElement}` +
        (outcome.deleteMarker ? '<DeleteMarker>true</DeleteMarker>' : '') +
        (outcome.deleteMarkerVersionId === undefined
          ? ''
          : `<DeleteMarkerVersionId>${escapeXml(outcome.deleteMarkerVersionId)}</DeleteMarkerVersionId>`) +
        '</Deleted>',
    );
  }
  return `<?xml version="1.0" encoding="UTF-8"?>\n<DeleteResult xmlns="${S3_XMLNS}">${results.join('')}</DeleteResult>`;
}

export interface ListObjectsQuery {
  bucket: string;
  v2: boolean;
  prefix: string;
  delimiter: string;
  /** V1 `marker`; V2 `start-after` or the continuation token's key. */
  startAfter: string;
  maxKeys: number;
  urlEncoded: boolean;
  fetchOwner: boolean;
  params: Map<string, string>;
}

export function readListObjectsQuery(bucket: string, params: Map<string, string>): ListObjectsQuery {
  const v2 = params.get('list-type') === '2';
  const token = params.get('continuation-token');
  let startAfter = v2 ? (params.get('start-after') ?? '') : (params.get('marker') ?? '');
  if (v2 && token !== undefined) {
    startAfter = Buffer.from(token, 'base64').toString('utf8');
    if (token === '' || Buffer.from(startAfter, 'utf8').toString('base64') !== token) {
      throw invalidArgument('The continuation token provided is incorrect', {
        ArgumentName: 'continuation-token',
        ArgumentValue: token,
      });
    }
  }
  return {
    bucket,
    v2,
    prefix: params.get('prefix') ?? '',
    delimiter: params.get('delimiter') ?? '',
    startAfter,
    maxKeys: readMaxKeys(params),
    urlEncoded: readUrlEncoding(params),
    fetchOwner: !v2 || params.get('fetch-owner') === 'true',
    params,
  };
}

/** ListObjects (V1) or ListObjectsV2 XML for a page of current versions. */
export function listObjectsXml(
  query: ListObjectsQuery,
  page: CurrentObjectsPage,
  owner: ObjectOwner,
): string {
  const { element } = textOf(query.urlEncoded);
  const contents = page.objects.map(
    (object) =>
      `<Contents>${element('Key', object.key)}<LastModified>${object.lastModified}</LastModified>` +
      `<ETag>${escapeXml(object.eTag ?? '')}</ETag><Size>${object.size ?? 0}</Size>` +
      (query.fetchOwner ? ownerXml(owner) : '') +
      '<StorageClass>STANDARD</StorageClass></Contents>',
  );
  const commonPrefixes = page.commonPrefixes.map(
    (prefix) => `<CommonPrefixes>${element('Prefix', prefix)}</CommonPrefixes>`,
  );
  const token = query.params.get('continuation-token');
  const startAfter = query.params.get('start-after');
  const paging = query.v2
    ? (token === undefined ? '' : `<ContinuationToken>${escapeXml(token)}</ContinuationToken>`) +
      (startAfter === undefined ? '' : element('StartAfter', startAfter)) +
      `<KeyCount>${page.objects.length + page.commonPrefixes.length}</KeyCount>` +
      (page.isTruncated && page.lastReturned !== undefined
        ? `<NextContinuationToken>${Buffer.from(page.lastReturned, 'utf8').toString('base64')}</NextContinuationToken>`
        : '')
    : element('Marker', query.startAfter) +
      (page.isTruncated && query.delimiter && page.lastReturned !== undefined
        ? element('NextMarker', page.lastReturned)
        : '');
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<ListBucketResult xmlns="${S3_XMLNS}">` +
    `<Name>${escapeXml(query.bucket)}</Name>${element('Prefix', query.prefix)}${paging}` +
    `<MaxKeys>${query.maxKeys}</MaxKeys>` +
    (query.delimiter ? element('Delimiter', query.delimiter) : '') +
    (query.urlEncoded ? '<EncodingType>url</EncodingType>' : '') +
    `<IsTruncated>${page.isTruncated}</IsTruncated>` +
    contents.join('') +
    commonPrefixes.join('') +
    '</ListBucketResult>'
  );
}
