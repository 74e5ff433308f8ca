/**
 * The JWT authorizer of an HTTP API: token from the Authorization header (optionally `Bearer `),
 * signature, then `iss`, `aud` (or `client_id` when there is no `aud`), `exp`, `nbf`, `iat`, and the
 * route's scopes if it has any. Claims reach the integration as strings, as API Gateway passes them.
 */
import type { JwtAuthorizerContext } from './event';
import type { JWTPayload } from './jwt';

export interface JwtAuthorizerConfig {
  /** Must equal the token's `iss`. */
  issuer: string;
  /** The token's `aud` (or `client_id`) must contain one of these. */
  audience: string[];
  /** Checks the token's signature (throws if invalid) and returns its payload. */
  verify: (token: string) => Promise<JWTPayload>;
}

export type AuthorizationOutcome =
  | { authorized: true; context: JwtAuthorizerContext }
  | { authorized: false; statusCode: 401 | 403; message: string; challenge?: string; reason: string };

function unauthorized(reason: string, description?: string): AuthorizationOutcome {
  const challenge =
    description === undefined
      ? 'Bearer'
      : `Bearer scope="" error="invalid_token" error_description="${description}"`;
  return { authorized: false, statusCode: 401, message: 'Unauthorized', challenge, reason };
}

/** The token in an Authorization header value: the whole value, or what follows `Bearer `. */
export function extractToken(authorization: string | undefined): string | undefined {
  const value = authorization?.trim();
  if (!value) return undefined;
  const bearer = /^bearer\s+(.+)$/i.exec(value);
  return (bearer ? bearer[1] : value)?.trim() || undefined;
}

function claimToString(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return `[${value.map(claimToString).join(' ')}]`;
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return String(value);
}

/** Claims as API Gateway hands them to the integration: every value a string, arrays as `[a b]`. */
export function stringifyClaims(payload: JWTPayload): Record<string, string> {
  const claims: Record<string, string> = {};
  for (const [name, value] of Object.entries(payload)) claims[name] = claimToString(value);
  return claims;
}

function audiences(payload: JWTPayload): string[] {
  if (payload.aud !== undefined) return Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  return typeof payload.client_id === 'string' ? [payload.client_id] : [];
}

function tokenScopes(payload: JWTPayload): string[] {
  const raw = payload.scope ?? payload.scp;
  if (typeof raw === 'string') return raw.split(' ').filter(Boolean);
  return Array.isArray(raw) ? raw.filter((scope): scope is string => typeof scope === 'string') : [];
}

function isNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

export interface AuthorizeOptions {
  /** Milliseconds since the epoch. */
  now: number;
  /** Scopes the route requires; the token needs one of them. None: any valid token. */
  routeScopes?: string[];
}

export async function authorizeRequest(
  config: JwtAuthorizerConfig,
  authorizationHeader: string | undefined,
  options: AuthorizeOptions,
): Promise<AuthorizationOutcome> {
  const token = extractToken(authorizationHeader);
  if (!token) return unauthorized('no token in the Authorization header');

  let payload: JWTPayload;
  try {
    payload = await config.verify(token);
  } catch (error) {
    return unauthorized(
      `signature check failed: ${(error as Error).message}`,
      'the token has an invalid signature',
    );
  }

  const nowSeconds = options.now / 1000;
  if (payload.iss !== config.issuer) {
    return unauthorized(
      `issuer ${String(payload.iss)} is not ${config.issuer}`,
      'the token has an invalid issuer',
    );
  }
  if (!audiences(payload).some((audience) => config.audience.includes(audience))) {
    return unauthorized(
      'no accepted audience in aud or client_id',
      'the token does not have a valid audience',
    );
  }
  if (!isNumber(payload.exp) || payload.exp <= nowSeconds) {
    return unauthorized('the token is expired or has no exp', 'the token has expired');
  }
  if (payload.nbf !== undefined && (!isNumber(payload.nbf) || payload.nbf > nowSeconds)) {
    return unauthorized('the token is not valid yet (nbf)', 'the token is not valid yet');
  }
  if (payload.iat !== undefined && (!isNumber(payload.iat) || payload.iat > nowSeconds)) {
    return unauthorized('the token was issued in the future (iat)', 'the token is not valid yet');
  }

  const routeScopes = options.routeScopes ?? [];
  if (routeScopes.length === 0) {
    return { authorized: true, context: { claims: stringifyClaims(payload), scopes: null } };
  }
  const granted = tokenScopes(payload).filter((scope) => routeScopes.includes(scope));
  if (granted.length === 0) {
    return {
      authorized: false,
      statusCode: 403,
      message: 'Forbidden',
      reason: 'the token lacks the route scopes',
    };
  }
  return { authorized: true, context: { claims: stringifyClaims(payload), scopes: granted } };
}
