/**
 * Verifies SigV4-signed S3 requests: presigned URLs (query string) and the Authorization header.
 * The checks of form (credential scope, dates, expiry) are S3's; the access key is looked up
 * (the administrator's, or a role session's with its session token) and the signature itself is
 * recomputed by re-signing the received request with `@smithy/signature-v4` and that key.
 */
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { Credentials } from '../iam';
import { accessDenied, invalidAccessKeyId, S3RequestError } from './errors';
import {
  type CredentialScope,
  canonicalUri,
  formatAmzDate,
  parseAmzDate,
  parseAuthorizationComponents,
  parseCredential,
  SIGV4_ALGORITHM,
  signaturesMatch,
} from './sigv4';

export interface VerifierSettings {
  /** The key behind an access key id, or undefined for a key nobody was given. */
  lookup: (accessKeyId: string) => Credentials | undefined;
  region: string;
  now: () => Date;
}

/** A credential scope whose access key exists, with that key. */
export interface KnownScope {
  scope: CredentialScope;
  credentials: Credentials;
}

export interface IncomingSignedRequest {
  method: string;
  rawPath: string;
  query: Array<[string, string]>;
  headers: Record<string, string | string[] | undefined>;
}

export type AuthMechanism = 'presigned-url' | 'authorization-header' | 'none';

const MAX_PRESIGNED_EXPIRY_SECONDS = 604800;
const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;
const PRESIGN_PARAMS = [
  'X-Amz-Algorithm',
  'X-Amz-Credential',
  'X-Amz-Signature',
  'X-Amz-Date',
  'X-Amz-SignedHeaders',
  'X-Amz-Expires',
] as const;

export function detectAuthMechanism(request: IncomingSignedRequest): AuthMechanism {
  if (request.query.some(([name]) => name === 'X-Amz-Algorithm')) return 'presigned-url';
  if (request.headers.authorization !== undefined) return 'authorization-header';
  return 'none';
}

const queryError = (message: string) => new S3RequestError('AuthorizationQueryParametersError', 400, message);
const headerError = (message: string) => new S3RequestError('AuthorizationHeaderMalformed', 400, message);

/**
 * Checks the access key and region of a credential scope and the session token sent with it
 * (header, query parameter or POST field); `fail` builds the mechanism-specific error.
 */
export function checkCredentialScope(
  credential: string,
  sessionToken: string | undefined,
  settings: VerifierSettings,
  fail: (message: string) => S3RequestError,
): KnownScope {
  const scope = parseCredential(credential);
  if (scope?.service !== 's3' || scope.terminator !== 'aws4_request' || !/^\d{8}$/.test(scope.date)) {
    throw fail(
      `Error parsing the credential '${credential}'; expected <key>/<date>/<region>/s3/aws4_request`,
    );
  }
  const credentials = settings.lookup(scope.accessKeyId);
  if (!credentials) throw invalidAccessKeyId(scope.accessKeyId);
  if (scope.region !== settings.region) {
    throw fail(`The region '${scope.region}' is wrong; expecting '${settings.region}'`);
  }
  checkSessionToken(credentials, sessionToken);
  return { scope, credentials };
}

/**
 * A role session's key is valid only with its session token. Without one, S3 does not know the
 * temporary key (InvalidAccessKeyId); with another one, or a token sent with a long-term key, it
 * answers InvalidToken (400, "The provided token is malformed or otherwise invalid.").
 */
function checkSessionToken(credentials: Credentials, sessionToken: string | undefined): void {
  if (sessionToken === credentials.sessionToken) return;
  if (sessionToken === undefined) throw invalidAccessKeyId(credentials.accessKeyId);
  throw new S3RequestError('InvalidToken', 400, 'The provided token is malformed or otherwise invalid.', {
    Token: sessionToken,
  });
}

type SignerRequest = Parameters<SignatureV4['presign']>[0];

/** A signer that remembers the canonical request and string to sign it built, for SignatureDoesNotMatch. */
class RecordingSigner extends SignatureV4 {
  canonicalRequest = '';
  stringToSign = '';

