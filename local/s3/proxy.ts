/** Forwards an authenticated request to s3rver and streams the answer back. */
import type http from 'node:http';
import { AwsChunkedDecoder, decodedPayloadHeaders, isAwsChunked } from './aws-chunked';
import type { Backend } from './backend';
import { invalidArgument } from './errors';
import type { S3Request } from './s3-request';
import { uriEncode } from './sigv4';
import { NULL_VERSION_ID } from './versions';

/** Query parameters that carry the signature, verified here and meaningless to s3rver. */
const AUTH_QUERY_PARAMS = new Set([
  'X-Amz-Algorithm',
  'X-Amz-Credential',
  'X-Amz-Date',
  'X-Amz-Expires',
  'X-Amz-SignedHeaders',
  'X-Amz-Signature',
  'X-Amz-Security-Token',
]);
/** GetObject response-* overrides, applied here because s3rver refuses them on unsigned requests. */
const RESPONSE_OVERRIDES = new Map([
  ['response-content-type', 'content-type'],
  ['response-content-language', 'content-language'],
  ['response-expires', 'expires'],
  ['response-cache-control', 'cache-control'],
  ['response-content-disposition', 'content-disposition'],
  ['response-content-encoding', 'content-encoding'],
]);
const NOT_FORWARDED_HEADERS = new Set([
  'authorization',
  'host',
  'connection',
  'keep-alive',
  'transfer-encoding',
  'expect',
  'origin',
  'access-control-request-method',
  'access-control-request-headers',
]);
const NOT_RETURNED_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding']);

function forwardedPath(request: S3Request): string {
  const query = request.query
    .filter(([name]) => !AUTH_QUERY_PARAMS.has(name) && name !== 'versionId' && !RESPONSE_OVERRIDES.has(name))
    .map(([name, value]) => `${uriEncode(name)}=${uriEncode(value)}`)
    .join('&');
  return query === '' ? request.rawPath : `${request.rawPath}?${query}`;
}

function forwardedHeaders(incoming: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const headers: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(incoming)) {
    if (!NOT_FORWARDED_HEADERS.has(name) && value !== undefined) headers[name] = value;
  }
  return headers;
}

function returnedHeaders(
  request: S3Request,
  backendResponse: http.IncomingMessage,
): http.OutgoingHttpHeaders {
  const headers: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(backendResponse.headers)) {
    if (!NOT_RETURNED_HEADERS.has(name) && !name.startsWith('access-control-') && value !== undefined) {
      headers[name] = value;
    }
  }
  if (request.params.has('versionId')) headers['x-amz-version-id'] = NULL_VERSION_ID;
  const succeeded = backendResponse.statusCode === 200 || backendResponse.statusCode === 206;
  if (succeeded && (request.method === 'GET' || request.method === 'HEAD')) {
    for (const [name, value] of request.query) {
      const header = RESPONSE_OVERRIDES.get(name);
      if (header) headers[header] = value;
    }
  }
  return headers;
}

/**
 * Sends the request to s3rver (auth stripped, aws-chunked bodies decoded, version "null" mapped to
 * the only version) and streams the answer back; `beforeResponding` runs once the backend status is known.
 */
export async function forwardToBackend(
  backend: Backend,
  request: S3Request,
  incoming: http.IncomingMessage,
  response: http.ServerResponse,
  beforeResponding: (status: number) => Promise<void>,
): Promise<void> {
  const versionId = request.params.get('versionId');
  if (versionId !== undefined && versionId !== NULL_VERSION_ID) {
    throw invalidArgument('Invalid version id specified', {
      ArgumentName: 'versionId',
      ArgumentValue: versionId,
    });
  }
  const headers = forwardedHeaders(incoming.headers);
  const hasBody =
    incoming.headers['content-length'] !== undefined || incoming.headers['transfer-encoding'] !== undefined;
  const chunked = hasBody && isAwsChunked(incoming.headers);
  const backendResponse = await backend.request({
    method: request.method,
    path: forwardedPath(request),
    headers: chunked ? decodedPayloadHeaders(headers) : headers,
    body: !hasBody ? undefined : chunked ? incoming.pipe(new AwsChunkedDecoder()) : incoming,
  });
  const status = backendResponse.statusCode ?? 500;
  await beforeResponding(status);
  response.writeHead(status, returnedHeaders(request, backendResponse));
  backendResponse.pipe(response);
}
