/**
 * The local S3 endpoint: a verifying front server (SigV4 presigned URLs and Authorization headers,
 * POST policies, CORS, object versioning for buckets whose template enables it, durable
 * notifications) in front of an s3rver instance that stores the data on disk.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { S3EventRecord } from 'aws-lambda';
import type { ServiceAccess } from '../iam';
import { escapeXml } from '../xml';
import { authorizeS3, s3Operation, s3RequestContext } from './authorization';
import { type Backend, readBody, startBackend } from './backend';
import { answerPreflight, type CfnCorsRule, headersForActualRequest } from './cors';
import { accessDenied, errorToXml, S3RequestError } from './errors';
import type { ObjectCreatedEventName } from './event-record';
import { type CreatedObject, createNotifier, type RequestOrigin, type WriteIntent } from './notifier';
import { type PostForm, readPostForm } from './post-form';
import { fileSizeCap, postSuccess, verifyPostUpload } from './post-upload';
import { forwardToBackend } from './proxy';
import {
  detectAuthMechanism,
  type VerifierSettings,
  verifyAuthorizationHeader,
  verifyPresignedUrl,
} from './request-auth';
import {
  creationEventName,
  encodeObjectPath,
  isBucketOperation,
  isPostUpload,
  parseS3Request,
  type S3Request,
  singleHeader,
} from './s3-request';
import {
  newVersionId,
  VERSION_BLOB_BUCKET,
  VERSION_INDEX_DIRECTORY,
  VersionStore,
  versionBlobKey,
} from './version-store';
import {
  deleteHeaders,
  deleteOutcome,
  invalidVersionId,
  parseCopySource,
  versionDataPath,
  versionedObjects,
  versionToCopy,
} from './versioned-objects';
import {
  deleteObjectsXml,
  listBucketsXml,
  listObjectsXml,
  listVersionsXml,
  NULL_VERSION_ID,
  parseDeleteRequest,
  readListObjectsQuery,
  readListVersionsQuery,
  unversionedVersionsPage,
} from './versions';

export interface LocalS3Bucket {
  name: string;
  corsRules?: CfnCorsRule[];
  /** `VersioningConfiguration: { Status: Enabled }`: every write keeps a version, deletes add markers. */
  versioned?: boolean;
}

export interface LocalS3Options {
  dataDir: string;
  host?: string;
  port?: number;
  region: string;
  /**
   * Who may call: the keys signatures are verified against (the administrator's and each role
   * session's, with its session token) and the IAM check of each operation.
   */
  access: ServiceAccess;
  buckets: LocalS3Bucket[];
  /**
   * Receives every notification record, at least once: object creations (POST upload, PUT, copy,
   * completed multipart upload) and, in versioned buckets, removals (`ObjectRemoved:Delete`,
   * `ObjectRemoved:DeleteMarkerCreated`). A record stays pending (and is delivered again after a
   * restart) until the returned promise resolves.
   */
  onObjectCreated?: (record: S3EventRecord) => void | Promise<void>;
  log?: (line: string) => void;
  /** Clock for signature expiry and event times; defaults to the system clock. */
  now?: () => Date;
}

export interface LocalS3 {
  /** `http://HOST:PORT`, for AWS_ENDPOINT_URL_S3 (the SDK then addresses buckets path-style). */
  endpoint: string;
  /**
   * Delivers again the notifications a previous run left pending. Call it once whatever they invoke
   * is ready (e.g. every endpoint the functions are given is known).
   */
  deliverPending(): Promise<void>;
  /**
   * Stops accepting requests, lets the ones in flight finish and the deliveries in flight end
   * (both bounded; what is not delivered is delivered at the next start), closes the version index
   * once the recovery of pending notifications has stopped, stops s3rver.
   */
  close(): Promise<void>;
}

const OWNER = { id: 'local-s3-owner', displayName: 'local' };
/**
 * Folders of s3rver's directory that are not buckets of the app: the versions' data and the version
 * index. No request reaches them and ListBuckets does not list them.
 */
