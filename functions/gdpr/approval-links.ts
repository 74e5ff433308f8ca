import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Signed approval links. A link names an approval, a decision and an expiry, and carries an
 * HMAC-SHA256 of exactly those three over a versioned, newline-separated message, so none of them
 * can be changed without the signing key. The Step Functions task token never leaves the table.
 *
 *   <base>/gdpr/approvals/<approvalId>?decision=approve&expires=<unix seconds>&signature=<base64url>
 */

export type LinkDecision = 'approve' | 'reject';

export interface ApprovalLink {
  approvalId: string;
  decision: LinkDecision;
  /** Unix time in seconds after which the link no longer works. */
  expires: number;
}

/** The parameters a link arrives with (path, query string or form fields), unvalidated. */
export interface LinkParameters {
  approvalId?: unknown;
  decision?: unknown;
  expires?: unknown;
  signature?: unknown;
}

export type LinkCheck =
  | { valid: true; link: ApprovalLink }
  | { valid: false; reason: 'malformed' | 'forged' | 'expired' };

/** 16 random bytes, base64url (22 characters): unguessable, and safe in a URL path. */
export const APPROVAL_ID_PATTERN = /^[A-Za-z0-9_-]{22}$/;
const EXPIRES_PATTERN = /^[1-9]\d{0,11}$/;
/** A base64url HMAC-SHA256 without padding is 43 characters. */
const SIGNATURE_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export function newApprovalId(): string {
  return randomBytes(16).toString('base64url');
}

export function isApprovalId(value: unknown): value is string {
  return typeof value === 'string' && APPROVAL_ID_PATTERN.test(value);
}

function mac(key: Buffer, link: ApprovalLink): Buffer {
  return createHmac('sha256', key)
    .update(`v1\n${link.approvalId}\n${link.decision}\n${link.expires}`)
    .digest();
}

/** The link's signature, base64url. */
export function signApprovalLink(key: Buffer, link: ApprovalLink): string {
  return mac(key, link).toString('base64url');
}

/** The full link for one decision, under `baseUrl` (no trailing slash). */
export function approvalLinkUrl(baseUrl: string, key: Buffer, link: ApprovalLink): string {
  const query = new URLSearchParams({
    decision: link.decision,
    expires: String(link.expires),
    signature: signApprovalLink(key, link),
  });
  return `${baseUrl}/gdpr/approvals/${encodeURIComponent(link.approvalId)}?${query.toString()}`;
}

/**
 * Checks a link: its shape (`malformed`), then its signature in constant time (`forged`: any
 * changed id, decision, expiry or signature), then its expiry (`expired`). Order matters: an
 * attacker learns nothing about expiry from a link that is not authentic.
 */
export function verifyApprovalLink(key: Buffer, parameters: LinkParameters, now = new Date()): LinkCheck {
  const { approvalId, decision, expires, signature } = parameters;
  if (
    !isApprovalId(approvalId) ||
    (decision !== 'approve' && decision !== 'reject') ||
    typeof expires !== 'string' ||
    !EXPIRES_PATTERN.test(expires) ||
    typeof signature !== 'string' ||
    !SIGNATURE_PATTERN.test(signature)
  ) {
    return { valid: false, reason: 'malformed' };
  }
  const link: ApprovalLink = { approvalId, decision, expires: Number(expires) };
  const given = Buffer.from(signature, 'base64url');
  // Only the canonical encoding: the last character's two spare bits must be zero.
  if (given.toString('base64url') !== signature) return { valid: false, reason: 'malformed' };
  const expected = mac(key, link);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { valid: false, reason: 'forged' };
  }
  if (link.expires * 1000 <= now.getTime()) return { valid: false, reason: 'expired' };
  return { valid: true, link };
}
