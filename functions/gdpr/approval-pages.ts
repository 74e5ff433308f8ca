import { createHash } from 'node:crypto';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import * as z from 'zod/mini';
import { BadRequestError, HttpError } from '#shared/errors';
import { lambdaHandler } from '#shared/handler';
import { logger } from '#shared/logger';
import { tracer } from '#shared/tracer';
import type { LinkDecision, LinkParameters } from './approval-links';

/**
 * What the approver reads: the approval email (text and HTML) and the pages behind its links.
 * Everything interpolated is escaped. Nothing here names the user, an object key or the task
 * token: a request id, counts, the report's hash and location, and the expiry.
 */

/**
 * The confirmation page's one script: it sends the form with the approver's access token as a
 * bearer token (a plain form cannot set the Authorization header the route's JWT authorizer
 * reads) and shows the answer. The token field is never sent as a form field.
 */
export const SIGN_IN_SCRIPT = `document.querySelector('form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.target;
  const fields = new URLSearchParams(new FormData(form));
  const token = (fields.get('token') || '').trim();
  fields.delete('token');
  const response = await fetch(form.action, {
    method: 'POST',
    headers: { authorization: 'Bearer ' + token, 'content-type': 'application/x-www-form-urlencoded' },
    body: fields.toString(),
  });
  if (response.status === 401 || response.status === 403) {
    document.getElementById('sign-in-status').textContent =
      'Not signed in as an approver: the token is missing, expired, from another issuer or lacks the approver scope.';
    return;
  }
  document.documentElement.innerHTML = await response.text();
});`;

/** Headers on every approval page: never cached, never framed, no referrer, only the sign-in script. */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'content-security-policy': `default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-${createHash('sha256').update(SIGN_IN_SCRIPT).digest('base64')}'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'`,
};

export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

export function htmlResponse(statusCode: number, html: string): APIGatewayProxyStructuredResultV2 {
  return { statusCode, headers: { ...PAGE_HEADERS }, body: html };
}

/** What the email and the confirmation page summarise. */
export interface ApprovalSummary {
  requestId: string;
  counts: Record<string, number>;
  reportSha256: string;
  /** End of the approval window. */
  expiresAt: Date;
}

const KIND_LABELS: Record<string, string> = {
  original: 'Uploaded originals',
  tile: 'Tiles',
  scaled: 'Scaled copies',
  'object-version': 'Object versions (of the objects above, all deleted)',
  'upload-record': 'Upload records',
  'photo-record': 'Photo records',
  'upload-in-progress': 'Uploads in progress (their photos are deleted too if they arrive)',
};

/** Counts that describe the resources above rather than add to them: not part of the total. */
const NOT_IN_TOTAL = new Set(['object-version', 'upload-in-progress']);

/** The counts in a fixed order (known kinds first), with a readable label each. */
export function countLines(counts: Record<string, number>): Array<{ label: string; count: number }> {
  const known = Object.keys(KIND_LABELS).filter((kind) => kind in counts);
  const others = Object.keys(counts)
    .filter((kind) => !(kind in KIND_LABELS))
    .sort();
  return [...known, ...others].map((kind) => ({
    label: KIND_LABELS[kind] ?? kind,
    count: counts[kind] ?? 0,
  }));
}

/** Objects and records that exist (versions and uploads in progress describe them, they are not more). */
export function totalOf(counts: Record<string, number>): number {
  return Object.entries(counts)
    .filter(([kind]) => !NOT_IN_TOTAL.has(kind))
    .reduce((sum, [, count]) => sum + count, 0);
}

