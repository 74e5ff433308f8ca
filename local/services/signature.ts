/**
 * SigV4 verification for the local services other than S3 (DynamoDB, EventBridge, Step Functions,
 * SES, SNS, Secrets Manager, SSM, Rekognition, CloudFront): the access key is looked up, its
 * session token checked, and the signature recomputed by re-signing the received request with
 * `@smithy/signature-v4` over exactly the headers the client signed. Clock skew is not checked.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { Credentials, Identity } from '../iam';
import {
  parseAmzDate,
  parseAuthorizationComponents,
  parseCredential,
  SIGV4_ALGORITHM,
  signaturesMatch,
} from '../s3/sigv4';

export interface SignedRequest {
  method: string;
  /** The path as received (still percent-encoded), without the query string. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface KeyLookup {
  lookup(accessKeyId: string): { readonly credentials: Credentials; readonly identity: Identity } | undefined;
}

/**
 * Why a signature was refused: no Authorization header, one that is not SigV4 or lacks a part,
 * an access key nobody was given or a session token that is not its own, or a signature that
 * the key does not give.
 */
export type SignatureProblem = 'missing' | 'incomplete' | 'unknown-key' | 'mismatch';

export class SignatureError extends Error {
  constructor(
    readonly problem: SignatureProblem,
    message: string,
  ) {
    super(message);
    this.name = 'SignatureError';
  }
}

export interface VerifiedSignature {
  identity: Identity;
  accessKeyId: string;
  /** The signing name of the credential scope (`dynamodb`, `states`, `email`, …). */
  signingName: string;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

/** Verifies the Authorization header of a request; throws a SignatureError. */
export async function verifySignature(request: SignedRequest, keys: KeyLookup): Promise<VerifiedSignature> {
  const authorization = header(request.headers, 'authorization');
  if (authorization === undefined) throw new SignatureError('missing', 'no Authorization header');
  if (!authorization.startsWith(`${SIGV4_ALGORITHM} `))
    throw new SignatureError('incomplete', `Authorization header is not ${SIGV4_ALGORITHM}`);
  const parts = parseAuthorizationComponents(authorization).components;
  const credential = parseCredential(parts.get('Credential') ?? '');
  const signedHeaders = parts.get('SignedHeaders');
  const signature = parts.get('Signature');
  const amzDate = header(request.headers, 'x-amz-date');
  const signedAt = amzDate ? parseAmzDate(amzDate) : undefined;
  // AWS's wording: one sentence per missing part, then the header as received.
  const missing = [
    ...(['Credential', 'Signature', 'SignedHeaders'] as const)
      .filter((name) => !parts.get(name))
      .map((name) => `Authorization header requires '${name}' parameter.`),
    ...(signedAt
      ? []
      : ["Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."]),
  ];
  if (missing.length > 0 || !credential || !signedHeaders || !signature || !signedAt)
    throw new SignatureError(
      'incomplete',
      `${missing.length > 0 ? missing.join(' ') : `Credential '${parts.get('Credential')}' is not <key>/<date>/<region>/<service>/aws4_request.`} Authorization=${authorization}`,
    );
  const { accessKeyId, region, service: signingName } = credential;
  const known = keys.lookup(accessKeyId);
  if (!known) throw new SignatureError('unknown-key', `access key ${accessKeyId} is unknown`);
  if (header(request.headers, 'x-amz-security-token') !== known.credentials.sessionToken)
    throw new SignatureError('unknown-key', `access key ${accessKeyId} came without its session token`);

  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const signable = new Set(signedHeaders.split(';').map((name) => name.trim().toLowerCase()));
  const query: Record<string, string | string[]> = {};
  for (const [name, value] of request.query) {
    const previous = query[name];
    query[name] = previous === undefined ? value : [previous, value].flat();
  }
  // The session token is left out of the signer's key: the client's token header is signed as sent.
  const signer = new SignatureV4({
    service: signingName,
    region,
    credentials: {
      accessKeyId: known.credentials.accessKeyId,
      secretAccessKey: known.credentials.secretAccessKey,
    },
    sha256: Hash.bind(null, 'sha256'),
    applyChecksum: false,
  });
  const signed = await signer.sign(
    {
      method: request.method,
      protocol: 'http:',
      hostname: '',
      path: request.path,
      query,
      headers,
      body: request.body,
    },
    {
      signingDate: signedAt,
      signableHeaders: signable,
      unsignableHeaders: new Set(Object.keys(headers).filter((name) => !signable.has(name))),
    },
  );
  const expected = /Signature=([0-9a-f]+)/.exec(String(signed.headers.authorization))?.[1] ?? '';
  if (!signaturesMatch(expected, signature))
    throw new SignatureError('mismatch', 'the signature does not match');
  return { identity: known.identity, accessKeyId, signingName };
}
