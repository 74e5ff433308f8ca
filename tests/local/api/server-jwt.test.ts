import { createHmac } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { decodeJwt } from 'jose';
import { type DevKeys, loadOrCreateDevKeys, signWithDevKeys, verifier } from '../../../local/api/dev-keys';
import type { HttpApiEvent } from '../../../local/api/event';
import { signJwt } from '../../../local/api/jwt';
import { HttpApiConfigurationError, type LocalHttpApi, startLocalHttpApi } from '../../../local/api/server';
import { recordingRoute } from './harness';

const ISSUER = 'https://issuer.test/';
const AUDIENCE = 'photos-api';

describe('local HTTP API JWT authorizer', () => {
  let dataDir: string;
  let keys: DevKeys;
  let otherKeys: DevKeys;
  let api: LocalHttpApi;
  const events: HttpApiEvent[] = [];

  function token(
    overrides: { issuer?: string; audience?: string | string[]; now?: number; claims?: object } = {},
  ) {
    return signWithDevKeys(keys, {
      issuer: overrides.issuer ?? ISSUER,
      audience: overrides.audience ?? AUDIENCE,
      subject: 'user-1',
      expiresIn: '1h',
      ...(overrides.now === undefined ? {} : { now: overrides.now }),
      ...(overrides.claims ? { claims: { ...overrides.claims } } : {}),
    });
  }

  function getPrivate(authorization?: string, pathname = '/private') {
    return fetch(`${api.url}${pathname}`, { headers: authorization ? { authorization } : {} });
  }

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'api-jwt-'));
    keys = await loadOrCreateDevKeys(path.join(dataDir, 'a'));
    otherKeys = await loadOrCreateDevKeys(path.join(dataDir, 'b'));
    api = await startLocalHttpApi({
      jwt: verifier(keys, { issuer: ISSUER, audience: [AUDIENCE, 'other-client'] }),
      routes: [
        recordingRoute('GET', '/private', events, { authorization: 'JWT' }),
        recordingRoute('GET', '/public', events, { authorization: 'NONE' }),
        recordingRoute('POST', '/scoped', events, {
          authorization: 'JWT',
          authorizationScopes: ['photos/write'],
        }),
      ],
    });
  });

  afterAll(async () => {
    await api.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  beforeEach(() => {
    events.length = 0;
  });

  it('passes a valid bearer token and hands its claims to the integration as strings', async () => {
    const valid = token({ claims: { groups: ['admin', 'editor'], email_verified: true, level: 3 } });

    const response = await getPrivate(`Bearer ${valid}`);

    expect(response.status).toBe(200);
    const jwt = events[0]?.requestContext.authorizer?.jwt;
    expect(jwt?.scopes).toBeNull();
    expect(jwt?.claims).toEqual({
      iss: ISSUER,
      aud: AUDIENCE,
      sub: 'user-1',
      iat: expect.stringMatching(/^\d+$/),
      exp: expect.stringMatching(/^\d+$/),
      groups: '[admin editor]',
      email_verified: 'true',
      level: '3',
    });
  });

  it('accepts a token again on its next call but refuses a copy of it with another payload', async () => {
    const valid = token();
    const [header, , signature] = valid.split('.');
    const forged = Buffer.from(JSON.stringify({ ...decodeJwt(valid), sub: 'admin' })).toString('base64url');

    const statuses = [
      (await getPrivate(`Bearer ${valid}`)).status,
      (await getPrivate(`Bearer ${valid}`)).status,
      (await getPrivate(`Bearer ${header}.${forged}.${signature}`)).status,
    ];

    expect(statuses).toEqual([200, 200, 401]);
    expect(events).toHaveLength(2);
  });

  it('accepts a token sent without the Bearer prefix', async () => {
    expect((await getPrivate(token())).status).toBe(200);
  });

  it('accepts a token without aud whose client_id is an accepted audience', async () => {
    const nowSeconds = Math.floor(Date.now() / 1000);
    const claims = { iss: ISSUER, client_id: 'other-client', sub: 'u', exp: nowSeconds + 60 };

    const response = await getPrivate(`Bearer ${signJwt(claims, keys.privateKey, keys.kid)}`);

    expect(response.status).toBe(200);
  });

  it('ignores client_id when the token has an aud that is not accepted', async () => {
    const nowSeconds = Math.floor(Date.now() / 1000);
    const claims = { iss: ISSUER, aud: 'nobody', client_id: AUDIENCE, sub: 'u', exp: nowSeconds + 60 };

    const response = await getPrivate(`Bearer ${signJwt(claims, keys.privateKey, keys.kid)}`);

    expect(response.status).toBe(401);
  });

  it('refuses a token without exp', async () => {
    const claims = { iss: ISSUER, aud: AUDIENCE, sub: 'u' };

    const response = await getPrivate(`Bearer ${signJwt(claims, keys.privateKey, keys.kid)}`);

    expect(response.status).toBe(401);
  });

  it.each([
    ['no token', undefined, 'Bearer'],
    ['an expired token', () => token({ now: Date.now() - 2 * 3600 * 1000 }), 'the token has expired'],
    ['a token from another issuer', () => token({ issuer: 'https://evil.test/' }), 'invalid issuer'],
    ['a token for another audience', () => token({ audience: 'someone-else' }), 'valid audience'],
    [
      'a token not valid before a later time',
      () => token({ claims: { nbf: Date.now() / 1000 + 600 } }),
      'not valid yet',
    ],
    [
      'a token with a tampered payload',
      () => {
        const [header, , signature] = token().split('.');
        const forged = Buffer.from(JSON.stringify({ iss: ISSUER, aud: AUDIENCE, sub: 'admin', exp: 9e9 }));
        return `${header}.${forged.toString('base64url')}.${signature}`;
      },
      'invalid signature',
    ],
    [
      'a token signed with another key',
      () => signWithDevKeys(otherKeys, { issuer: ISSUER, audience: AUDIENCE, subject: 'u' }),
      'invalid signature',
    ],
    ['a value that is not a JWT', () => 'not-a-jwt', 'invalid signature'],
    [
      'an unsigned token (alg none)',
      () => {
        const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT', kid: keys.kid }));
        const payload = Buffer.from(JSON.stringify(decodeJwt(token())));
        return `${header.toString('base64url')}.${payload.toString('base64url')}.`;
      },
      'invalid signature',
    ],
    [
      'a token signed with HS256 and the public key as the secret',
      () => {
        const header = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid: keys.kid })).toString(
          'base64url',
        );
        const payload = Buffer.from(JSON.stringify(decodeJwt(token()))).toString('base64url');
        const secret = keys.publicKey.export({ type: 'spki', format: 'pem' });
        const signature = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url');
        return `${header}.${payload}.${signature}`;
      },
      'invalid signature',
    ],
  ])('answers 401 Unauthorized for %s without invoking the route', async (_case, makeToken, challenge) => {
    const response = await getPrivate(makeToken ? `Bearer ${makeToken()}` : undefined);

    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ message: 'Unauthorized' });
    expect(response.headers.get('www-authenticate')).toContain(challenge);
    expect(events).toHaveLength(0);
  });

  it('lets anyone call a route whose authorization is NONE, without an authorizer context', async () => {
    const response = await fetch(`${api.url}/public`);

    expect(response.status).toBe(200);
    expect(events[0]?.requestContext.authorizer).toBeUndefined();
  });

  it('answers 403 Forbidden when the token lacks every scope the route requires', async () => {
    const response = await fetch(`${api.url}/scoped`, {
      method: 'POST',
      headers: { authorization: token() },
    });

    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({ message: 'Forbidden' });
  });

  it('passes the granted scopes when the token has one the route requires', async () => {
    const scoped = token({ claims: { scope: 'photos/read photos/write' } });

    const response = await fetch(`${api.url}/scoped`, { method: 'POST', headers: { authorization: scoped } });

    expect(response.status).toBe(200);
    expect(events[0]?.requestContext.authorizer?.jwt.scopes).toEqual(['photos/write']);
  });

  it('refuses to start with a JWT route but no JWT configuration', async () => {
    const starting = startLocalHttpApi({
      routes: [recordingRoute('GET', '/x', [], { authorization: 'JWT' })],
    });

    await expect(starting).rejects.toThrow(HttpApiConfigurationError);
  });
});
