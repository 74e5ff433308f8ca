/**
 * A single-version view of unversioned s3rver buckets: every current object is version "null",
 * latest, with no delete markers. Covers ListObjectVersions and DeleteObjects.
 */
import { XMLParser } from 'fast-xml-parser';
import type S3rver from 's3rver';
import { escapeXml } from '../xml';
import { S3RequestError } from './errors';
import { uriEncode } from './sigv4';

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
  maxKeys: number;
  urlEncoded: boolean;
}

export function readListVersionsQuery(bucket: string, query: Map<string, string>): ListVersionsQuery {
  const rawMaxKeys = query.get('max-keys');
  const maxKeys = rawMaxKeys === undefined ? MAX_KEYS_LIMIT : Number(rawMaxKeys);
  if (!Number.isInteger(maxKeys) || maxKeys < 0) {
    throw new S3RequestError(
      'InvalidArgument',
      400,
      'Provided max-keys not an integer or within integer range',
      {
        ArgumentName: 'max-keys',
        ArgumentValue: rawMaxKeys ?? '',
      },
    );
  }
  const encodingType = query.get('encoding-type');
  if (encodingType !== undefined && encodingType !== 'url') {
    throw new S3RequestError('InvalidArgument', 400, 'Invalid Encoding Method specified in Request', {
      ArgumentName: 'encoding-type',
      ArgumentValue: encodingType,
    });
  }
  return {
    bucket,
    prefix: query.get('prefix') ?? '',
    delimiter: query.get('delimiter') ?? '',
    keyMarker: query.get('key-marker') ?? '',
    maxKeys: Math.min(maxKeys, MAX_KEYS_LIMIT),
    urlEncoded: encodingType === 'url',
  };
}

export async function listVersionsXml(
  store: S3rver.S3rverStore,
  query: ListVersionsQuery,
  owner: ObjectOwner,
): Promise<string> {
  const listing =
    query.maxKeys === 0
      ? { objects: [], commonPrefixes: [], isTruncated: false }
      : await store.listObjects(query.bucket, {
          prefix: query.prefix,
          startAfter: query.keyMarker,
          maxKeys: query.maxKeys,
          delimiter: query.delimiter,
        });
  const text = (value: string) => escapeXml(query.urlEncoded ? encodeKeepingSlashes(value) : value);
  const element = (name: string, value: string) => `<${name}>${text(value)}</${name}>`;
  const lastKey = listing.objects[listing.objects.length - 1]?.key;
  const versions = listing.objects.map(
    (object) =>
      `<Version>${element('Key', object.key)}<VersionId>${NULL_VERSION_ID}</VersionId><IsLatest>true</IsLatest>` +
      `<LastModified>${object.lastModifiedDate.toISOString()}</LastModified>` +
      `<ETag>${escapeXml(object.metadata.etag ?? '')}</ETag><Size>${object.size}</Size>` +
      `<Owner><ID>${escapeXml(owner.id)}</ID><DisplayName>${escapeXml(owner.displayName)}</DisplayName></Owner>` +
      '<StorageClass>STANDARD</StorageClass></Version>',
  );
  const commonPrefixes = listing.commonPrefixes.map(
    (prefix) => `<CommonPrefixes>${element('Prefix', prefix)}</CommonPrefixes>`,
  );
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<ListVersionsResult xmlns="${S3_XMLNS}">` +
    `<Name>${escapeXml(query.bucket)}</Name>${element('Prefix', query.prefix)}${element('KeyMarker', query.keyMarker)}` +
    `<VersionIdMarker></VersionIdMarker><MaxKeys>${query.maxKeys}</MaxKeys>` +
    (query.delimiter ? element('Delimiter', query.delimiter) : '') +
    (query.urlEncoded ? '<EncodingType>url</EncodingType>' : '') +
    `<IsTruncated>${listing.isTruncated}</IsTruncated>` +
    (listing.isTruncated && lastKey !== undefined
      ? `${element('NextKeyMarker', lastKey)}<NextVersionIdMarker>${NULL_VERSION_ID}</NextVersionIdMarker>`
      : '') +
    versions.join('') +
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

export async function deleteObjectsXml(
  store: S3rver.S3rverStore,
  bucket: string,
  request: { entries: DeleteRequestEntry[]; quiet: boolean },
): Promise<{ xml: string; deletedKeys: string[] }> {
  const results: string[] = [];
  const deletedKeys: string[] = [];
  for (const { key, versionId } of request.entries) {
    const versionElement = versionId === undefined ? '' : `<VersionId>${escapeXml(versionId)}</VersionId>`;
    if (versionId !== undefined && versionId !== NULL_VERSION_ID) {
      results.push(
        `<Error><Key>${escapeXml(key)}</Key>${versionElement}<Code>NoSuchVersion</Code>` +
          '<Message>The specified version does not exist.</Message></Error>',
      );
      continue;
    }
    if (await store.existsObject(bucket, key)) {
      await store.deleteObject(bucket, key);
      deletedKeys.push(key);
    }
    if (!request.quiet) results.push(`<Deleted><Key>${escapeXml(key)}</Key>${versionElement}</Deleted>`);
  }
  const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<DeleteResult xmlns="${S3_XMLNS}">${results.join('')}</DeleteResult>`;
  return { xml, deletedKeys };
}
