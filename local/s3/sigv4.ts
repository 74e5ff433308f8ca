/** What S3 parses of a SigV4 request before the signature is recomputed (see request-auth.ts). */
import { timingSafeEqual } from 'node:crypto';

export const SIGV4_ALGORITHM = 'AWS4-HMAC-SHA256';

export interface CredentialScope {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  terminator: string;
}

/** Constant-time comparison of two hex signatures. */
export function signaturesMatch(expected: string, provided: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(provided.toLowerCase(), 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** RFC 3986 encoding: everything except A-Z a-z 0-9 - . _ ~ is percent-encoded (UTF-8, upper-case hex). */
export function uriEncode(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function decodeComponent(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** The canonical URI of a raw request path: each segment decoded once, then encoded per RFC 3986. */
export function canonicalUri(rawPath: string): string {
  return rawPath
    .split('/')
    .map((segment) => uriEncode(decodeComponent(segment)))
    .join('/');
}

/** Splits a raw query string into decoded name/value pairs, keeping order and duplicates. */
export function parseQuery(rawQuery: string): Array<[string, string]> {
  if (rawQuery === '') return [];
  return rawQuery
    .split('&')
    .filter((part) => part !== '')
    .map((part) => {
      const equals = part.indexOf('=');
      const name = equals === -1 ? part : part.slice(0, equals);
      const value = equals === -1 ? '' : part.slice(equals + 1);
      return [decodeComponent(name), decodeComponent(value)];
    });
}

/**
 * Splits an `Authorization` header value into its algorithm and its `Name=value` components
 * (`Credential`, `SignedHeaders`, `Signature`); each service words its own error for a bad one.
 */
export function parseAuthorizationComponents(value: string): {
  algorithm: string;
  components: Map<string, string>;
} {
  const space = value.indexOf(' ');
  const components = new Map<string, string>();
  if (space === -1) return { algorithm: value, components };
  for (const part of value.slice(space + 1).split(',')) {
    const equals = part.indexOf('=');
    if (equals !== -1) components.set(part.slice(0, equals).trim(), part.slice(equals + 1).trim());
  }
  return { algorithm: value.slice(0, space), components };
}

/** Parses `AKID/20240101/eu-west-1/s3/aws4_request`; undefined when it does not have five parts. */
export function parseCredential(credential: string): CredentialScope | undefined {
  const parts = credential.split('/');
  if (parts.length !== 5) return undefined;
  const [accessKeyId, date, region, service, terminator] = parts as [string, string, string, string, string];
  return { accessKeyId, date, region, service, terminator };
}

/** Parses an ISO 8601 basic timestamp (20240101T120000Z). */
export function parseAmzDate(value: string): Date | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second] = match.map(Number) as number[];
  return new Date(Date.UTC(year ?? 0, (month ?? 1) - 1, day, hour, minute, second));
}

export function formatAmzDate(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}
