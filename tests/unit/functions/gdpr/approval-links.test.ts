import { randomBytes } from 'node:crypto';
import {
  type ApprovalLink,
  approvalLinkUrl,
  isApprovalId,
  newApprovalId,
  signApprovalLink,
  verifyApprovalLink,
} from '../../../../functions/gdpr/approval-links';

const key = Buffer.from('approval-link-signing-key-for-unit-tests-0123456789', 'utf8');
const now = new Date('2026-11-26T12:00:00.000Z');
const link: ApprovalLink = { approvalId: 'q3Vx9kT2mN8pR4sW7yZ1bA', decision: 'approve', expires: 1796212800 };

/** The parameters as they arrive from a link: strings. */
function parametersOf(signed: ApprovalLink, signature = signApprovalLink(key, signed)) {
  return {
    approvalId: signed.approvalId,
    decision: signed.decision,
    expires: String(signed.expires),
    signature,
  };
}

/** The same signature with one character changed (still well-formed base64url). */
function flipCharacter(signature: string, index: number): string {
  const replacement = signature[index] === 'A' ? 'B' : 'A';
  return `${signature.slice(0, index)}${replacement}${signature.slice(index + 1)}`;
}

describe('approval links', () => {
  it('makes 22-character url-safe approval ids that differ every time', () => {
    const ids = new Set(Array.from({ length: 50 }, () => newApprovalId()));

    expect(ids.size).toBe(50);
    for (const id of ids) expect(isApprovalId(id)).toBe(true);
  });

  it('accepts a link it signed, until it expires', () => {
    const check = verifyApprovalLink(key, parametersOf(link), now);

    expect(check).toEqual({ valid: true, link });
  });

  it('builds a link whose query string verifies and needs no escaping', () => {
    const url = new URL(approvalLinkUrl('https://api.example.com', key, { ...link, decision: 'reject' }));

    expect(url.origin + url.pathname).toBe('https://api.example.com/gdpr/approvals/q3Vx9kT2mN8pR4sW7yZ1bA');
    expect(url.search).toMatch(/^\?decision=reject&expires=1796212800&signature=[A-Za-z0-9_-]{43}$/);
    const check = verifyApprovalLink(
      key,
      {
        approvalId: 'q3Vx9kT2mN8pR4sW7yZ1bA',
        decision: url.searchParams.get('decision'),
        expires: url.searchParams.get('expires'),
        signature: url.searchParams.get('signature'),
      },
      now,
    );
    expect(check).toEqual({ valid: true, link: { ...link, decision: 'reject' } });
  });

  it('refuses an approve link turned into a reject link as forged', () => {
    const parameters = { ...parametersOf(link), decision: 'reject' };

    expect(verifyApprovalLink(key, parameters, now)).toEqual({ valid: false, reason: 'forged' });
  });

  it('refuses a link whose expiry was pushed back as forged', () => {
    const parameters = { ...parametersOf(link), expires: String(link.expires + 86_400) };

    expect(verifyApprovalLink(key, parameters, now)).toEqual({ valid: false, reason: 'forged' });
  });

  it("refuses a signature moved to another approval's link as forged", () => {
    const parameters = { ...parametersOf(link), approvalId: 'AAAAAAAAAAAAAAAAAAAAAA' };

    expect(verifyApprovalLink(key, parameters, now)).toEqual({ valid: false, reason: 'forged' });
  });

  it('refuses a signature with one character changed as forged', () => {
    const signature = signApprovalLink(key, link);
    const parameters = parametersOf(link, flipCharacter(signature, 5));

    expect(verifyApprovalLink(key, parameters, now)).toEqual({ valid: false, reason: 'forged' });
  });

  it('refuses a link signed with another key as forged', () => {
    const parameters = parametersOf(link, signApprovalLink(randomBytes(32), link));

    expect(verifyApprovalLink(key, parameters, now)).toEqual({ valid: false, reason: 'forged' });
  });

  it('refuses an authentic link once its expiry has passed', () => {
    const atExpiry = new Date(link.expires * 1000);

    expect(verifyApprovalLink(key, parametersOf(link), atExpiry)).toEqual({
      valid: false,
      reason: 'expired',
    });
  });

  it('refuses a forged link as forged even when it has also expired', () => {
    const parameters = { ...parametersOf(link), decision: 'reject' };

    expect(verifyApprovalLink(key, parameters, new Date('2030-01-01T00:00:00Z'))).toEqual({
      valid: false,
      reason: 'forged',
    });
  });

  it.each([
    ['a missing signature', { signature: undefined }],
    ['a truncated signature', { signature: 'abc' }],
    ['a signature with padding', { signature: `${'A'.repeat(42)}=` }],
    ['a non-canonical signature encoding', { signature: 'last-char-spare-bits' }],
    ['an unknown decision', { decision: 'delete' }],
    ['a decision in capitals', { decision: 'APPROVE' }],
    ['an expiry that is not a number', { expires: 'tomorrow' }],
    ['an expiry with a fraction', { expires: '1796212800.5' }],
    ['an expiry given as a number', { expires: 1796212800 }],
    ['an approval id of the wrong length', { approvalId: 'short' }],
    ['an approval id with a slash', { approvalId: 'q3Vx9kT2mN8pR4sW7yZ1/A' }],
    ['repeated query parameters joined by a comma', { decision: 'approve,reject' }],
  ])('refuses a link with %s as malformed', (_, change) => {
    const parameters = { ...parametersOf(link), ...change };
    if ('signature' in change && change.signature === 'last-char-spare-bits') {
      // Same bytes, different text: the last character of 43 carries two spare bits.
      const signature = signApprovalLink(key, link);
      const last = signature.at(-1) ?? 'A';
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      const sibling = alphabet[alphabet.indexOf(last) ^ 1] ?? 'A';
      parameters.signature = `${signature.slice(0, -1)}${sibling}`;
      expect(Buffer.from(parameters.signature, 'base64url')).toEqual(Buffer.from(signature, 'base64url'));
    }

    expect(verifyApprovalLink(key, parameters, now)).toEqual({ valid: false, reason: 'malformed' });
  });
});
