/** Forwards an authenticated request to s3rver and streams the answer back. */
import type http from 'node:http';
import { pipeline, type Readable, Transform } from 'node:stream';
import { AwsChunkedDecoder, AwsChunkedFormatError, decodedPayloadHeaders, isAwsChunked } from './aws-chunked';
import type { Backend } from './backend';
import { S3RequestError } from './errors';
import { type S3Request, singleHeader } from './s3-request';
import { uriEncode } from './sigv4';

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

function forwardedPath(request: S3Request, rawPath: string): string {
  const query = request.query
    .filter(([name]) => !AUTH_QUERY_PARAMS.has(name) && name !== 'versionId' && !RESPONSE_OVERRIDES.has(name))
    .map(([name, value]) => `${uriEncode(name)}=${uriEncode(value)}`)
    .join('&');
  return query === '' ? rawPath : `${rawPath}?${query}`;
}

function forwardedHeaders(
  incoming: http.IncomingHttpHeaders,
  readsObject: boolean,
): http.OutgoingHttpHeaders {
  const headers: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(incoming)) {
    // Ranges are applied here, the way S3 answers them (s3rver reads `bytes=0-0` as the whole object).
    if (readsObject && name === 'range') continue;
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
  const succeeded = backendResponse.statusCode === 200 || backendResponse.statusCode === 206;
  if (succeeded && (request.method === 'GET' || request.method === 'HEAD')) {
    for (const [name, value] of request.query) {
      const header = RESPONSE_OVERRIDES.get(name);
      if (header) headers[header] = value;
    }
  }
  return headers;
}

/** A single byte range as S3 honours it; anything else (several ranges, bad syntax) is ignored. */
export type ByteRange = { start: number; end: number } | 'unsatisfiable' | undefined;

export function resolveByteRange(header: string | undefined, size: number): ByteRange {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header?.trim() ?? '');
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  const [, first = '', last = ''] = match;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  if (last !== '' && Number(last) < start) return undefined;
  if (start >= size) return 'unsatisfiable';
  return { start, end: last === '' ? size - 1 : Math.min(Number(last), size - 1) };
}

/** Passes on bytes `start..end` (inclusive) of a stream and ends. */
function sliceOf(source: Readable, start: number, end: number): Readable {
  let position = 0;
  const slice = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      const from = Math.max(0, start - position);
      const to = Math.min(chunk.length, end + 1 - position);
      position += chunk.length;
      if (to > from) this.push(chunk.subarray(from, to));
      if (position > end) {
        this.push(null);
        source.unpipe(slice);
        source.destroy();
      }
      callback();
    },
  });
  return source.pipe(slice);
}

export interface ForwardOptions {
  /** Encoded path to send to s3rver instead of the request's (a version's stored data). */
  path?: string;
  /** Header overrides for s3rver (e.g. a copy source rewritten to a version's data). */
  headers?: http.OutgoingHttpHeaders;
  /** Runs once the backend status is known; returns headers to add to the answer. */
  beforeResponding?: (status: number) => Promise<http.OutgoingHttpHeaders | undefined>;
}

/**
 * The payload of an aws-chunked body. A client gone mid-body fails the decoder too (pipe alone
 * would leave it waiting), so the hop to s3rver ends at once instead of at s3rver's timeout.
 */
function decodedBody(incoming: http.IncomingMessage): Readable {
  // The error reaches whoever reads the decoder; pipeline's callback has nothing to add.
  return pipeline(incoming, new AwsChunkedDecoder(), () => undefined);
}

/**
 * Sends the request to s3rver (auth stripped, aws-chunked bodies decoded) and streams the answer
 * back, applying a Range header the way S3 does (one range, clamped to the object; 416 InvalidRange
 * when it starts past the end, always for an empty object).
 */
export async function forwardToBackend(
  backend: Backend,
  request: S3Request,
  incoming: http.IncomingMessage,
  response: http.ServerResponse,
  options: ForwardOptions = {},
): Promise<void> {
  const readsObject = (request.method === 'GET' || request.method === 'HEAD') && request.key !== '';
  const headers = { ...forwardedHeaders(incoming.headers, readsObject), ...options.headers };
  const hasBody =
    incoming.headers['content-length'] !== undefined || incoming.headers['transfer-encoding'] !== undefined;
  const chunked = hasBody && isAwsChunked(incoming.headers);
  const backendResponse = await backend
    .request({
      method: request.method,
      path: forwardedPath(request, options.path ?? request.rawPath),
      headers: chunked ? decodedPayloadHeaders(headers) : headers,
      body: !hasBody ? undefined : chunked ? decodedBody(incoming) : incoming,
    })
    .catch((error: unknown) => {
      // The body stopped short (the client went away, or its aws-chunked framing ended early):
      // nothing was stored, and S3's answer is this 400, whether or not anyone is left to read it.
      if (error instanceof AwsChunkedFormatError || incoming.errored)
        throw new S3RequestError(
          'IncompleteBody',
          400,
          'You did not provide the number of bytes specified by the Content-Length HTTP header.',
        );
      throw error;
    });
  const status = backendResponse.statusCode ?? 500;
  const added = (await options.beforeResponding?.(status)) ?? {};
  const answerHeaders = { ...returnedHeaders(request, backendResponse), ...added };
  const rangeHeader = singleHeader(incoming.headers.range);
  if (readsObject && status === 200 && rangeHeader !== undefined) {
    const size = Number(backendResponse.headers['content-length'] ?? 0);
    const range = resolveByteRange(rangeHeader, size);
    if (range === 'unsatisfiable') {
      backendResponse.destroy();
      throw new S3RequestError('InvalidRange', 416, 'The requested range is not satisfiable', {
        RangeRequested: rangeHeader,
        ActualObjectSize: size,
      });
    }
    if (range) {
      response.writeHead(206, {
        ...answerHeaders,
        'content-range': `bytes ${range.start}-${range.end}/${size}`,
        'content-length': range.end - range.start + 1,
      });
      if (request.method === 'HEAD') {
        backendResponse.resume();
        response.end();
      } else sliceOf(backendResponse, range.start, range.end).pipe(response);
      return;
    }
  }
  response.writeHead(status, answerHeaders);
  backendResponse.pipe(response);
}
