import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { decodeJwt, decodeProtectedHeader, importJWK, type JWK, jwtVerify } from 'jose';
import {
  DEFAULT_AUDIENCE,
  DEFAULT_ISSUER,
  devKeyPath,
  loadOrCreateDevKeys,
  signDevToken,
  verifier,
} from '../../../local/api/dev-keys';
import { parseTokenCliArguments, TokenCliUsageError } from '../../../local/api/token-cli';

const run = promisify(execFile);
/** These tests spawn node/tsx; on a busy machine that takes far longer than jest's 5 s default. */
const SPAWN_TIMEOUT_MS = 60_000;
const ROOT = path.resolve(__dirname, '../../..');

/** Verifies a token with jose and the public half of the stored key, as a JWT library elsewhere would. */
async function verifyWithJose(token: string, jwkFile: string, issuer: string, audience: string) {
  const { d, p, q, dp, dq, qi, ...publicJwk } = JSON.parse(fs.readFileSync(jwkFile, 'utf8')) as JWK;
  return jwtVerify(token, await importJWK(publicJwk, 'RS256'), { issuer, audience });
}

describe('local development keys and tokens', () => {
  let dataDir: string;

  beforeAll(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'api-dev-keys-'));
  });

  afterAll(() => {
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('creates the key pair once under <dataDir>/jwt/dev-key.json and reuses it', async () => {
    const first = await loadOrCreateDevKeys(dataDir);
    const second = await loadOrCreateDevKeys(dataDir);

    const stored = JSON.parse(fs.readFileSync(devKeyPath(dataDir), 'utf8')) as Record<string, unknown>;
    expect(devKeyPath(dataDir)).toBe(path.join(dataDir, 'jwt', 'dev-key.json'));
    expect(stored).toMatchObject({ kty: 'RSA', alg: 'RS256', kid: first.kid });
    expect(second.kid).toBe(first.kid);
    expect(second.publicJwk).toEqual(first.publicJwk);
    expect(first.publicJwk).not.toHaveProperty('d');
  });

  it('signs RS256 tokens with sub, iss, aud, iat and a 12 hour expiry by default', async () => {
    const now = Date.UTC(2030, 0, 1);

    const token = await signDevToken({ dataDir, subject: 'user-42', now, claims: { email: 'a@b.test' } });

    const header = decodeProtectedHeader(token);
    const payload = decodeJwt(token);
    expect(header).toEqual({ alg: 'RS256', typ: 'JWT', kid: (await loadOrCreateDevKeys(dataDir)).kid });
    expect(payload).toEqual({
      email: 'a@b.test',
      sub: 'user-42',
      iss: DEFAULT_ISSUER,
      aud: DEFAULT_AUDIENCE,
      iat: now / 1000,
      exp: now / 1000 + 12 * 3600,
    });
  });

  it('verifies its own tokens and refuses another key pair', async () => {
    const keys = await loadOrCreateDevKeys(dataDir);
    const otherDir = fs.mkdtempSync(path.join(os.tmpdir(), 'api-dev-keys-other-'));
    const foreign = await signDevToken({ dataDir: otherDir, subject: 'u' });
    const own = await signDevToken({ dataDir, subject: 'u' });
    const { verify } = verifier(keys, { issuer: DEFAULT_ISSUER, audience: DEFAULT_AUDIENCE });

    await expect(verify(own)).resolves.toMatchObject({ sub: 'u' });
    await expect(verify(foreign)).rejects.toThrow('no applicable key found in the JSON Web Key Set');
    fs.rmSync(otherDir, { recursive: true, force: true });
  });

  it('makes tokens that jose verifies with the public key', async () => {
    const token = await signDevToken({
      dataDir,
      subject: 'user-7',
      issuer: 'https://i.test/',
      audience: 'aud-x',
    });

    const verified = await verifyWithJose(token, devKeyPath(dataDir), 'https://i.test/', 'aud-x');

    expect(verified.payload).toMatchObject({ sub: 'user-7', iss: 'https://i.test/', aud: 'aud-x' });
    expect(verified.protectedHeader).toMatchObject({ alg: 'RS256' });
  });
});

describe('token CLI', () => {
  it('parses the user id and flags, with the documented defaults', () => {
    expect(parseTokenCliArguments(['alice'])).toEqual({
      userId: 'alice',
      approver: false,
      dataDir: '.local',
      issuer: 'https://happy-path.local/',
      audience: 'happy-path-api',
      expiresIn: '12h',
    });
    expect(
      parseTokenCliArguments(['--data-dir', '/tmp/x', 'bob', '--audience=a', '--issuer', 'https://i/']),
    ).toEqual({
      userId: 'bob',
      approver: false,
      dataDir: '/tmp/x',
      issuer: 'https://i/',
      audience: 'a',
      expiresIn: '12h',
    });
    expect(parseTokenCliArguments(['--approver', 'dana'])).toMatchObject({ userId: 'dana', approver: true });
  });

  it('refuses a missing user id, a second one or an unknown flag', () => {
    expect(() => parseTokenCliArguments([])).toThrow(TokenCliUsageError);
    expect(() => parseTokenCliArguments(['alice', 'bob'])).toThrow(TokenCliUsageError);
    expect(() => parseTokenCliArguments(['alice', '--verbose'])).toThrow(TokenCliUsageError);
    expect(() => parseTokenCliArguments(['alice', '--issuer'])).toThrow(TokenCliUsageError);
  });

  it(
    'prints only a token that verifies against the data directory key',
    async () => {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'api-token-cli-'));
      try {
        const { stdout } = await run(
          process.execPath,
          [
            '--import',
            'tsx',
            'local/api/token-cli.ts',
            'carol',
            '--data-dir',
            dataDir,
            '--audience',
            'happy-path-api',
          ],
          { cwd: ROOT },
        );

        expect(stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
        const verified = await verifyWithJose(
          stdout.trim(),
          devKeyPath(dataDir),
          DEFAULT_ISSUER,
          DEFAULT_AUDIENCE,
        );
        expect(verified.payload.sub).toBe('carol');
      } finally {
        fs.rmSync(dataDir, { recursive: true, force: true });
      }
    },
    SPAWN_TIMEOUT_MS,
  );
});
