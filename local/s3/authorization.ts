/**
 * IAM for the local S3: which operation a request is, in the SDK's shape, so that the signer's
 * policies (and the bucket policy) can be checked as S3 checks them.
 */
import {
  IamPolicyError,
  type Identity,
  type RequestContext,
  type ServiceAccess,
  type ServiceRequest,
} from '../iam';
import { S3RequestError } from './errors';
import { isBucketOperation, type S3Request, singleHeader } from './s3-request';

/**
 * The global condition keys S3 knows of a local request. The SDK reaches S3 over HTTPS on AWS,
 * so a local call counts as TLS: `aws:SecureTransport` is `true` (the templates' bucket policies
 * deny `false`).
 */
export function s3RequestContext(sourceIp: string): RequestContext {
  return { 'aws:SecureTransport': 'true', 'aws:SourceIp': sourceIp };
}

/** The operation a path-style request is (by method, key and sub-resources) and its parameters. */
export function s3Operation(request: S3Request): { operation: string; params: Record<string, unknown> } {
  const { bucket, key, params } = request;
  const Bucket = bucket;
  const VersionId = params.get('versionId');
  const versioned = VersionId === undefined ? {} : { VersionId };
  if (bucket === '') return { operation: request.method === 'GET' ? 'ListBuckets' : 'Unknown', params: {} };
  if (key === '') {
    const list = {
      Bucket,
      ...(params.has('prefix') ? { Prefix: params.get('prefix') } : {}),
      ...(params.has('delimiter') ? { Delimiter: params.get('delimiter') } : {}),
      ...(params.has('max-keys') ? { MaxKeys: params.get('max-keys') } : {}),
    };
    if (isBucketOperation(request, 'GET', 'versions'))
      return { operation: 'ListObjectVersions', params: list };
    if (isBucketOperation(request, 'GET', 'location'))
      return { operation: 'GetBucketLocation', params: { Bucket } };
    if (isBucketOperation(request, 'GET', 'versioning'))
      return { operation: 'GetBucketVersioning', params: { Bucket } };
    if (request.method === 'GET')
      return { operation: params.get('list-type') === '2' ? 'ListObjectsV2' : 'ListObjects', params: list };
    if (request.method === 'HEAD') return { operation: 'HeadBucket', params: { Bucket } };
    return { operation: `${request.method} bucket`, params: { Bucket } };
  }
  const object = { Bucket, Key: key };
  switch (request.method) {
    case 'GET':
      return params.has('tagging')
        ? { operation: 'GetObjectTagging', params: { ...object, ...versioned } }
        : { operation: 'GetObject', params: { ...object, ...versioned } };
    case 'HEAD':
      return { operation: 'HeadObject', params: { ...object, ...versioned } };
    case 'PUT': {
      if (params.has('uploadId')) return { operation: 'UploadPart', params: object };
      if (params.has('tagging')) return { operation: 'PutObjectTagging', params: object };
      const copySource = singleHeader(request.headers['x-amz-copy-source']);
      if (copySource !== undefined)
        return { operation: 'CopyObject', params: { ...object, CopySource: copySource } };
      const tagging = singleHeader(request.headers['x-amz-tagging']);
      return { operation: 'PutObject', params: { ...object, ...(tagging ? { Tagging: tagging } : {}) } };
    }
    case 'POST':
      if (params.has('uploads')) return { operation: 'CreateMultipartUpload', params: object };
      if (params.has('uploadId')) return { operation: 'CompleteMultipartUpload', params: object };
      return { operation: 'POST object', params: object };
    case 'DELETE':
      return params.has('uploadId')
        ? { operation: 'AbortMultipartUpload', params: object }
        : { operation: 'DeleteObject', params: { ...object, ...versioned } };
    default:
      return { operation: `${request.method} object`, params: object };
  }
}

/**
 * Whether the signer may make the operation; a refusal is the error S3 answers with (`AccessDenied`,
 * 403, the message naming principal, action and resource; AccessControl logs which statement is
 * missing). An operation the local IAM has no mapping for is refused too, saying so.
 */
export function authorizeS3(
  access: ServiceAccess,
  identity: Identity,
  call: { operation: string; params: Record<string, unknown> },
  context: RequestContext,
  log: (line: string) => void,
): S3RequestError | undefined {
  const request: ServiceRequest = { service: 's3', ...call, region: '', accountId: '' };
  try {
    const decision = access.authorize(identity, request, context);
    if (decision.allowed) return undefined;
    return new S3RequestError(decision.error.code, decision.error.statusCode, decision.error.message);
  } catch (error) {
    if (!(error instanceof IamPolicyError)) throw error;
    log(`IAM: ${error.message}`);
    if (!access.enforce) return undefined;
    return new S3RequestError('AccessDenied', 403, `Access Denied (local IAM: ${error.message})`);
  }
}
