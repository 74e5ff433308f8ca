/**
 * JWTs of the local HTTP API, RSA algorithms only, as API Gateway JWT authorizers support.
 * jose checks signatures; signing stays synchronous with node:crypto, because the runtime hands
 * out tokens synchronously (`app.token(userId)`) and jose only signs asynchronously.
 */
import { type KeyObject, sign } from 'node:crypto';
import {
  base64url,
  compactVerify,
  createLocalJWKSet,
  decodeJwt,
  type JSONWebKeySet,
  type JWTPayload,
} from 'jose';

export type { JWTPayload };

const RSA_DIGESTS = { RS256: 'sha256', RS384: 'sha384', RS512: 'sha512' } as const;
export type RsaAlgorithm = keyof typeof RSA_DIGESTS;
const RSA_ALGORITHMS = Object.keys(RSA_DIGESTS);

export function signJwt(
  payload: JWTPayload,
  privateKey: KeyObject,
  kid: string,
  alg: RsaAlgorithm = 'RS256',
): string {
  const encode = (value: unknown) => base64url.encode(JSON.stringify(value));
  const signingInput = `${encode({ alg, typ: 'JWT', kid })}.${encode(payload)}`;
  return `${signingInput}.${base64url.encode(sign(RSA_DIGESTS[alg], Buffer.from(signingInput), privateKey))}`;
}

/** Tokens whose signature a verifier remembers as checked (a client reuses its token for every call). */
const VERIFIED_TOKENS_KEPT = 256;

/**
 * Checks a token's signature against the key of `keys` its `kid` names, with an RSA algorithm
 * (never `none`, never HMAC); returns the payload with its claims unchecked (the authorizer checks them).
 * The keys never change, so a token string whose signature was checked once is not checked again:
 * an RSA verification costs more than the rest of a local API request.
 */
export function signatureVerifier(keys: JSONWebKeySet): (token: string) => Promise<JWTPayload> {
  const keySet = createLocalJWKSet(keys);
  const verified = new Set<string>();
  return async (token) => {
    if (!verified.has(token)) {
      await compactVerify(token, keySet, { algorithms: RSA_ALGORITHMS });
      if (verified.size >= VERIFIED_TOKENS_KEPT) verified.delete(verified.values().next().value as string);
      verified.add(token);
    }
    return decodeJwt(token);
  };
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