  protected override createCanonicalRequest(...args: [SignerRequest, Record<string, string>, string]) {
    this.canonicalRequest = super.createCanonicalRequest(...args);
    return this.canonicalRequest;
  }

  protected override async createStringToSign(...args: [string, string, string, string]) {
    this.stringToSign = await super.createStringToSign(...args);
    return this.stringToSign;
  }
}

/**
 * A signer with the key of a checked credential scope (S3 paths are not escaped twice). Its
 * session token is left out: the token the client sent is already among the signed headers or
 * query parameters, and was checked.
 */
function localSigner({ scope, credentials }: KnownScope): RecordingSigner {
  return new RecordingSigner({
    service: scope.service,
    region: scope.region,
    credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey },
    sha256: Hash.bind(null, 'sha256'),
    uriEscapePath: false,
    applyChecksum: false,
  });
}

/** The hex signature of `text` (e.g. a POST policy) with the signing key of the scope's day. */
export async function signWithScope(known: KnownScope, text: string): Promise<string> {
  return localSigner(known).sign(text, {
    signingDate: parseAmzDate(`${known.scope.date}T000000Z`) ?? new Date(Number.NaN),
  });
}

interface SignedParts {
  signedAt: Date;
  signedHeaders: string[];
  signature: string;
  payloadHash: string;
  /** Presigned URLs only: X-Amz-Expires. */
  expiresIn?: number;
}

/** Re-signs the received request with the local key, over exactly the headers the client signed. */
async function verifySignature(
  request: IncomingSignedRequest,
  known: KnownScope,
  signed: SignedParts,
): Promise<void> {
  const { scope } = known;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  headers['x-amz-content-sha256'] = signed.payloadHash;
  const query: Record<string, string | string[]> = {};
  for (const [name, value] of request.query) {
    const previous = query[name];
    query[name] = previous === undefined ? value : [previous, value].flat();
  }
  const signableHeaders = new Set(signed.signedHeaders);
  const unsignableHeaders = new Set(Object.keys(headers).filter((name) => !signableHeaders.has(name)));
  const signer = localSigner(known);
  const toSign = {
    method: request.method,
    protocol: 'http:',
    hostname: '',
    path: canonicalUri(request.rawPath),
    query,
    headers,
  };
  const options = { signingDate: signed.signedAt, signableHeaders, unsignableHeaders };
  const expected =
    signed.expiresIn === undefined
      ? /Signature=(\w+)/.exec(String((await signer.sign(toSign, options)).headers.authorization))?.[1]
      : (
          await signer.presign(toSign, {
            ...options,
            expiresIn: signed.expiresIn,
            unhoistableHeaders: new Set(Object.keys(headers)),
          })
        ).query?.['X-Amz-Signature'];
  if (typeof expected !== 'string' || !signaturesMatch(expected, signed.signature)) {
    throw new S3RequestError(
      'SignatureDoesNotMatch',
      403,
      'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
      {
        AWSAccessKeyId: scope.accessKeyId,
        StringToSign: signer.stringToSign,
        SignatureProvided: signed.signature,
        CanonicalRequest: signer.canonicalRequest,
      },
    );
  }
}

function parseSignedHeaders(value: string): string[] {
  return value
    .split(';')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== '');
}

