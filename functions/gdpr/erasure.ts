import * as z from 'zod/mini';

/**
 * The GDPR erasure flow's contract: table items, the purge report, and what each task of
 * statemachines/gdpr.asl.json receives and returns. Raw user ids live only on the request record
 * while the request is open (`requesterId`, removed when it closes) and never in the execution's
 * input or output, in events, in logs or in the audit trail (which holds a keyed hash).
 *
 * | item             | pk                          | sk                     |
 * |------------------|-----------------------------|------------------------|
 * | erasure request  | ERASURE#<requestId>         | ERASURE                |
 * | active request   | ERASURE_ACTIVE#<userHash>   | ERASURE_ACTIVE         |
 * | approval         | APPROVAL#<approvalId>       | APPROVAL               |
 * | audit entry      | AUDIT#<requestId>           | ENTRY#<iso time>#<kind>|
 *
 * None of them carries `userId`, so the ByUser index (the user's data) never lists them.
 */

export const erasureKeys = {
  request: (requestId: string) => ({ pk: `ERASURE#${requestId}`, sk: 'ERASURE' as const }),
  activeRequest: (userHash: string) => ({ pk: `ERASURE_ACTIVE#${userHash}`, sk: 'ERASURE_ACTIVE' as const }),
  approval: (approvalId: string) => ({ pk: `APPROVAL#${approvalId}`, sk: 'APPROVAL' as const }),
  auditEntry: (requestId: string, at: string, kind: string) => ({
    pk: `AUDIT#${requestId}`,
    sk: `ENTRY#${at}#${kind}`,
  }),
} as const;

/** Where a request stands. The last six are terminal. */
export type ErasureStatus =
  | 'REQUESTED'
  | 'AWAITING_APPROVAL'
  | 'PURGING'
  | 'COMPLETED'
  | 'PARTIALLY_FAILED'
  | 'REJECTED'
  | 'EXPIRED'
  | 'NOTHING_TO_DELETE'
  | 'FAILED';

export const TERMINAL_STATUSES: readonly ErasureStatus[] = [
  'COMPLETED',
  'PARTIALLY_FAILED',
  'REJECTED',
  'EXPIRED',
  'NOTHING_TO_DELETE',
  'FAILED',
];

/**
 * The approver's decision as the audit entry records it: APPROVED or REJECTED by the approver,
 * EXPIRED when nobody decided within the window (reminder included), NONE when no decision was
 * asked for or made (nothing to delete, or the flow failed before a decision).
 */
export type AuditDecision = 'APPROVED' | 'REJECTED' | 'EXPIRED' | 'NONE';

/** What the purge report lists, by kind. */
/** `other-record`: any other item carrying the user's id (future per-user items). */
export type ResourceKind =
  | 'original'
  | 'tile'
  | 'scaled'
  | 'object-version'
  | 'upload-record'
  | 'photo-record'
  | 'other-record'
  | 'upload-in-progress';
export type ResourceCounts = Partial<Record<ResourceKind, number>>;

export interface ErasureRequestItem {
  pk: string;
  sk: 'ERASURE';
  entity: 'erasure-request';
  requestId: string;
  /** The raw user id, only while the request is open; removed when it closes. */
  requesterId?: string;
  /** HMAC-SHA256 of the user id with the flow's key (hex): links requests and audit entries to a user without naming them. */
  userHash: string;
  status: ErasureStatus;
  createdAt: string;
  updatedAt: string;
  reportKey?: string;
  reportSha256?: string;
  counts?: ResourceCounts;
  approvalId?: string;
  /** Keyed hash (as for users) of the signed-in approver's id, the JWT `sub`. */
  approverHash?: string;
  decidedAt?: string;
  /** Purge and verification figures when it closed (counts only, no keys). */
  result?: Record<string, unknown>;
  closedAt?: string;
}

export interface ApprovalItem {
  pk: string;
  sk: 'APPROVAL';
  entity: 'approval';
  approvalId: string;
  requestId: string;
  /** The current Step Functions task token (replaced when the reminder is sent). Never leaves the table. */
  taskToken: string;
  reportSha256: string;
  counts: ResourceCounts;
  /** Links stop working at this time (ISO), the end of the approval window. */
  expiresAt: string;
  status: 'PENDING' | 'APPROVED' | 'REJECTED';
  remindedAt?: string;
  decidedAt?: string;
  /** Keyed hash of the signed-in approver's id (JWT `sub`), never the raw id. */
  approverHash?: string;
  /**
   * Set when Step Functions did not confirm it received the decision (timeout or server error):
   * the decision stands; if the task it was sent to timed out, the reminder asks again.
   */
  deliveryUnconfirmedAt?: string;
}

/** The purge report, written once to `reports/<requestId>/report.json` in the reports bucket. */
export interface PurgeReport {
  version: 1;
  requestId: string;
  createdAt: string;
  /**
   * Every object to delete with all its versions and delete markers, with how many the listing
   * found (0: the key of an upload still in progress). Data first: purged before `records`.
   */
  objects: Array<{ bucket: string; key: string; kind: 'original' | 'tile' | 'scaled'; versions: number }>;
  /** Every table item holding the user's data (they are also the index entries: purged last). */
  records: Array<{
    pk: string;
    sk: string;
    kind: 'upload-record' | 'photo-record' | 'other-record';
    /** A photo record an upload in progress may still write. */
    pending?: true;
  }>;
  counts: ResourceCounts;
  total: number;
}

export function reportKeyFor(requestId: string): string {
  return `reports/${requestId}/report.json`;
}

// ------------------------------------------------------------------ events and execution input

