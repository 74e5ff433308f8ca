import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The local outbox: every email (SES) and notification (SNS) the app sends is kept as one JSON file
 * `<dataDir>/outbox/<timestamp>-<id>.json`, so people and tests can read what "went out".
 */

export interface EmailOutboxMessage {
  kind: 'email';
  /** The MessageId returned to the caller. */
  id: string;
  /** ISO 8601 time the message was accepted. */
  sentAt: string;
  action: 'SendEmail' | 'SendRawEmail';
  from: string;
  to: string[];
  cc: string[];
  bcc: string[];
  replyTo: string[];
  subject: string;
  text: string | null;
  html: string | null;
  /** The MIME message as sent with SendRawEmail; null for SendEmail. */
  raw: string | null;
  /** Every link found in the text and HTML bodies, in order of appearance, without duplicates. */
  links: string[];
}

export interface SnsMessageAttribute {
  DataType: string;
  StringValue?: string;
  /** Base64, as it travelled on the wire. */
  BinaryValue?: string;
}

export interface SnsOutboxMessage {
  kind: 'sns';
  id: string;
  sentAt: string;
  topicArn: string;
  subject: string | null;
  message: string;
  messageAttributes: Record<string, SnsMessageAttribute>;
  messageGroupId: string | null;
  messageDeduplicationId: string | null;
  links: string[];
}

export type OutboxMessage = EmailOutboxMessage | SnsOutboxMessage;

export function outboxDirectory(dataDir: string): string {
  return path.join(dataDir, 'outbox');
}

/** Saves a message; the file appears whole (written aside, then renamed) so pollers never read half of it. */
export function writeOutboxMessage(dataDir: string, message: OutboxMessage): string {
  const directory = outboxDirectory(dataDir);
  fs.mkdirSync(directory, { recursive: true });
  const fileName = `${fileTimestamp(new Date(message.sentAt))}-${message.id}.json`;
  const finalPath = path.join(directory, fileName);
  const temporaryPath = path.join(directory, `.${fileName}.tmp`);
  fs.writeFileSync(temporaryPath, `${JSON.stringify(message, null, 2)}\n`);
  fs.renameSync(temporaryPath, finalPath);
  return finalPath;
}

/** Every saved message, oldest first (newest last). An absent outbox reads as empty. */
export function readOutbox(dataDir: string): OutboxMessage[] {
  const directory = outboxDirectory(dataDir);
  if (!fs.existsSync(directory)) return [];
  return fs
    .readdirSync(directory)
    .filter((name) => name.endsWith('.json') && !name.startsWith('.'))
    .sort()
    .map((name) => JSON.parse(fs.readFileSync(path.join(directory, name), 'utf8')) as OutboxMessage);
}

let lastIssuedMillis = 0;

/**
 * The acceptance time of the next message: the current time, moved forward by a millisecond when
 * needed so that messages accepted by this process sort in the order they were accepted.
 */
export function nextSendTime(now: Date = new Date()): Date {
  lastIssuedMillis = Math.max(now.getTime(), lastIssuedMillis + 1);
  return new Date(lastIssuedMillis);
}

/** `20240131T235959123Z`: fixed width, so file names sort by time. */
function fileTimestamp(date: Date): string {
  return date.toISOString().replace(/[-:.]/g, '');
}
