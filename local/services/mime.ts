/**
 * Reads a SendRawEmail message with postal-mime and keeps what the outbox shows: addresses,
 * subject, text and HTML bodies (attachments are skipped).
 */
import PostalMime, { type Address } from 'postal-mime';

export interface ParsedEmail {
  from: string | undefined;
  to: string[];
  cc: string[];
  bcc: string[];
  replyTo: string[];
  subject: string;
  text: string | null;
  html: string | null;
}

export class MalformedMimeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedMimeError';
  }
}

export async function parseRawEmail(raw: Buffer): Promise<ParsedEmail> {
  // postal-mime reads a message without a body as all header; SES refuses it.
  if (!/\r?\n\r?\n/.test(raw.toString('latin1'))) {
    throw new MalformedMimeError('The message has no blank line between its header and body.');
  }
  const email = await PostalMime.parse(raw).catch((error: Error) => {
    throw new MalformedMimeError(`The message cannot be parsed: ${error.message}`);
  });
  return {
    from: email.from === undefined ? undefined : formatAddresses([email.from])[0],
    to: formatAddresses(email.to),
    cc: formatAddresses(email.cc),
    bcc: formatAddresses(email.bcc),
    replyTo: formatAddresses(email.replyTo),
    subject: email.subject ?? '',
    text: email.text ?? null,
    html: email.html ?? null,
  };
}

/** `Name <a@x.test>` (the name quoted when it has specials such as a comma), or the bare address. */
function formatAddresses(addresses: Address[] = []): string[] {
  return addresses
    .flatMap((address) => address.group ?? [address])
    .map(({ name, address }) => {
      if (!name) return address;
      const quoted = /[()<>[\]:;@\\,."]/.test(name) ? `"${name.replace(/["\\]/g, '\\$&')}"` : name;
      return `${quoted} <${address}>`;
    });
}
