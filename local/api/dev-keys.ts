/**
 * The local development signing key: one RS256 key pair per data directory, kept as a private
 * JWK in `<dataDir>/jwt/dev-key.json`, used to sign dev tokens and by the local JWT authorizer.
 */
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { type JWTPayload, parseDurationSeconds, signatureVerifier, signJwt } from './jwt';
import type { JwtAuthorizerConfig } from './jwt-authorizer';

export const DEFAULT_DATA_DIR = '.local';
export const DEFAULT_ISSUER = 'https://happy-path.local/';
export const DEFAULT_AUDIENCE = 'happy-path-api';

export interface DevKeys {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** The public key as a JWK (with kid, alg and use), e.g. for a JWKS document. */
  publicJwk: JsonWebKey;
}

export function devKeyPath(dataDir: string): string {
  return path.join(dataDir, 'jwt', 'dev-key.json');
}

/** RFC 7638 SHA-256 thumbprint of the public key: a stable key id. */
function thumbprint(jwk: JsonWebKey): Promise<string> {
  return calculateJwkThumbprint(jwk as JWK);
}

async function fromPrivateJwk(jwk: JsonWebKey): Promise<DevKeys> {
  const privateKey = createPrivateKey({ key: jwk, format: 'jwk' });
  const publicKey = createPublicKey(privateKey);
  const exported = publicKey.export({ format: 'jwk' });
  const kid = typeof jwk.kid === 'string' ? jwk.kid : await thumbprint(exported);
  return { kid, privateKey, publicKey, publicJwk: { ...exported, kid, alg: 'RS256', use: 'sig' } };
}

async function createKeyFile(file: string): Promise<void> {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' });
  const content = JSON.stringify({ ...jwk, kid: await thumbprint(jwk), alg: 'RS256', use: 'sig' }, null, 2);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, `${content}\n`, { mode: 0o600 });
  try {
    // link fails if another process created the key first: theirs wins, everyone shares one key.
    fs.linkSync(temporary, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    fs.rmSync(temporary, { force: true });
  }
}

/** The data directory's key pair, created on first use and reused afterwards. */
export async function loadOrCreateDevKeys(dataDir: string): Promise<DevKeys> {
  const file = devKeyPath(dataDir);
  if (!fs.existsSync(file)) await createKeyFile(file);
  const jwk = JSON.parse(await fs.promises.readFile(file, 'utf8')) as JsonWebKey;
  return fromPrivateJwk(jwk);
}

export interface DevTokenOptions {
  dataDir: string;
  issuer?: string;
  audience?: string | string[];
  /** The user id, `sub`. */
  subject: string;
  /** `12h`, `30m`, `7d`... or seconds. */
  expiresIn?: string | number;
  /** Extra claims, e.g. `{ email: 'a@b.c', scope: 'photos/write' }`. */
  claims?: Record<string, unknown>;
  /** Milliseconds since the epoch; defaults to Date.now(). */
  now?: number;
}

export function signWithDevKeys(keys: DevKeys, options: Omit<DevTokenOptions, 'dataDir'>): string {
  const issuedAt = Math.floor((options.now ?? Date.now()) / 1000);
  const payload: JWTPayload = {
    ...options.claims,
    iss: options.issuer ?? DEFAULT_ISSUER,
    aud: options.audience ?? DEFAULT_AUDIENCE,
    sub: options.subject,
    iat: issuedAt,
    exp: issuedAt + parseDurationSeconds(options.expiresIn ?? '12h'),
  };
  return signJwt(payload, keys.privateKey, keys.kid);
}

/** A signed RS256 JWT for `subject`, with the data directory's dev key. */
export async function signDevToken(options: DevTokenOptions): Promise<string> {
  const keys = await loadOrCreateDevKeys(options.dataDir);
  return signWithDevKeys(keys, options);
}

/** JWT authorizer settings for the local HTTP API that trust tokens signed with `keys`. */
export function verifier(
  keys: DevKeys,
  options: { issuer: string; audience: string | string[] },
): JwtAuthorizerConfig {
  return {
    issuer: options.issuer,
    audience: Array.isArray(options.audience) ? options.audience : [options.audience],
    verify: signatureVerifier({ keys: [keys.publicJwk as JWK] }),
  };
}
