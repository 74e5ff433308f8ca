/** What an incoming request addresses: bucket, key, query, and whether it creates an object. */
import type http from 'node:http';
import { invalidArgument } from './errors';
import type { ObjectCreatedEventName } from './event-record';
import type { IncomingSignedRequest } from './request-auth';
import { parseQuery, uriEncode } from './sigv4';

export interface S3Request extends IncomingSignedRequest {
  /** Decoded query parameters by name (last one wins). */
  params: Map<string, string>;
  /** Empty for the service root. */
  bucket: string;
  /** Empty for bucket-level requests. */
  key: string;
}

/** Sub-resources that make a PUT/POST on a key something other than creating the object. */
const OBJECT_SUBRESOURCES = [
  'uploadId',
  'partNumber',
  'tagging',
  'acl',
  'retention',
  'legal-hold',
  'torrent',
];

function decodePathPart(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw invalidArgument('Invalid URI encoding in the request path.');
  }
}

/** Reads a path-style request: `/bucket/key?query`. */
export function parseS3Request(request: http.IncomingMessage): S3Request {
  const url = request.url ?? '/';
  const questionMark = url.indexOf('?');
  const rawPath = questionMark === -1 ? url : url.slice(0, questionMark);
  const query = parseQuery(questionMark === -1 ? '' : url.slice(questionMark + 1));
  const withoutSlash = rawPath.slice(1);
  const slash = withoutSlash.indexOf('/');
  return {
    method: request.method ?? 'GET',
    rawPath,
    query,
    params: new Map(query),
    headers: request.headers,
    bucket: decodePathPart(slash === -1 ? withoutSlash : withoutSlash.slice(0, slash)),
    key: slash === -1 ? '' : decodePathPart(withoutSlash.slice(slash + 1)),
  };
}

export function singleHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

export function encodeObjectPath(bucket: string, key: string): string {
  return `/${uriEncode(bucket)}/${key.split('/').map(uriEncode).join('/')}`;
}

export function isPostUpload(request: S3Request): boolean {
  const contentType = singleHeader(request.headers['content-type']) ?? '';
  return (
    request.method === 'POST' &&
    request.bucket !== '' &&
    request.key === '' &&
    contentType.toLowerCase().startsWith('multipart/form-data')
  );
}

export function isBucketOperation(request: S3Request, method: string, subresource: string): boolean {
  return (
    request.bucket !== '' &&
    request.key === '' &&
    request.method === method &&
    request.params.has(subresource)
  );
}

/** The notification a successful request would cause, if it creates an object. */
export function creationEventName(request: S3Request): ObjectCreatedEventName | undefined {
  if (request.key === '') return undefined;
  if (request.method === 'PUT' && !OBJECT_SUBRESOURCES.some((name) => request.params.has(name))) {
    return request.headers['x-amz-copy-source'] === undefined ? 'ObjectCreated:Put' : 'ObjectCreated:Copy';
  }
  if (request.method === 'POST' && request.params.has('uploadId'))
    return 'ObjectCreated:CompleteMultipartUpload';
  return undefined;
}
