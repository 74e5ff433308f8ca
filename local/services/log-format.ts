import { htmlToText } from './html-text';
import type { EmailOutboxMessage, SnsOutboxMessage } from './outbox';

/**
 * How outbox messages are shown in the terminal: a header block, the body, then every link on a
 * line of its own so terminals make it clickable.
 */

const RULE = '  ----------------------------------------';

export function formatEmailForLog(message: EmailOutboxMessage): string[] {
  const lines = [`[ses] email ${message.id} (${message.action})`, `  From:    ${message.from}`];
  lines.push(`  To:      ${message.to.join(', ') || '(none)'}`);
  if (message.cc.length > 0) lines.push(`  Cc:      ${message.cc.join(', ')}`);
  if (message.bcc.length > 0) lines.push(`  Bcc:     ${message.bcc.join(', ')}`);
  lines.push(`  Subject: ${message.subject}`);
  const body = message.text ?? (message.html === null ? '' : htmlToText(message.html));
  return [...lines, ...formatBodyAndLinks(body, message.links)];
}

export function formatSnsForLog(message: SnsOutboxMessage): string[] {
  const lines = [`[sns] notification ${message.id}`, `  Topic:   ${message.topicArn}`];
  if (message.subject !== null) lines.push(`  Subject: ${message.subject}`);
  for (const [name, attribute] of Object.entries(message.messageAttributes)) {
    const shown = attribute.StringValue ?? `(binary, ${attribute.BinaryValue?.length ?? 0} base64 chars)`;
    lines.push(`  Attribute ${name} (${attribute.DataType}): ${shown}`);
  }
  return [...lines, ...formatBodyAndLinks(message.message, message.links)];
}

function formatBodyAndLinks(body: string, links: string[]): string[] {
  const lines = [RULE, ...body.split(/\r?\n/).map((line) => `  ${line}`), RULE];
  if (links.length > 0) lines.push('  Links:', ...links);
  return lines;
}
