import { randomUUID } from 'node:crypto';
import { ServiceError } from './errors';
import { findLinks } from './links';
import { formatEmailForLog } from './log-format';
import { MalformedMimeError, parseRawEmail } from './mime';
import { type EmailOutboxMessage, nextSendTime, writeOutboxMessage } from './outbox';
import { type QueryActionHandler, type QueryParams, readMemberList } from './query-protocol';

/** SES v1 (the API of @aws-sdk/client-ses): SendEmail and SendRawEmail, delivered to the local outbox. */

export const SES_XML_NAMESPACE = 'http://ses.amazonaws.com/doc/2010-12-01/';

export interface SesOptions {
  dataDir: string;
  region: string;
  log: (line: string) => void;
  /**
   * When given, Source must be one of these addresses or domains, as in the SES sandbox;
   * otherwise every sender is accepted.
   */
  verifiedIdentities?: string[];
}

const MAX_RECIPIENTS = 50;
const MAX_MESSAGE_BYTES = 10 * 1024 * 1024;

export function createSesHandler(options: SesOptions): QueryActionHandler {
  const deliver = (message: EmailOutboxMessage): { MessageId: string } => {
    writeOutboxMessage(options.dataDir, message);
    for (const line of formatEmailForLog(message)) options.log(line);
    return { MessageId: message.id };
  };

  return async (action, params) => {
    switch (action) {
      case 'SendEmail':
        return deliver(readSendEmail(params, options));
      case 'SendRawEmail':
        return deliver(await readSendRawEmail(params, options));
      default:
        throw new ServiceError('InvalidAction', `The action ${action} is not valid for this web service.`);
    }
  };
}

function readSendEmail(params: QueryParams, options: SesOptions): EmailOutboxMessage {
  const source = params.get('Source');
  if (!source) throw new ServiceError('InvalidParameterValue', "Missing required header 'From'.");
  const to = readMemberList(params, 'Destination.ToAddresses');
  const cc = readMemberList(params, 'Destination.CcAddresses');
  const bcc = readMemberList(params, 'Destination.BccAddresses');
  const replyTo = readMemberList(params, 'ReplyToAddresses');
  const subject = params.get('Message.Subject.Data');
  if (subject === undefined) {
    throw new ServiceError(
      'InvalidParameterValue',
      'The message must have a subject (Message.Subject.Data).',
    );
  }
  const text = params.get('Message.Body.Text.Data') ?? null;
  const html = params.get('Message.Body.Html.Data') ?? null;
  if (text === null && html === null) {
    throw new ServiceError(
      'InvalidParameterValue',
      'The message must have a body (Message.Body.Text or Html).',
    );
  }
  validateAddresses([source, ...replyTo]);
  validateRecipients([...to, ...cc, ...bcc]);
  validateSender(source, options);
  const sentAt = nextSendTime();
  return {
    kind: 'email',
    id: newSesMessageId(sentAt),
    sentAt: sentAt.toISOString(),
    action: 'SendEmail',
    from: source,
    to,
    cc,
    bcc,
    replyTo,
    subject,
    text,
    html,
    raw: null,
    links: findLinks(text, html),
  };
}

async function readSendRawEmail(params: QueryParams, options: SesOptions): Promise<EmailOutboxMessage> {
  const data = params.get('RawMessage.Data');
  if (!data) throw new ServiceError('InvalidParameterValue', 'The raw message is empty (RawMessage.Data).');
  const raw = Buffer.from(data, 'base64');
  if (raw.length > MAX_MESSAGE_BYTES) {
    throw new ServiceError('MessageRejected', `Message length is more than ${MAX_MESSAGE_BYTES} bytes long.`);
  }
  const parsed = await parseMime(raw);
  const from = params.get('Source') || parsed.from;
  if (!from) throw new ServiceError('InvalidParameterValue', "Missing required header 'From'.");
  const destinations = readMemberList(params, 'Destinations');
  const headerRecipients = [...parsed.to, ...parsed.cc, ...parsed.bcc];
  const envelopeOnly = destinations.filter((address) => !headerRecipients.includes(address));
  validateAddresses([from, ...parsed.replyTo]);
  validateRecipients(destinations.length > 0 ? destinations : headerRecipients);
  validateSender(from, options);
  const sentAt = nextSendTime();
  return {
    kind: 'email',
    id: newSesMessageId(sentAt),
    sentAt: sentAt.toISOString(),
    action: 'SendRawEmail',
    from,
    to: parsed.to,
    cc: parsed.cc,
    bcc: [...parsed.bcc, ...envelopeOnly],
    replyTo: parsed.replyTo,
    subject: parsed.subject,
    text: parsed.text,
    html: parsed.html,
    raw: raw.toString('utf8'),
    links: findLinks(parsed.text, parsed.html),
  };
}

async function parseMime(raw: Buffer): ReturnType<typeof parseRawEmail> {
  try {
    return await parseRawEmail(raw);
  } catch (error) {
    if (error instanceof MalformedMimeError) throw new ServiceError('InvalidParameterValue', error.message);
    throw error;
  }
}

function validateRecipients(recipients: string[]): void {
  if (recipients.length === 0) {
    throw new ServiceError('InvalidParameterValue', 'The message must have at least one recipient.');
  }
  if (recipients.length > MAX_RECIPIENTS) {
    throw new ServiceError('InvalidParameterValue', `Recipient count exceeds ${MAX_RECIPIENTS}.`);
  }
  validateAddresses(recipients);
}

/** Rejects addresses the way SES does: the whole message fails if any address is malformed. */
function validateAddresses(addresses: string[]): void {
  for (const address of addresses) {
    const mailbox = mailboxOf(address);
    const at = mailbox.lastIndexOf('@');
    if (at < 0 || at === mailbox.length - 1)
      throw new ServiceError('InvalidParameterValue', "Missing final '@domain'");
    if (at === 0) throw new ServiceError('InvalidParameterValue', 'Missing local name');
    if (/[\s<>()[\]\\,;:"]/.test(mailbox.slice(at + 1)) || /\s/.test(mailbox)) {
      throw new ServiceError('InvalidParameterValue', `Illegal address: ${address}`);
    }
  }
}

function validateSender(source: string, options: SesOptions): void {
  if (!options.verifiedIdentities) return;
  const mailbox = mailboxOf(source).toLowerCase();
  const domain = mailbox.slice(mailbox.lastIndexOf('@') + 1);
  const verified = options.verifiedIdentities.map((identity) => identity.toLowerCase());
  if (!verified.includes(mailbox) && !verified.includes(domain)) {
    throw new ServiceError(
      'MessageRejected',
      `Email address is not verified. The following identities failed the check in region ${options.region.toUpperCase()}: ${mailboxOf(source)}`,
    );
  }
}

/** `Name <user@example.com>` → `user@example.com`. */
export function mailboxOf(address: string): string {
  const angle = /<([^>]*)>\s*$/.exec(address);
  return (angle?.[1] ?? address).trim();
}

/** Shaped like SES message ids: `<16 hex>-<uuid>-000000`. */
function newSesMessageId(sentAt: Date): string {
  return `${sentAt.getTime().toString(16).padStart(16, '0')}-${randomUUID()}-000000`;
}