const INTERNAL_BUCKETS: ReadonlySet<string> = new Set([VERSION_BLOB_BUCKET, VERSION_INDEX_DIRECTORY]);
const MAX_XML_BODY_BYTES = 2 * 1024 * 1024;
/** Object sub-resources the version index does not keep; refused on versioned buckets. */
const VERSIONED_UNSUPPORTED_SUBRESOURCES = [
  'tagging',
  'acl',
  'attributes',
  'torrent',
  'retention',
  'legal-hold',
  'uploadId',
  'partNumber',
];
/** How long a stop waits for requests in flight, then for deliveries in flight. */
const DRAIN_TIMEOUT_MS = 10_000;
/** Files of the local S3 itself beside s3rver's bucket directories (files, so never listed as buckets). */
const NOTIFICATION_JOURNAL = 'notifications.jsonl';
/** Query parameters of ListObjects(V2); a GET on a bucket with any other is another operation. */
const LIST_OBJECTS_PARAMS = new Set([
  'list-type',
  'prefix',
  'delimiter',
  'marker',
  'max-keys',
  'encoding-type',
  'continuation-token',
  'start-after',
  'fetch-owner',
  'x-id',
  'X-Amz-Algorithm',
  'X-Amz-Credential',
  'X-Amz-Date',
  'X-Amz-Expires',
  'X-Amz-SignedHeaders',
  'X-Amz-Signature',
  'X-Amz-Security-Token',
]);

function sendXml(
  response: http.ServerResponse,
  status: number,
  xml: string,
  headers: http.OutgoingHttpHeaders = {},
) {
  const body = Buffer.from(xml, 'utf8');
  response.writeHead(status, {
    ...headers,
    'Content-Type': 'application/xml',
    'Content-Length': body.length,
  });
  response.end(response.req.method === 'HEAD' ? undefined : body);
}

function noSuchBucket(bucket: string): S3RequestError {
  return new S3RequestError('NoSuchBucket', 404, 'The specified bucket does not exist', {
    BucketName: bucket,
  });
}

