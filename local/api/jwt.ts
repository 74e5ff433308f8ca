/**
 * Compact JWS (JWT) signing and signature checks with node:crypto, RSA algorithms only, as
 * API Gateway JWT authorizers support. (jose is ESM-only and cannot load under the jest setup.)
 */
import { createHash, type KeyObject, sign, verify } from 'node:crypto';
import type { JWTPayload } from 'jose';

export type { JWTPayload };

const RSA_ALGORITHMS = { RS256: 'sha256', RS384: 'sha384', RS512: 'sha512' } as const;
export type RsaAlgorithm = keyof typeof RSA_ALGORITHMS;

export class InvalidTokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidTokenError';
  }
}

export interface JwtHeader {
  alg: string;
  typ?: string;
  kid?: string;
}

function encodeSegment(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

function decodeSegment(segment: string, what: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    if (typeof value === 'object' && value !== null && !Array.isArray(value))
      return value as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new InvalidTokenError(`the token ${what} is not a JSON object`);
}

export function signJwt(
  payload: JWTPayload,
  privateKey: KeyObject,
  kid: string,
  alg: RsaAlgorithm = 'RS256',
): string {
  const signingInput = `${encodeSegment({ alg, typ: 'JWT', kid })}.${encodeSegment(payload)}`;
  const signature = sign(RSA_ALGORITHMS[alg], Buffer.from(signingInput), privateKey);
  return `${signingInput}.${signature.toString('base64url')}`;
}

export interface DecodedJwt {
  header: JwtHeader;
  payload: JWTPayload;
  signingInput: string;
  signature: Buffer;
}

/** Splits and decodes a compact JWT without checking anything but its shape. */
export function decodeJwt(token: string): DecodedJwt {
  const parts = token.split('.');
  if (parts.length !== 3 || parts.some((part) => !/^[A-Za-z0-9_-]*$/.test(part))) {
    throw new InvalidTokenError('the token is not a compact JWT');
  }
  const [headerPart = '', payloadPart = '', signaturePart = ''] = parts;
  const header = decodeSegment(headerPart, 'header');
  if (typeof header.alg !== 'string') throw new InvalidTokenError('the token header has no alg');
  return {
    header: header as unknown as JwtHeader,
    payload: decodeSegment(payloadPart, 'payload') as JWTPayload,
    signingInput: `${headerPart}.${payloadPart}`,
    signature: Buffer.from(signaturePart, 'base64url'),
  };
}

/** Checks the signature against the public key whose id is `kid`; returns the payload, claims unchecked. */
export function verifyJwtSignature(token: string, publicKey: KeyObject, kid: string): JWTPayload {
  const decoded = decodeJwt(token);
  const digest = RSA_ALGORITHMS[decoded.header.alg as RsaAlgorithm];
  if (!digest) throw new InvalidTokenError(`the token algorithm ${decoded.header.alg} is not supported`);
  if (decoded.header.kid !== kid) throw new InvalidTokenError('the token key id does not match a known key');
  if (!verify(digest, Buffer.from(decoded.signingInput), publicKey, decoded.signature)) {
    throw new InvalidTokenError('the token signature is invalid');
  }
  return decoded.payload;
}

/** RFC 7638 SHA-256 thumbprint of an RSA public JWK, base64url: a stable key id. */
export function rsaThumbprint(jwk: { e?: string; n?: string }): string {
  const canonical = JSON.stringify({ e: jwk.e, kty: 'RSA', n: jwk.n });
  return createHash('sha256').update(canonical).digest('base64url');
}

const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** Seconds in `45s`, `30m`, `12h`, `7d`, `1w`, or a plain number of seconds. */
export function parseDurationSeconds(duration: string | number): number {
  if (typeof duration === 'number' && Number.isFinite(duration) && duration >= 0) return Math.floor(duration);
  const match = /^(\d+)\s*([smhdw])$/.exec(String(duration).trim());
  const unit = match ? DURATION_UNITS[match[2] ?? ''] : undefined;
  if (!match || unit === undefined) throw new RangeError(`Invalid duration: ${String(duration)}`);
  return Number(match[1]) * unit;
}
