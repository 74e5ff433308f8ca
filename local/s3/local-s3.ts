/**
 * The local S3 endpoint: a verifying front server (SigV4 presigned URLs and Authorization headers,
 * POST policies, CORS, a single-version view of versioning, object-created notifications) in front
 * of an s3rver instance that stores the data on disk.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { S3EventRecord } from 'aws-lambda';
import { escapeXml } from '../xml';
import { type Backend, readBody, startBackend } from './backend';
import { answerPreflight, type CfnCorsRule, headersForActualRequest } from './cors';
import { accessDenied, errorToXml, S3RequestError } from './errors';
import { createNotifier, type RequestOrigin } from './notifier';
import { readPostForm } from './post-form';
import { fileSizeCap, postSuccess, verifyPostUpload } from './post-upload';
import { forwardToBackend } from './proxy';
import {
  type AccessKey,
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
import { deleteObjectsXml, listVersionsXml, parseDeleteRequest, readListVersionsQuery } from './versions';

export interface LocalS3Bucket {
  name: string;
  corsRules?: CfnCorsRule[];
}

export interface LocalS3Options {
  dataDir: string;
  host?: string;
  port?: number;
  region: string;
  /** The only key pair accepted; requests signed with anything else are refused. */
  credentials: AccessKey;
  buckets: LocalS3Bucket[];
  /** Called after every object creation (POST upload, PUT, copy, completed multipart upload). */
  onObjectCreated?: (record: S3EventRecord) => void | Promise<void>;
  log?: (line: string) => void;
  /** Clock for signature expiry and event times; defaults to the system clock. */
  now?: () => Date;
}

export interface LocalS3 {
  /** `http://HOST:PORT`, for AWS_ENDPOINT_URL_S3 (the SDK then addresses buckets path-style). */
  endpoint: string;
  /** Stops accepting requests, waits for notification deliveries, stops s3rver. */
  close(): Promise<void>;
}

const OWNER = { id: 'local-s3-owner', displayName: 'local' };
const MAX_XML_BODY_BYTES = 2 * 1024 * 1024;

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
  const settings: VerifierSettings = { credentials: options.credentials, region: options.region, now };
  const corsRulesByBucket = new Map(options.buckets.map((bucket) => [bucket.name, bucket.corsRules]));
  const backend: Backend = await startBackend(
    options.dataDir,
    options.buckets.map((bucket) => bucket.name),
  );
  const notifier = createNotifier({
    region: options.region,
    ownerId: OWNER.id,
    now,
    onObjectCreated: options.onObjectCreated,
    log,
  });

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
    else sendXml(response, s3Error.status, errorToXml(s3Error, requestId));
  };

  const authenticate = (request: S3Request): string => {
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

  const handlePostUpload = async (
    request: S3Request,
    incoming: http.IncomingMessage,
    response: http.ServerResponse,
    origin: Omit<RequestOrigin, 'accessKeyId'>,
  ) => {
    const form = await readPostForm(incoming, { fileSizeCap });
    if (form.file?.truncated) response.setHeader('Connection', 'close');
    const upload = verifyPostUpload(form, request.bucket, settings);
    const objectPath = encodeObjectPath(request.bucket, upload.key);
    const stored = await backend.request({
      method: 'PUT',
      path: objectPath,
      headers: { ...upload.objectHeaders, 'content-length': upload.data.length },
      body: upload.data,
    });
    const storedBody = await readBody(stored, MAX_XML_BODY_BYTES);
    if (stored.statusCode !== 200) {
      sendXml(response, stored.statusCode ?? 500, storedBody.toString('utf8'));
      return;
    }
    const eTag = singleHeader(stored.headers.etag) ?? '';
    const location = `http://${incoming.headers.host ?? '127.0.0.1'}${objectPath}`;
    const success = postSuccess(form.fields, { bucket: request.bucket, key: upload.key, eTag });
    if (success.kind === 'redirect') {
      response.writeHead(303, { Location: success.location, ETag: eTag }).end();
    } else if (success.status === 201) {
      const xml =
        '<?xml version="1.0" encoding="UTF-8"?>\n<PostResponse>' +
        `<Location>${escapeXml(location)}</Location><Bucket>${escapeXml(request.bucket)}</Bucket>` +
        `<Key>${escapeXml(upload.key)}</Key><ETag>${escapeXml(eTag)}</ETag></PostResponse>`;
      sendXml(response, 201, xml, { ETag: eTag, Location: location });
    } else {
      response.writeHead(success.status, { ETag: eTag, Location: location }).end();
    }
    notifier.notify(
      {
        eventName: 'ObjectCreated:Post',
        bucket: request.bucket,
        key: upload.key,
        size: upload.data.length,
        eTag,
      },
      { ...origin, accessKeyId: upload.accessKeyId },
    );
  };

  const handleAuthenticated = async (
    request: S3Request,
    incoming: http.IncomingMessage,
    response: http.ServerResponse,
    origin: RequestOrigin,
  ) => {
    if (isBucketOperation(request, 'GET', 'versions')) {
      await requireBucket(request.bucket);
      const query = readListVersionsQuery(request.bucket, request.params);
      sendXml(response, 200, await listVersionsXml(backend.store, query, OWNER));
      return;
    }
    if (isBucketOperation(request, 'POST', 'delete')) {
      await requireBucket(request.bucket);
      const deletion = parseDeleteRequest((await readBody(incoming, MAX_XML_BODY_BYTES)).toString('utf8'));
      sendXml(response, 200, (await deleteObjectsXml(backend.store, request.bucket, deletion)).xml);
      return;
    }
    if (
      request.method === 'PUT' &&
      request.key &&
      incoming.headers['if-none-match'] === '*' &&
      (await backend.store.existsObject(request.bucket, request.key))
    ) {
      // Conditional write (PutObject IfNoneMatch '*'): never overwrite an existing object.
      throw new S3RequestError(
        'PreconditionFailed',
        412,
        'At least one of the pre-conditions you specified did not hold',
        {
          Condition: 'If-None-Match',
        },
      );
    }
    const eventName = creationEventName(request);
    let created: { size: number; eTag: string } | undefined;
    await forwardToBackend(backend, request, incoming, response, async (status) => {
      if (eventName === undefined || status !== 200) return;
      const metadata = await backend.store.getMetadata(request.bucket, request.key);
      created = { size: Number(metadata['content-length'] ?? 0), eTag: metadata.etag ?? '' };
    });
    if (eventName !== undefined && created) {
      notifier.notify({ eventName, bucket: request.bucket, key: request.key, ...created }, origin);
    }
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
      const accessKeyId = authenticate(request);
      await handleAuthenticated(request, incoming, response, { ...origin, accessKeyId });
    } catch (error) {
      sendError(response, error, requestId);
    }
  };

  const server = http.createServer((incoming, response) => {
    void handle(incoming, response);
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const endpoint = `http://${host}:${(server.address() as AddressInfo).port}`;
  log(`S3 endpoint listening on ${endpoint} (data in ${options.dataDir})`);

  return {
    endpoint,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await notifier.settled();
      await backend.close();
    },
  };
}