export async function startLocalS3(options: LocalS3Options): Promise<LocalS3> {
  const log = options.log ?? (() => {});
  const now = options.now ?? (() => new Date());
  const { access } = options;
  const settings: VerifierSettings = {
    lookup: (accessKeyId) => access.lookup(accessKeyId)?.credentials,
    region: options.region,
    now,
  };
  /** The identity behind a verified access key. */
  const identityOf = (accessKeyId: string) => {
    const known = access.lookup(accessKeyId);
    if (!known) throw new Error(`access key ${accessKeyId} was verified but is unknown`);
    return known.identity;
  };
  const corsRulesByBucket = new Map(options.buckets.map((bucket) => [bucket.name, bucket.corsRules]));
  const versionedNames = options.buckets.filter((bucket) => bucket.versioned).map((bucket) => bucket.name);
  fs.mkdirSync(options.dataDir, { recursive: true });
  // POST uploads are written here as they arrive, then streamed to s3rver once verified: a temporary
  // directory, not one in dataDir, where s3rver would list it as a bucket.
  const spoolDir = fs.mkdtempSync(path.join(os.tmpdir(), 'happy-path-s3-post-'));
  // A start that fails half-way closes what it had opened (the version index holds LevelDB's lock
  // on the data directory), so that the same process can start on it again.
  const opened: Array<() => Promise<void> | void> = [
    () => fs.rmSync(spoolDir, { recursive: true, force: true }),
  ];
  const closeOpened = async (error: unknown): Promise<never> => {
    for (const close of opened.reverse()) await Promise.resolve(close()).catch(() => undefined);
    throw error;
  };
  const versions = await VersionStore.open(options.dataDir, versionedNames, log).catch(closeOpened);
  opened.push(() => versions.close());
  const backend: Backend = await startBackend(options.dataDir, [
    ...options.buckets.map((bucket) => bucket.name),
    ...(versionedNames.length > 0 ? [VERSION_BLOB_BUCKET] : []),
  ]).catch(closeOpened);
  opened.push(() => backend.close());
  const objects = versionedObjects(versions, backend.store);
  const notifier = createNotifier({
    journalPath: path.join(options.dataDir, NOTIFICATION_JOURNAL),
    region: options.region,
    ownerId: OWNER.id,
    now,
    onObjectCreated: options.onObjectCreated,
    log,
  });
  opened.push(() => notifier.close(0));

  const sendError = (response: http.ServerResponse, error: unknown, requestId: string) => {
    const s3Error =
      error instanceof S3RequestError
        ? error
        : new S3RequestError('InternalError', 500, 'We encountered an internal error. Please try again.');
    if (s3Error !== error) log(`S3 internal error: ${error instanceof Error ? error.stack : String(error)}`);
    log(
      `S3 ${response.req.method} ${response.req.url} refused: ${s3Error.status} ${s3Error.code} ${s3Error.message}`,
    );
    if (response.headersSent) response.destroy();
    else sendXml(response, s3Error.status, errorToXml(s3Error, requestId), s3Error.headers);
  };

  const authenticate = async (request: S3Request): Promise<string> => {
    switch (detectAuthMechanism(request)) {
      case 'presigned-url':
        return verifyPresignedUrl(request, settings);
      case 'authorization-header':
        return verifyAuthorizationHeader(request, settings);
      default:
        throw accessDenied();
    }
  };

  const requireBucket = async (bucket: string) => {
    if (!(await backend.store.getBucket(bucket))) throw noSuchBucket(bucket);
  };

  /** What a stored object is, for its notification: from the version index or s3rver's metadata. */
  const describeStored = async (
    eventName: ObjectCreatedEventName,
    bucket: string,
    key: string,
    versionId: string | undefined,
  ): Promise<CreatedObject> => {
    if (versionId !== undefined) {
      const version =
        (await versions.find(bucket, key, versionId)) ?? (await objects.recordStored(bucket, key, versionId));
      return { eventName, bucket, key, versionId, size: version.size ?? 0, eTag: version.eTag ?? '' };
    }
    const metadata = await backend.store.getMetadata(bucket, key);
    return {
      eventName,
      bucket,
      key,
      size: Number(metadata['content-length'] ?? 0),
      eTag: metadata.etag ?? '',
    };
  };

  /** After a crash: did the write behind a pending notification store its object? */
  const resolveIntent = async (intent: WriteIntent): Promise<CreatedObject | undefined> => {
    const { eventName, bucket, key, versionId } = intent;
    const stored =
      versionId === undefined
        ? await backend.store.existsObject(bucket, key)
        : (await versions.find(bucket, key, versionId)) !== undefined ||
          (await backend.store.existsObject(VERSION_BLOB_BUCKET, versionBlobKey(bucket, versionId)));
    return stored ? describeStored(eventName, bucket, key, versionId) : undefined;
  };

  /**
   * Runs the write that `intentId` announced. If it fails before saying what it stored (a client
   * gone mid-body, s3rver unreachable), the intent is settled at once, as the next start would
   * settle it, instead of staying pending until then.
   */
  const announcedWrite = async <T>(intentId: number, write: () => Promise<T>): Promise<T> => {
    try {
      return await write();
    } catch (error) {
      await notifier.settle(intentId, resolveIntent).catch((settleError: Error) => {
        log(`S3 write intent ${intentId} left pending for the next start: ${settleError.message}`);
      });
      throw error;
    }
  };

  const refuseUnversionedVersionId = (request: S3Request): Record<string, string> => {
    const versionId = request.params.get('versionId');
    if (versionId === undefined) return {};
    if (versionId !== NULL_VERSION_ID) throw invalidVersionId(versionId);
    return { 'x-amz-version-id': NULL_VERSION_ID };
  };

  const handlePostUpload = async (
    request: S3Request,
    incoming: http.IncomingMessage,
    response: http.ServerResponse,
    origin: Omit<RequestOrigin, 'accessKeyId'>,
  ) => {
    const form = await readPostForm(incoming, { fileSizeCap, spoolDir });
    try {
      await storePostUpload(request, form, incoming, response, origin);
    } finally {
      await form.discard();
    }
  };

  const storePostUpload = async (
    request: S3Request,
    form: PostForm,
    incoming: http.IncomingMessage,
    response: http.ServerResponse,
    origin: Omit<RequestOrigin, 'accessKeyId'>,
  ) => {
    if (form.file?.truncated) response.setHeader('Connection', 'close');
    const upload = await verifyPostUpload(form, request.bucket, settings);
    const refusal = authorizeS3(
      access,
      identityOf(upload.accessKeyId),
      { operation: 'PostObject', params: { Bucket: request.bucket, Key: upload.key } },
      s3RequestContext(origin.sourceIp),
      log,
    );
    if (refusal) throw refusal;
    await requireBucket(request.bucket);
    const versionId = versions.isVersioned(request.bucket) ? newVersionId() : undefined;
    const eventName = 'ObjectCreated:Post';
    const intentId = await notifier.expect({
      eventName,
      bucket: request.bucket,
      key: upload.key,
      ...(versionId === undefined ? {} : { versionId }),
      origin: { ...origin, accessKeyId: upload.accessKeyId },
    });
    const objectPath = encodeObjectPath(request.bucket, upload.key);
    const created = await announcedWrite(intentId, async () => {
      const stored = await backend.request({
        method: 'PUT',
        path: versionId === undefined ? objectPath : versionDataPath(request.bucket, versionId),
        headers: { ...upload.objectHeaders, 'content-length': upload.size },
        body: upload.read,
      });
      const storedBody = await readBody(stored, MAX_XML_BODY_BYTES);
      if (stored.statusCode !== 200) {
        await notifier.abandon(intentId);
        sendXml(response, stored.statusCode ?? 500, storedBody.toString('utf8'));
        return undefined;
      }
      const object = await describeStored(eventName, request.bucket, upload.key, versionId);
      await notifier.created(intentId, object);
      return object;
    });
    if (!created) return;
    const eTag = created.eTag;
    const versionHeader = versionId === undefined ? {} : { 'x-amz-version-id': versionId };
    const location = `http://${incoming.headers.host ?? '127.0.0.1'}${objectPath}`;
    const success = postSuccess(form.fields, { bucket: request.bucket, key: upload.key, eTag });
    if (success.kind === 'redirect') {
      response.writeHead(303, { Location: success.location, ETag: eTag, ...versionHeader }).end();
    } else if (success.status === 201) {
      const xml =
        '<?xml version="1.0" encoding="UTF-8"?>\n<PostResponse>' +
        `<Location>${escapeXml(location)}</Location><Bucket>${escapeXml(request.bucket)}</Bucket>` +
        `<Key>${escapeXml(upload.key)}</Key><ETag>${escapeXml(eTag)}</ETag></PostResponse>`;
      sendXml(response, 201, xml, { ETag: eTag, Location: location, ...versionHeader });
    } else {
      response.writeHead(success.status, { ETag: eTag, Location: location, ...versionHeader }).end();
    }
  };

  /** PUT, copy and CompleteMultipartUpload: stored with a pending notification, recorded before answering. */
  const handleCreation = async (
    eventName: ObjectCreatedEventName,
    request: S3Request,
    incoming: http.IncomingMessage,
    response: http.ServerResponse,
    origin: RequestOrigin,
  ) => {
    const { bucket, key } = request;
    const versioned = versions.isVersioned(bucket);
    const answerHeaders: Record<string, string> = versioned ? {} : refuseUnversionedVersionId(request);
    if (
      versioned &&
      (eventName === 'ObjectCreated:CompleteMultipartUpload' || request.params.has('uploads'))
    ) {
      throw new S3RequestError(
        'NotImplemented',
        501,
        'The local S3 does not support multipart uploads to versioned buckets; use PutObject or a POST upload.',
      );
    }
    if (incoming.headers['if-none-match'] === '*') {
      const exists = versioned
        ? (await versions.current(bucket, key))?.deleteMarker === false
        : await backend.store.existsObject(bucket, key);
      if (exists) {
        // Conditional write (PutObject IfNoneMatch '*'): never overwrite an existing object.
        throw new S3RequestError(
          'PreconditionFailed',
          412,
          'At least one of the pre-conditions you specified did not hold',
          { Condition: 'If-None-Match' },
        );
      }
    }
    const forwardHeaders: http.OutgoingHttpHeaders = {};
    const copySourceHeader = singleHeader(incoming.headers['x-amz-copy-source']);
    if (eventName === 'ObjectCreated:Copy' && copySourceHeader !== undefined) {
      const source = parseCopySource(copySourceHeader);
      if (versions.isVersioned(source.bucket)) {
        const version = await versionToCopy(versions, source);
        forwardHeaders['x-amz-copy-source'] = versionDataPath(source.bucket, version.versionId);
        answerHeaders['x-amz-copy-source-version-id'] = version.versionId;
      } else {
        if (source.versionId !== undefined && source.versionId !== NULL_VERSION_ID) {
          throw invalidVersionId(source.versionId);
        }
        forwardHeaders['x-amz-copy-source'] = encodeObjectPath(source.bucket, source.key);
      }
    }
    const versionId = versioned ? newVersionId() : undefined;
    const intentId = await notifier.expect({
      eventName,
      bucket,
      key,
      ...(versionId === undefined ? {} : { versionId }),
      origin,
    });
    await announcedWrite(intentId, () =>
      forwardToBackend(backend, request, incoming, response, {
        ...(versionId === undefined ? {} : { path: versionDataPath(bucket, versionId) }),
        headers: forwardHeaders,
        beforeResponding: async (status) => {
          if (status !== 200) {
            await notifier.abandon(intentId);
            return answerHeaders;
          }
          await notifier.created(intentId, await describeStored(eventName, bucket, key, versionId));
          return versionId === undefined
            ? answerHeaders
            : { ...answerHeaders, 'x-amz-version-id': versionId };
        },
      }),
    );
  };

  const handleVersionedRead = async (
    request: S3Request,
    incoming: http.IncomingMessage,
    response: http.ServerResponse,
  ) => {
    const version = await objects.versionToRead(
      request.bucket,
      request.key,
      request.params.get('versionId'),
      request.method,
    );
    await forwardToBackend(backend, request, incoming, response, {
      path: versionDataPath(request.bucket, version.versionId),
      beforeResponding: async () => ({ 'x-amz-version-id': version.versionId }),
    });
  };

  const deleteVersioned = async (
    bucket: string,
    key: string,
    versionId: string | undefined,
    origin: RequestOrigin,
  ) => {
    const result = await objects.deleteObject(bucket, key, versionId);
    if (result.markerCreated || result.versionRemoved) {
      await notifier.removed(
        {
          eventName: result.markerCreated ? 'ObjectRemoved:DeleteMarkerCreated' : 'ObjectRemoved:Delete',
          bucket,
          key,
          versionId: result.versionId,
        },
        origin,
      );
    }
    return result;
  };

  const handleDeleteObjects = async (
    request: S3Request,
    incoming: http.IncomingMessage,
    response: http.ServerResponse,
    origin: RequestOrigin,
  ) => {
    await requireBucket(request.bucket);
    const deletion = parseDeleteRequest((await readBody(incoming, MAX_XML_BODY_BYTES)).toString('utf8'));
    const identity = identityOf(origin.accessKeyId);
    const xml = await deleteObjectsXml(deletion, async (key, versionId) => {
      // S3 authorizes each key of a multi-object delete: a refused key is an <Error> of the result.
      const refusal = authorizeS3(
        access,
        identity,
        {
          operation: 'DeleteObject',
          params: {
            Bucket: request.bucket,
            Key: key,
            ...(versionId === undefined ? {} : { VersionId: versionId }),
          },
        },
        s3RequestContext(origin.sourceIp),
        log,
      );
      if (refusal) return { error: refusal };
      try {
        if (versions.isVersioned(request.bucket)) {
          return deleteOutcome(await deleteVersioned(request.bucket, key, versionId, origin), versionId);
        }
        if (versionId !== undefined && versionId !== NULL_VERSION_ID) {
          return {
            error: new S3RequestError('NoSuchVersion', 404, 'The specified version does not exist.'),
          };
        }
        if (await backend.store.existsObject(request.bucket, key)) {
          await backend.store.deleteObject(request.bucket, key);
        }
        return versionId === undefined ? {} : { versionId };
      } catch (error) {
        if (error instanceof S3RequestError) return { error };
        throw error;
      }
    });
    sendXml(response, 200, xml);
  };

  const handleAuthenticated = async (
    request: S3Request,
    incoming: http.IncomingMessage,
    response: http.ServerResponse,
    origin: RequestOrigin,
  ) => {
    if (INTERNAL_BUCKETS.has(request.bucket)) throw noSuchBucket(request.bucket);
    if (request.bucket === '' && request.method === 'GET') {
      const buckets = await backend.store.listBuckets();
      sendXml(
        response,
        200,
        listBucketsXml(
          buckets.filter((bucket) => !INTERNAL_BUCKETS.has(bucket.name)),
          OWNER,
        ),
      );
      return;
    }
    const versioned = versions.isVersioned(request.bucket);
    if (isBucketOperation(request, 'GET', 'versions')) {
      await requireBucket(request.bucket);
      const query = readListVersionsQuery(request.bucket, request.params);
      const page = versioned
        ? await versions.listVersions(request.bucket, query)
        : await unversionedVersionsPage(backend.store, query);
      sendXml(response, 200, listVersionsXml(query, page, OWNER));
      return;
    }
    if (isBucketOperation(request, 'POST', 'delete')) {
      await handleDeleteObjects(request, incoming, response, origin);
      return;
    }
    if (versioned && request.key === '' && request.method === 'GET') {
      if (request.params.has('versioning')) {
        sendXml(
          response,
          200,
          '<?xml version="1.0" encoding="UTF-8"?>\n' +
            '<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>Enabled</Status></VersioningConfiguration>',
        );
        return;
      }
      if ([...request.params.keys()].every((name) => LIST_OBJECTS_PARAMS.has(name))) {
        const query = readListObjectsQuery(request.bucket, request.params);
        const page = await versions.listCurrent(request.bucket, query);
        sendXml(response, 200, listObjectsXml(query, page, OWNER));
        return;
      }
    }
    const eventName = creationEventName(request);
    if (eventName !== undefined) {
      await handleCreation(eventName, request, incoming, response, origin);
      return;
    }
    if (versioned && request.key !== '' && (request.method === 'GET' || request.method === 'HEAD')) {
      const subresource = VERSIONED_UNSUPPORTED_SUBRESOURCES.find((name) => request.params.has(name));
      if (subresource !== undefined) {
        throw new S3RequestError(
          'NotImplemented',
          501,
          `The local S3 does not support ?${subresource} on objects of versioned buckets.`,
        );
      }
      await handleVersionedRead(request, incoming, response);
      return;
    }
    if (versioned && request.key !== '' && request.method === 'DELETE' && !request.params.has('uploadId')) {
      const result = await deleteVersioned(
        request.bucket,
        request.key,
        request.params.get('versionId'),
        origin,
      );
      response.writeHead(204, deleteHeaders(result)).end();
      return;
    }
    if (versioned && request.key !== '' && request.params.has('uploads')) {
      throw new S3RequestError(
        'NotImplemented',
        501,
        'The local S3 does not support multipart uploads to versioned buckets; use PutObject or a POST upload.',
      );
    }
    const versionHeader = request.key === '' ? {} : refuseUnversionedVersionId(request);
    await forwardToBackend(backend, request, incoming, response, {
      beforeResponding: async () => versionHeader,
    });
  };

  const handle = async (incoming: http.IncomingMessage, response: http.ServerResponse) => {
    const requestId = randomBytes(8).toString('hex').toUpperCase();
    const hostId = randomBytes(24).toString('base64');
    response.setHeader('x-amz-request-id', requestId);
    response.setHeader('x-amz-id-2', hostId);
    try {
      const request = parseS3Request(incoming);
      const corsRules = corsRulesByBucket.get(request.bucket);
      const originHeader = singleHeader(incoming.headers.origin);
      if (request.method === 'OPTIONS') {
        const headers = answerPreflight(
          corsRules,
          originHeader,
          singleHeader(incoming.headers['access-control-request-method']),
          singleHeader(incoming.headers['access-control-request-headers']),
        );
        response.writeHead(200, headers).end();
        return;
      }
      for (const [name, value] of Object.entries(
        headersForActualRequest(corsRules, originHeader, request.method),
      )) {
        response.setHeader(name, value);
      }
      const sourceIp = (incoming.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
      const origin = { sourceIp, requestId, hostId };
      if (isPostUpload(request)) {
        await handlePostUpload(request, incoming, response, origin);
        return;
      }
      const accessKeyId = await authenticate(request);
      if (!isBucketOperation(request, 'POST', 'delete')) {
        const refusal = authorizeS3(
          access,
          identityOf(accessKeyId),
          s3Operation(request),
          s3RequestContext(sourceIp),
          log,
        );
        if (refusal) throw refusal;
      }
      await handleAuthenticated(request, incoming, response, { ...origin, accessKeyId });
    } catch (error) {
      sendError(response, error, requestId);
    }
  };

  /** Objects stored before the bucket was versioned (older data directories) become its first versions. */
  const adoptUnversionedObjects = async (bucket: string) => {
    const { objects: stored } = await backend.store.listObjects(bucket, {});
    for (const object of stored) {
      const versionId = newVersionId();
      const copied = await backend.request({
        method: 'PUT',
        path: versionDataPath(bucket, versionId),
        headers: {
          'x-amz-copy-source': encodeObjectPath(bucket, object.key),
          'x-amz-metadata-directive': 'COPY',
        },
      });
      await readBody(copied, MAX_XML_BODY_BYTES);
      if (copied.statusCode !== 200) {
        throw new Error(`could not keep ${bucket}/${object.key} as a version: HTTP ${copied.statusCode}`);
      }
      await objects.recordStored(bucket, object.key, versionId);
      await backend.store.deleteObject(bucket, object.key);
    }
    if (stored.length > 0)
      log(`kept ${stored.length} objects of ${bucket} stored before versioning as versions`);
  };
  try {
    for (const bucket of versionedNames) await adoptUnversionedObjects(bucket);
  } catch (error) {
    await closeOpened(error);
  }

  let recovery: Promise<void> | undefined;
  const inFlight = new Set<Promise<void>>();
  const server = http.createServer((incoming, response) => {
    const handling: Promise<void> = handle(incoming, response).finally(() => inFlight.delete(handling));
    inFlight.add(handling);
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch(closeOpened);
  const endpoint = `http://${host}:${(server.address() as AddressInfo).port}`;
  log(`S3 endpoint listening on ${endpoint} (data in ${options.dataDir})`);

  return {
    endpoint,
    deliverPending: () => {
      recovery ??= notifier.recover(resolveIntent);
      return recovery;
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const unfinished = inFlight.size;
      if (!(await withTimeout(Promise.all([...inFlight]), DRAIN_TIMEOUT_MS)))
        log(
          `stopping: ${inFlight.size} of ${unfinished} requests in flight did not finish within ${DRAIN_TIMEOUT_MS / 1000} s; their connections are closed`,
        );
      server.closeAllConnections();
      await closed;
      await notifier.close(DRAIN_TIMEOUT_MS);
      // A recovery stops after the intent it is resolving, which may still read or add versions;
      // its failure, if any, is its caller's to report.
      await Promise.allSettled([recovery]);
      await versions.close();
      await backend.close();
      fs.rmSync(spoolDir, { recursive: true, force: true });
    },
  };
}

/** True when `promise` settled within `timeoutMs`. */
async function withTimeout(promise: Promise<unknown>, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const settled = await Promise.race([
    promise.then(() => true),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    }),
  ]);
  clearTimeout(timer);
  return settled;
}
