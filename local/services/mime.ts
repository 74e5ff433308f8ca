/**
 * A small MIME reader for SendRawEmail: headers (with RFC 2047 encoded words), multipart bodies,
 * base64 and quoted-printable parts. It extracts what the outbox shows (addresses, subject,
 * text and HTML bodies); attachments are skipped.
 */

export interface ParsedEmail {
  headers: MimeHeaders;
  from: string | undefined;
  to: string[];
  cc: string[];
  bcc: string[];
  replyTo: string[];
  subject: string;
  text: string | null;
  html: string | null;
}

/** Header values by lower-case name, in order of appearance, already decoded. */
export type MimeHeaders = ReadonlyMap<string, string[]>;

interface MimeEntity {
  headers: MimeHeaders;
  /** The body as a byte-preserving latin1 string. */
  body: string;
}

export class MalformedMimeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedMimeError';
  }
}

export function parseRawEmail(raw: Buffer): ParsedEmail {
  const root = splitEntity(raw.toString('latin1'));
  const bodies: { text: string | null; html: string | null } = { text: null, html: null };
  collectBodies(root, bodies);
  const header = (name: string) => root.headers.get(name) ?? [];
  return {
    headers: root.headers,
    from: header('from')[0],
    to: header('to').flatMap(splitAddressList),
    cc: header('cc').flatMap(splitAddressList),
    bcc: header('bcc').flatMap(splitAddressList),
    replyTo: header('reply-to').flatMap(splitAddressList),
    subject: header('subject')[0] ?? '',
    text: bodies.text,
    html: bodies.html,
  };
}

/** Splits `a@x.test, "Last, First" <b@x.test>` at the commas that separate addresses. */
export function splitAddressList(list: string): string[] {
  const addresses: string[] = [];
  let current = '';
  let inQuotes = false;
  let angleDepth = 0;
  for (const char of list) {
    if (char === '"') inQuotes = !inQuotes;
    else if (!inQuotes && char === '<') angleDepth += 1;
    else if (!inQuotes && char === '>') angleDepth = Math.max(0, angleDepth - 1);
    if (char === ',' && !inQuotes && angleDepth === 0) {
      addresses.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  addresses.push(current);
  return addresses.map((address) => address.trim()).filter((address) => address.length > 0);
}

function splitEntity(source: string): MimeEntity {
  const separator = /\r?\n\r?\n/.exec(source);
  if (!separator) throw new MalformedMimeError('The message has no blank line between its header and body.');
  return {
    headers: parseHeaders(source.slice(0, separator.index)),
    body: source.slice(separator.index + separator[0].length),
  };
}

function parseHeaders(block: string): MimeHeaders {
  const headers = new Map<string, string[]>();
  const unfolded = block.replace(/\r?\n(?=[ \t])/g, '');
  for (const line of unfolded.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = decodeEncodedWords(Buffer.from(line.slice(colon + 1).trim(), 'latin1').toString('utf8'));
    headers.set(name, [...(headers.get(name) ?? []), value]);
  }
  return headers;
}

function collectBodies(entity: MimeEntity, found: { text: string | null; html: string | null }): void {
  const contentType = parseHeaderParameters(entity.headers.get('content-type')?.[0] ?? 'text/plain');
  const disposition = (entity.headers.get('content-disposition')?.[0] ?? '').toLowerCase();
  if (contentType.value.startsWith('multipart/')) {
    const boundary = contentType.parameters.get('boundary');
    if (!boundary) throw new MalformedMimeError('A multipart part has no boundary.');
    for (const part of splitMultipart(entity.body, boundary)) collectBodies(splitEntity(part), found);
    return;
  }
  if (disposition.startsWith('attachment')) return;
  const kind =
    contentType.value === 'text/html' ? 'html' : contentType.value === 'text/plain' ? 'text' : null;
  if (!kind || found[kind] !== null) return;
  const bytes = decodeTransferEncoding(entity.body, entity.headers.get('content-transfer-encoding')?.[0]);
  found[kind] = decodeCharset(bytes, contentType.parameters.get('charset'));
}

function splitMultipart(body: string, boundary: string): string[] {
  const delimiter = `--${boundary}`;
  const parts: string[] = [];
  const lines = body.split(/\r?\n/);
  let current: string[] | null = null;
  for (const line of lines) {
    if (line.trimEnd() === `${delimiter}--`) break;
    if (line.trimEnd() === delimiter) {
      if (current) parts.push(current.join('\r\n'));
      current = [];
    } else if (current) {
      current.push(line);
    }
  }
  if (current) parts.push(current.join('\r\n'));
  // A part without headers starts with the blank line itself; give it an empty header block.
  return parts.map((part) =>
    /^\r?\n/.test(part) ? `X-Empty: 1${part.startsWith('\r') ? '\r\n' : '\n'}${part}` : part,
  );
}

interface HeaderWithParameters {
  value: string;
  parameters: Map<string, string>;
}

function parseHeaderParameters(header: string): HeaderWithParameters {
  const [value = '', ...rest] = header.split(';');
  const parameters = new Map<string, string>();
  for (const parameter of rest) {
    const equals = parameter.indexOf('=');
    if (equals < 0) continue;
    const name = parameter.slice(0, equals).trim().toLowerCase();
    const raw = parameter.slice(equals + 1).trim();
    parameters.set(name, raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1) : raw);
  }
  return { value: value.trim().toLowerCase(), parameters };
}

function decodeTransferEncoding(body: string, encoding: string | undefined): Buffer {
  switch ((encoding ?? '7bit').trim().toLowerCase()) {
    case 'base64':
      return Buffer.from(body.replace(/\s+/g, ''), 'base64');
    case 'quoted-printable':
      return decodeQuotedPrintable(body);
    default:
      return Buffer.from(body, 'latin1');
  }
}

function decodeQuotedPrintable(body: string): Buffer {
  const joined = body.replace(/=\r?\n/g, '');
  const bytes: number[] = [];
  for (let index = 0; index < joined.length; index += 1) {
    const hex = joined.slice(index + 1, index + 3);
    if (joined[index] === '=' && /^[0-9a-f]{2}$/i.test(hex)) {
      bytes.push(Number.parseInt(hex, 16));
      index += 2;
    } else {
      bytes.push(joined.charCodeAt(index) & 0xff);
    }
  }
  return Buffer.from(bytes);
}

function decodeCharset(bytes: Buffer, charset: string | undefined): string {
  try {
    return new TextDecoder(charset ?? 'utf-8').decode(bytes);
  } catch {
    return bytes.toString('utf8');
  }
}

/** RFC 2047 `=?charset?B|Q?text?=` words; whitespace between adjacent encoded words is dropped. */
function decodeEncodedWords(value: string): string {
  return value
    .replace(/(\?=)\s+(=\?)/g, '$1$2')
    .replace(/=\?([^?]+)\?([bq])\?([^?]*)\?=/gi, (_word, charset: string, encoding: string, text: string) => {
      const bytes =
        encoding.toLowerCase() === 'b'
          ? Buffer.from(text, 'base64')
          : decodeQuotedPrintable(text.replace(/_/g, ' '));
      return decodeCharset(bytes, charset.split('*')[0]);
    });
}