/** Verifies a presigned URL (query-string SigV4); returns the access key id. */
export async function verifyPresignedUrl(
  request: IncomingSignedRequest,
  settings: VerifierSettings,
): Promise<string> {
  const params = new Map(request.query);
  const missing = PRESIGN_PARAMS.filter((name) => !params.has(name));
  if (missing.length > 0) {
    throw queryError(
      'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.',
    );
  }
  const read = (name: (typeof PRESIGN_PARAMS)[number]) => params.get(name) ?? '';
  if (read('X-Amz-Algorithm') !== SIGV4_ALGORITHM) {
    throw queryError(`X-Amz-Algorithm only supports "${SIGV4_ALGORITHM}"`);
  }
  const known = checkCredentialScope(
    read('X-Amz-Credential'),
    params.get('X-Amz-Security-Token'),
    settings,
    (message) => queryError(`Error parsing the X-Amz-Credential parameter; ${message}`),
  );
  const signedAt = parseAmzDate(read('X-Amz-Date'));
  if (!signedAt) throw queryError("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"");
  const expiresIn = Number(read('X-Amz-Expires'));
  if (!Number.isInteger(expiresIn) || expiresIn < 0) {
    throw queryError('X-Amz-Expires should be a number');
  }
  if (expiresIn > MAX_PRESIGNED_EXPIRY_SECONDS) {
    throw queryError('X-Amz-Expires must be less than a week (in seconds) that is 604800');
  }
  const now = settings.now();
  const expiresAt = new Date(signedAt.getTime() + expiresIn * 1000);
  if (now.getTime() > expiresAt.getTime()) {
    throw accessDenied('Request has expired', {
      'X-Amz-Expires': expiresIn,
      Expires: formatIso(expiresAt),
      ServerTime: formatIso(now),
    });
  }
  if (signedAt.getTime() - now.getTime() > MAX_CLOCK_SKEW_MS) {
    throw accessDenied('Request is not valid yet');
  }
  await verifySignature(request, known, {
    signedAt,
    signedHeaders: parseSignedHeaders(read('X-Amz-SignedHeaders')),
    signature: read('X-Amz-Signature'),
    payloadHash: params.get('X-Amz-Content-Sha256') ?? 'UNSIGNED-PAYLOAD',
    expiresIn,
  });
  return known.scope.accessKeyId;
}

function formatIso(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function parseAuthorizationHeader(value: string): {
  credential: string;
  signedHeaders: string;
  signature: string;
} {
  const { algorithm, components } = parseAuthorizationComponents(value);
  if (algorithm !== SIGV4_ALGORITHM) {
    throw new S3RequestError('InvalidArgument', 400, 'Unsupported Authorization Type', {
      ArgumentName: 'Authorization',
      ArgumentValue: value,
    });
  }
  const credential = components.get('Credential');
  const signedHeaders = components.get('SignedHeaders');
  const signature = components.get('Signature');
  if (credential === undefined || signedHeaders === undefined || signature === undefined) {
    throw headerError(
      'The authorization header is malformed; the authorization header requires three components: Credential, SignedHeaders, and Signature.',
    );
  }
  return { credential, signedHeaders, signature };
}

function singleHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Verifies a request signed with the Authorization header; returns the access key id. */
export async function verifyAuthorizationHeader(
  request: IncomingSignedRequest,
  settings: VerifierSettings,
): Promise<string> {
  const header = parseAuthorizationHeader(singleHeader(request.headers.authorization) ?? '');
  const known = checkCredentialScope(
    header.credential,
    singleHeader(request.headers['x-amz-security-token']),
    settings,
    (message) => headerError(`The authorization header is malformed; ${message}`),
  );
  const payloadHash = singleHeader(request.headers['x-amz-content-sha256']);
  if (payloadHash === undefined) {
    throw new S3RequestError(
      'InvalidRequest',
      400,
      'Missing required header for this request: x-amz-content-sha256',
    );
  }
  const amzDate = singleHeader(request.headers['x-amz-date']);
  const signedAt = amzDate === undefined ? undefined : parseAmzDate(amzDate);
  if (amzDate === undefined || !signedAt) {
    throw accessDenied('AWS authentication requires a valid Date or x-amz-date header');
  }
  const now = settings.now();
  if (Math.abs(now.getTime() - signedAt.getTime()) > MAX_CLOCK_SKEW_MS) {
    throw new S3RequestError(
      'RequestTimeTooSkewed',
      403,
      'The difference between the request time and the current time is too large.',
      { RequestTime: amzDate, ServerTime: formatAmzDate(now), MaxAllowedSkewMilliseconds: MAX_CLOCK_SKEW_MS },
    );
  }
  await verifySignature(request, known, {
    signedAt,
    signedHeaders: parseSignedHeaders(header.signedHeaders),
    signature: header.signature,
    payloadHash,
  });
  return known.scope.accessKeyId;
}
