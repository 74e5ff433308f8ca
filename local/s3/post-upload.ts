/** Verification of browser POST uploads (SigV4 POST policy) and what to store and answer once accepted. */
import type { Readable } from 'node:stream';
import { invalidArgument, S3RequestError } from './errors';
import type { PostForm } from './post-form';
import {
  checkContentLength,
  checkFieldConditions,
  checkNotExpired,
  decodePostPolicy,
  maxAllowedSize,
  type PostPolicy,
} from './post-policy';
import { checkCredentialScope, signWithScope, type VerifierSettings } from './request-auth';
import { SIGV4_ALGORITHM, signaturesMatch } from './sigv4';

/** Largest POST upload accepted when the policy sets no content-length-range. */
export const MAX_POST_UPLOAD_BYTES = 256 * 1024 * 1024;
/** Bytes read past the policy's maximum before giving up, so that small overruns report their exact size. */
export const OVERSIZE_READ_MARGIN = 64 * 1024;

/** The key variable S3 replaces with the uploaded file's name. */
const FILENAME_VARIABLE = '$' + '{filename}';

/** Headers stored with the object when they are sent as form fields. */
const STORED_HEADER_FIELDS = [
  'cache-control',
  'content-disposition',
  'content-encoding',
  'content-type',
  'expires',
  'x-amz-storage-class',
  'x-amz-website-redirect-location',
];

export interface AcceptedUpload {
  key: string;
  accessKeyId: string;
  size: number;
  /** The file's bytes, read again from the start at each call. */
  read(): Readable;
  /** Headers for storing the object: content headers and x-amz-meta-* metadata. */
  objectHeaders: Record<string, string>;
}

/** How many file bytes are worth reading, given the fields sent before the file. */
export function fileSizeCap(fields: Map<string, string>): number {
  const policy = fields.get('policy');
  if (policy === undefined) return 0;
  try {
    return (
      Math.min(maxAllowedSize(decodePostPolicy(policy)) ?? MAX_POST_UPLOAD_BYTES, MAX_POST_UPLOAD_BYTES) +
      OVERSIZE_READ_MARGIN
    );
  } catch {
    return 0;
  }
}

function requireField(fields: Map<string, string>, name: string): string {
  const value = fields.get(name);
  if (value === undefined) {
    throw invalidArgument(
      `Bucket POST must contain a field named '${name}'.  If it is specified, please check the order of the fields.`,
      { ArgumentName: name, ArgumentValue: '' },
    );
  }
  return value;
}

async function verifyPolicySignature(
  fields: Map<string, string>,
  policyBase64: string,
  settings: VerifierSettings,
): Promise<string> {
  const algorithm = requireField(fields, 'x-amz-algorithm');
  if (algorithm !== SIGV4_ALGORITHM) {
    throw invalidArgument(`X-Amz-Algorithm only supports "${SIGV4_ALGORITHM}"`, {
      ArgumentName: 'x-amz-algorithm',
      ArgumentValue: algorithm,
    });
  }
  const known = checkCredentialScope(
    requireField(fields, 'x-amz-credential'),
    fields.get('x-amz-security-token'),
    settings,
    (message) => invalidArgument(`Error parsing the X-Amz-Credential parameter; ${message}`),
  );
  requireField(fields, 'x-amz-date');
  const signature = requireField(fields, 'x-amz-signature');
  if (!signaturesMatch(await signWithScope(known, policyBase64), signature)) {
    throw new S3RequestError(
      'SignatureDoesNotMatch',
      403,
      'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
      { AWSAccessKeyId: known.scope.accessKeyId, StringToSign: policyBase64, SignatureProvided: signature },
    );
  }
  return known.scope.accessKeyId;
}

function objectHeaders(fields: Map<string, string>): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of fields) {
    if (STORED_HEADER_FIELDS.includes(name) || name.startsWith('x-amz-meta-')) headers[name] = value;
  }
  headers['content-type'] ??= 'binary/octet-stream';
  return headers;
}

/** Checks a POST upload the way S3 does (signature, expiry, conditions, size); throws the S3 error. */
export async function verifyPostUpload(
  form: PostForm,
  bucket: string,
  settings: VerifierSettings,
): Promise<AcceptedUpload> {
  const { fields, file } = form;
  const policyBase64 = fields.get('policy');
  if (policyBase64 === undefined) throw new S3RequestError('AccessDenied', 403, 'Access Denied');
  const accessKeyId = await verifyPolicySignature(fields, policyBase64, settings);
  const policy: PostPolicy = decodePostPolicy(policyBase64);
  checkNotExpired(policy, settings.now());
  const rawKey = requireField(fields, 'key');
  if (!file) {
    throw invalidArgument('POST requires exactly one file upload per request.', {
      ArgumentName: 'file',
      ArgumentValue: '0',
    });
  }
  const key = rawKey.split(FILENAME_VARIABLE).join(file.filename);
  if (key === '') throw invalidArgument('User key must have a length greater than 0.');
  checkFieldConditions(policy, { fields: new Map(fields).set('key', key), bucket });
  checkContentLength(policy, file.size);
  if (file.truncated) {
    throw new S3RequestError('EntityTooLarge', 400, 'Your proposed upload exceeds the maximum allowed size', {
      ProposedSize: file.size,
      MaxSizeAllowed: MAX_POST_UPLOAD_BYTES,
    });
  }
  return { key, accessKeyId, size: file.size, read: file.read, objectHeaders: objectHeaders(fields) };
}

export type PostSuccess =
  | { kind: 'redirect'; location: string }
  | { kind: 'status'; status: 200 | 201 | 204 };

/** success_action_redirect (or the older `redirect`) wins; otherwise success_action_status, 204 by default. */
export function postSuccess(
  fields: Map<string, string>,
  result: { bucket: string; key: string; eTag: string },
): PostSuccess {
  const redirect = fields.get('success_action_redirect') ?? fields.get('redirect');
  if (redirect) {
    try {
      const url = new URL(redirect);
      url.searchParams.set('bucket', result.bucket);
      url.searchParams.set('key', result.key);
      url.searchParams.set('etag', result.eTag);
      return { kind: 'redirect', location: url.toString() };
    } catch {
      // S3 ignores a redirect that is not a URL and falls back to the status.
    }
  }
  const status = Number(fields.get('success_action_status'));
  return { kind: 'status', status: status === 200 || status === 201 ? status : 204 };
}