/** Detail of `erasureRequested` (source happy-path.gdpr): no user id, the flow reads it from the request record. */
export interface ErasureRequestedDetail {
  requestId: string;
}

/** Request ids are UUIDv4 (random), so they reveal nothing; the execution name is the request id. */
export const requestIdSchema = z
  .string()
  .check(
    z.regex(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'must be a request id'),
  );

/** The execution input the start function gives the state machine. */
export const executionInputSchema = z.object({
  requestId: requestIdSchema,
  /** How long the first approval email waits before the reminder. */
  approvalWaitSeconds: z.number().check(z.int(), z.gte(1)),
  /** How long the reminder waits before the request expires. */
  reminderWaitSeconds: z.number().check(z.int(), z.gte(1)),
});

/**
 * Splits the approval window (ApprovalTimeoutSeconds) into the wait before the reminder and the
 * wait after it (ReminderBeforeExpirySeconds). A reminder asked for at or beyond the middle of the
 * window is sent at the middle instead, so the first email always gets at least half the window
 * and the reminder is never sent right after it. Both waits are at least 1 second.
 */
export function splitApprovalWindow(
  approvalTimeoutSeconds: number,
  reminderBeforeExpirySeconds: number,
): { approvalWaitSeconds: number; reminderWaitSeconds: number } {
  const total = Math.max(2, Math.floor(approvalTimeoutSeconds));
  const reminderWaitSeconds = Math.max(
    1,
    Math.min(Math.floor(reminderBeforeExpirySeconds), Math.floor(total / 2)),
  );
  return { approvalWaitSeconds: total - reminderWaitSeconds, reminderWaitSeconds };
}

// ------------------------------------------------------------------ task inputs and outputs

const sha256Hex = z.string().check(z.regex(/^[0-9a-f]{64}$/, 'must be a SHA-256 hex digest'));
const countsSchema = z.record(z.string(), z.number());

/** "Build purge report" — in: `{ requestId }`; out (→ `$.report`): */
export interface ReportSummary {
  reportKey: string;
  reportSha256: string;
  counts: ResourceCounts;
  total: number;
}
export const buildReportInputSchema = z.object({ requestId: requestIdSchema });

/**
 * "Request approval" / "Send reminder" (lambda:invoke.waitForTaskToken) — in: the Payload below;
 * the function stores the token against the request's approval id and emails the approver. The
 * decision resumes the execution: SendTaskSuccess with `ApprovalDecision` (→ `$.approval`), or
 * SendTaskFailure with error `ErasureRejected`.
 */
export const requestApprovalInputSchema = z.object({
  requestId: requestIdSchema,
  phase: z.enum(['FIRST', 'REMINDER']),
  taskToken: z.string().check(z.minLength(1)),
  /** Seconds until the approval window closes (the links expire then). */
  decisionWindowSeconds: z.number().check(z.int(), z.gte(1)),
  report: z.object({
    reportKey: z.string(),
    reportSha256: sha256Hex,
    counts: countsSchema,
    total: z.number(),
  }),
});

export interface ApprovalDecision {
  decision: 'APPROVED';
  /** Keyed hash of the signed-in approver's id. */
  approverHash: string;
  /** The hash of the report the approver saw; the purge refuses a report with another hash. */
  reportSha256: string;
  decidedAt: string;
}

/** Error name of SendTaskFailure when the approver rejects. */
export const ERASURE_REJECTED = 'ErasureRejected';

/** "Plan purge" — in: */
export const planPurgeInputSchema = z.object({
  requestId: requestIdSchema,
  reportKey: z.string(),
  approvedSha256: sha256Hex,
});
/** out (→ `$.plan`): index ranges of the report's `objects` and `records`, chunked for the Map states. */
export interface PurgePlan {
  objectChunks: Array<{ start: number; end: number }>;
  recordChunks: Array<{ start: number; end: number }>;
}

/** "Delete object versions" / "Delete records" (one Map iteration each) — in: */
export const purgeChunkInputSchema = z.object({
  requestId: requestIdSchema,
  reportKey: z.string(),
  approvedSha256: sha256Hex,
  chunk: z.object({ start: z.number().check(z.int(), z.gte(0)), end: z.number().check(z.int(), z.gte(0)) }),
});
/**
 * out: counts only (no keys). `deleted`: objects that had versions and have none now (absent ones
 * are not counted); records whose delete DynamoDB acknowledged. `versionsDeleted`: versions and
 * delete markers S3 removed.
 */
export interface PurgeChunkResult {
  requested: number;
  deleted: number;
  /** S3: object versions and delete markers removed. */
  versionsDeleted?: number;
  failed: number;
}

/** "Verify purge" — in: same as Plan purge; out (→ `$.verification`): */
export interface VerificationResult {
  remaining: { objects: number; records: number; indexEntries: number };
  total: number;
}

/** "Close request" — in: */
export const closeRequestInputSchema = z.object({
  requestId: requestIdSchema,
  outcome: z.enum(['COMPLETED', 'PARTIALLY_FAILED', 'REJECTED', 'EXPIRED', 'NOTHING_TO_DELETE', 'FAILED']),
  report: z.optional(z.unknown()),
  approval: z.optional(z.unknown()),
  purge: z.optional(z.unknown()),
  verification: z.optional(z.unknown()),
  /** Catch output of a failed state (→ FAILED). */
  error: z.optional(z.object({ Error: z.optional(z.string()), Cause: z.optional(z.string()) })),
  /** Catch output of ErasureRejected: Cause is JSON `{ approverHash, decidedAt }`. */
  rejection: z.optional(z.object({ Error: z.optional(z.string()), Cause: z.optional(z.string()) })),
});

export type CloseRequestInput = z.infer<typeof closeRequestInputSchema>;