/** "2026-12-03 12:00:00 UTC" */
export function formatUtc(date: Date): string {
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

// ------------------------------------------------------------------ email

export interface ApprovalEmailContent extends ApprovalSummary {
  total: number;
  /** Bucket-relative key of the purge report, e.g. reports/<requestId>/report.json. */
  reportKey: string;
  approveUrl: string;
  rejectUrl: string;
  reminder: boolean;
}

export interface ApprovalEmail {
  subject: string;
  text: string;
  html: string;
}

export function composeApprovalEmail(content: ApprovalEmailContent): ApprovalEmail {
  const expires = formatUtc(content.expiresAt);
  const subject = content.reminder
    ? `Reminder: GDPR erasure request ${content.requestId} awaits your decision (expires at ${expires})`
    : `GDPR erasure request ${content.requestId} awaits your decision`;
  const intro = content.reminder
    ? `Reminder: this erasure request still awaits your decision. The links below expire at ${expires}.`
    : `A user asked for the erasure of their data. Please review the purge report and decide by ${expires}.`;
  const lines = countLines(content.counts);
  const text = [
    intro,
    '',
    `Request: ${content.requestId}`,
    ...lines.map((line) => `${line.label}: ${line.count}`),
    `Total: ${content.total}`,
    `Report: ${content.reportKey} (in the GDPR reports bucket)`,
    `Report SHA-256: ${content.reportSha256}`,
    `Links expire at: ${expires}`,
    '',
    `Approve (opens a confirmation page): ${content.approveUrl}`,
    `Reject (opens a confirmation page): ${content.rejectUrl}`,
    '',
    'Nothing is deleted until you confirm on the page the link opens.',
  ].join('\n');
  const rows = [
    ['Request', content.requestId],
    ...lines.map((line) => [line.label, String(line.count)]),
    ['Total', String(content.total)],
    ['Report', `${content.reportKey} (in the GDPR reports bucket)`],
    ['Report SHA-256', content.reportSha256],
    ['Links expire at', expires],
  ];
  const html = [
    '<!doctype html><html lang="en"><head><meta charset="utf-8">',
    `<title>${escapeHtml(subject)}</title></head><body style="font-family:sans-serif">`,
    `<p>${escapeHtml(intro)}</p>`,
    tableOf(rows),
    `<p><a href="${escapeHtml(content.approveUrl)}">Approve erasure</a> &middot; `,
    `<a href="${escapeHtml(content.rejectUrl)}">Reject erasure</a></p>`,
    '<p>Each link opens a confirmation page; nothing is deleted until you confirm there.</p>',
    '</body></html>',
  ].join('\n');
  return { subject, text, html };
}

function tableOf(rows: string[][]): string {
  const body = rows
    .map(
      ([label, value]) =>
        `<tr><th style="text-align:left;padding-right:1em">${escapeHtml(label)}</th><td><code>${escapeHtml(value)}</code></td></tr>`,
    )
    .join('\n');
  return `<table>\n${body}\n</table>`;
}

// ------------------------------------------------------------------ pages

function page(title: string, content: string): string {
  return [
    '<!doctype html><html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="robots" content="noindex">',
    `<title>${escapeHtml(title)}</title>`,
    '<style>body{font-family:sans-serif;max-width:42em;margin:2em auto;padding:0 1em}code{word-break:break-all}button{font-size:1.1em;padding:.5em 1.2em}</style>',
    `</head><body><h1>${escapeHtml(title)}</h1>`,
    content,
    '</body></html>',
  ].join('\n');
}

/** The signed fields the confirmation form posts back. */
export interface SignedDecision {
  approvalId: string;
  decision: LinkDecision;
  expires: number;
  signature: string;
}

/**
 * The page a link opens: the summary and one form that POSTs the signed decision back to the
 * same path with the approver's access token (their sign-in, carrying `approverScope`). Opening
 * it decides nothing (mail scanners fetch links).
 */
export function confirmationPage(
  summary: ApprovalSummary,
  signed: SignedDecision,
  approverScope: string,
): string {
  const approve = signed.decision === 'approve';
  const lines = countLines(summary.counts);
  const rows = [
    ['Request', summary.requestId],
    ...lines.map((line) => [line.label, String(line.count)]),
    ['Total', String(totalOf(summary.counts))],
    ['Report SHA-256', summary.reportSha256],
    ['Decide before', formatUtc(summary.expiresAt)],
  ];
  const consequence = approve
    ? 'Approving starts the purge: every resource counted below is deleted permanently.'
    : 'Rejecting ends the request: nothing is deleted.';
  return page(
    approve ? 'Approve this erasure?' : 'Reject this erasure?',
    [
      `<p>${escapeHtml(consequence)}</p>`,
      tableOf(rows),
      // A relative action resolves to /gdpr/approvals/<approvalId> without the query string.
      `<form method="post" action="${escapeHtml(encodeURIComponent(signed.approvalId))}">`,
      `<input type="hidden" name="decision" value="${escapeHtml(signed.decision)}">`,
      `<input type="hidden" name="expires" value="${escapeHtml(signed.expires)}">`,
      `<input type="hidden" name="signature" value="${escapeHtml(signed.signature)}">`,
      '<p><label>Your approver access token (sign in to the API&#39;s identity provider; the token must carry the scope ',
      `<code>${escapeHtml(approverScope)}</code>):<br>`,
      '<input type="password" name="token" autocomplete="off" required size="40"></label></p>',
      `<button type="submit">${approve ? 'Approve erasure' : 'Reject erasure'}</button>`,
      '</form>',
      '<p id="sign-in-status" role="status"></p>',
      '<p>Without a browser: POST the form fields <code>decision</code>, <code>expires</code> and <code>signature</code> of this link to this page&#39;s address with the header <code>Authorization: Bearer &lt;token&gt;</code>.</p>',
      `<script>${SIGN_IN_SCRIPT}</script>`,
    ].join('\n'),
  );
}

/** Any other answer: a title and one sentence. */
export function messagePage(title: string, message: string): string {
  return page(title, `<p>${escapeHtml(message)}</p>`);
}

// ------------------------------------------------------------------ the HTTP side

/** Largest form body the decision route reads: three short fields. */
const MAX_FORM_BYTES = 4096;

const approvalEventSchema = z.object({
  pathParameters: z.nullish(z.record(z.string(), z.optional(z.string()))),
  queryStringParameters: z.nullish(z.record(z.string(), z.optional(z.string()))),
  body: z.nullish(z.string()),
  isBase64Encoded: z.nullish(z.boolean()),
  requestContext: z.optional(z.object({ requestId: z.optional(z.string()) })),
});

/** The query parameters a link carries; any other is refused (400), as on every route. */
const LINK_QUERY_PARAMETERS: readonly string[] = ['decision', 'expires', 'signature'];

/**
 * The link's parameters from an HTTP API (payload 2.0) event: the approval id from the path, the
 * rest from the query string (GET) or the url-encoded form body, base64 or not (POST). Anything
 * unexpected comes back undefined, which the link check refuses as malformed. An unknown query
 * parameter (any on the POST) is a BadRequestError naming it.
 */
export function linkParametersFrom(event: unknown, source: 'query' | 'form'): LinkParameters {
  const parsed = approvalEventSchema.safeParse(event);
  if (!parsed.success) return {};
  const { pathParameters, queryStringParameters, body, isBase64Encoded } = parsed.data;
  const approvalId = pathParameters?.approvalId;
  const allowed = source === 'query' ? LINK_QUERY_PARAMETERS : [];
  const unknown = Object.keys(queryStringParameters ?? {}).filter((name) => !allowed.includes(name));
  if (unknown.length > 0)
    throw new BadRequestError(
      `Unknown query parameter${unknown.length > 1 ? 's' : ''}: ${unknown.sort().join(', ')}. Use the link from the approval email as it is.`,
    );
  if (source === 'query') {
    return { approvalId, ...pick(queryStringParameters ?? {}) };
  }
  if (!body) return { approvalId };
  const text = isBase64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body;
  if (Buffer.byteLength(text) > MAX_FORM_BYTES) return { approvalId };
  const form = new URLSearchParams(text);
  return {
    approvalId,
    ...pick({
      decision: form.get('decision') ?? undefined,
      expires: form.get('expires') ?? undefined,
      signature: form.get('signature') ?? undefined,
    }),
  };
}

function pick(fields: Record<string, string | undefined>): LinkParameters {
  return { decision: fields.decision, expires: fields.expires, signature: fields.signature };
}

const ERROR_TITLES: Record<number, string> = {
  400: 'This request is not valid',
  401: 'Approver sign-in required',
  403: 'This link is not valid',
  404: 'Unknown approval',
  409: 'Already decided',
  410: 'This link has expired',
  503: 'Please try again',
};

/**
 * Wraps an approval route in the one handler convention (lambdaHandler): answers refusals
 * (HttpError) with an HTML page saying why, anything unexpected with a 500 page that reveals
 * nothing (its error recorded on the trace); the API request id on every log line.
 */
export function htmlRoute(route: (event: unknown) => Promise<APIGatewayProxyStructuredResultV2>) {
  return lambdaHandler(async (event: unknown): Promise<APIGatewayProxyStructuredResultV2> => {
    const parsed = approvalEventSchema.safeParse(event);
    logger.appendKeys({ requestId: parsed.success ? parsed.data.requestContext?.requestId : undefined });
    try {
      return await route(event);
    } catch (error) {
      if (error instanceof HttpError) {
        logger.info('Approval request refused', { statusCode: error.statusCode, code: error.code });
        const title = error.code === 'NOT_AN_APPROVER' ? 'Not an approver' : ERROR_TITLES[error.statusCode];
        return htmlResponse(error.statusCode, messagePage(title ?? 'Request refused', error.message));
      }
      logger.error('Approval request failed', error as Error);
      tracer.addErrorAsMetadata(error as Error);
      return htmlResponse(
        500,
        messagePage('Something went wrong', 'The request could not be completed. Please try again later.'),
      );
    }
  });
}
