import type { AuditDecision, ErasureStatus, ResourceCounts } from '../../functions/gdpr/erasure';
import { StatesError } from '../../local/stepfunctions';
import {
  APPROVER,
  type ErasureHarness,
  type ErasureRun,
  lambdaServiceError,
  NOTHING_LEFT,
  namedError,
  OUTCOME_TOPIC_ARN,
  objectsDeleted,
  REPORT_COUNTS,
  REQUESTER_ID,
  reportSummaryFor,
  startErasureHarness,
  USER_HASH,
} from './gdpr-harness';

let erasure: ErasureHarness;

beforeAll(async () => {
  erasure = await startErasureHarness();
});

afterAll(async () => {
  await erasure.close();
});

const REPORTED = ['Build purge report', 'Anything to delete?'];
const PURGED = ['Plan purge', 'Purge objects', 'Purge records', 'Verify purge', 'Anything left?'];
const DONE = ['Close request', 'Notify outcome', 'Outcome?', 'Done'];
const INCOMPLETE = ['Close request', 'Notify outcome', 'Outcome?', 'Erasure incomplete'];
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const DECIDED_AT = '2026-05-03T10:15:00.000Z';
const TOTAL = 12;
/** What the default purge reports: 7 objects (2 versions each) and 5 records deleted, nothing left. */
const PURGE_RESULT = {
  objectsDeleted: 7,
  objectVersionsDeleted: 14,
  recordsDeleted: 5,
  failed: 0,
  remaining: 0,
  remainingByKind: NOTHING_LEFT.remaining,
};
const approveOnce = [{ action: 'approve' as const, decision: { decidedAt: DECIDED_AT } }];

interface Closing {
  status: ErasureStatus;
  /** The audit entry's decision; by default APPROVED or REJECTED when decided, EXPIRED, else NONE. */
  decision?: AuditDecision;
  result?: Record<string, unknown>;
  decided?: boolean;
  reported?: boolean;
  error?: string;
  counts?: ResourceCounts;
  /** When the audit entry was written by an earlier attempt than the one that closed the request. */
  auditClosedAt?: unknown;
}

/** Request record closed: outcome, decision, figures; the raw user id removed. */
function expectRequestClosed(run: ErasureRun, { status, result = {}, decided = false }: Closing): void {
  const { requesterId: _removed, ...kept } = run.seeded.request ?? {};
  expect(run.request).toEqual({
    ...kept,
    status,
    result,
    closedAt: expect.stringMatching(ISO_TIME),
    updatedAt: expect.stringMatching(ISO_TIME),
    ...(decided && { approverHash: APPROVER, decidedAt: DECIDED_AT }),
  });
  expect(run.request).not.toHaveProperty('requesterId');
}

/** One audit entry, with the keyed user hash (never the raw id), report hash and counts. */
function expectAudited(run: ErasureRun, closing: Closing): void {
  const { status, result = {}, decided = false, reported = true, error, counts = REPORT_COUNTS } = closing;
  const { auditClosedAt = run.request?.closedAt } = closing;
  const defaultDecision = status === 'EXPIRED' ? 'EXPIRED' : 'NONE';
  const { decision = decided ? (status === 'REJECTED' ? 'REJECTED' : 'APPROVED') : defaultDecision } =
    closing;
  const createdAt = String(run.seeded.request?.createdAt);
  expect(run.audit).toEqual([
    {
      pk: `AUDIT#${run.requestId}`,
      sk: `ENTRY#${createdAt}#CLOSED`,
      entity: 'erasure-audit',
      requestId: run.requestId,
      userHash: USER_HASH,
      outcome: status,
      decision,
      requestedAt: createdAt,
      closedAt: auditClosedAt,
      result,
      ...(decided && { approverHash: APPROVER, decidedAt: DECIDED_AT }),
      ...(reported && { reportSha256: reportSummaryFor(run.requestId, counts).reportSha256, counts }),
      ...(error !== undefined && { error }),
    },
  ]);
  expect(JSON.stringify(run.audit)).not.toContain(REQUESTER_ID);
}

/** The outcome topic got one message: counts only, never a user id. */
function expectNotified(run: ErasureRun, closing: Closing & { remaining?: number }): void {
  const { status, reported = true, remaining, counts = REPORT_COUNTS } = closing;
  const total = Object.values(counts).reduce((sum, count) => sum + count, 0);
  expect(run.published).toEqual([
    {
      topicArn: OUTCOME_TOPIC_ARN,
      subject: `Happy Path erasure request ${status}`,
      message: {
        requestId: run.requestId,
        status,
        ...(reported && { counts, total }),
        ...(remaining !== undefined && { remaining }),
        closedNow: true,
      },
    },
  ]);
  expect(JSON.stringify(run.published)).not.toContain(REQUESTER_ID);
  expect(JSON.stringify(run.published)).not.toContain(USER_HASH);
}

/** Closed, audited, the user's lock released and the outcome notified. */
function expectClosedAndNotified(run: ErasureRun, closing: Closing & { remaining?: number }): void {
  expectRequestClosed(run, closing);
  expectAudited(run, closing);
  expect(run.lock).toBeUndefined();
  expectNotified(run, closing);
}

describe('GDPR erasure workflow (report -> approval -> purge -> verify -> close, audit, notify)', () => {
  describe('approval', () => {
    it('purges every chunk after approval and ends COMPLETED, audited and notified', async () => {
      const run = await erasure.run({ decisions: approveOnce });

      expect(run.path).toEqual([...REPORTED, 'Request approval', ...PURGED, 'Purge completed', ...DONE]);
      expect(run.iterations).toEqual({
        'Purge objects': [['Delete object versions'], ['Delete object versions']],
        'Purge records': [['Delete records']],
      });
      expect(run.status).toBe('SUCCEEDED');
      expect(run.calls).toEqual({
        BuildPurgeReport: 1,
        RequestApproval: 1,
        PlanPurge: 1,
        PurgeObjects: 2,
        PurgeRecords: 1,
        VerifyPurge: 1,
        CloseRequest: 1,
      });
      expect(run.serviceCalls).toEqual(['sns:Publish']);
      expectClosedAndNotified(run, {
        status: 'COMPLETED',
        result: PURGE_RESULT,
        decided: true,
        remaining: 0,
      });
      expect(run.output?.closed).toEqual({
        requestId: run.requestId,
        status: 'COMPLETED',
        counts: REPORT_COUNTS,
        total: TOTAL,
        remaining: 0,
        closedNow: true,
      });
    });

    it('asks for approval with the report summary and a window covering the reminder', async () => {
      const execution = await erasure.start();

      expect(execution.waitingForDecision()).toBe(true);
      expect(execution.approvalRequests()).toEqual([
        {
          requestId: execution.requestId,
          phase: 'FIRST',
          taskToken: expect.stringMatching(/^AQ[A-Za-z0-9+/]+={0,2}$/),
          decisionWindowSeconds: 518_400 + 86_400,
          report: reportSummaryFor(execution.requestId),
        },
      ]);
      await execution.approve();
    });

    it('gives Plan purge, every chunk and Verify purge the report hash the approver approved', async () => {
      const approvedSha256 = 'a'.repeat(64);
      const run = await erasure.run({
        decisions: [{ action: 'approve', decision: { reportSha256: approvedSha256, decidedAt: DECIDED_AT } }],
      });

      const reportKey = `reports/${run.requestId}/report.json`;
      const expected = { requestId: run.requestId, reportKey, approvedSha256 };
      expect(run.payloads.PlanPurge).toEqual([expected]);
      expect(run.payloads.PurgeObjects).toEqual([
        { ...expected, chunk: { start: 0, end: 4 } },
        { ...expected, chunk: { start: 4, end: 7 } },
      ]);
      expect(run.payloads.PurgeRecords).toEqual([{ ...expected, chunk: { start: 0, end: 5 } }]);
      expect(run.payloads.VerifyPurge).toEqual([expected]);
      expect(run.status).toBe('SUCCEEDED');
    });

    it('asks again, waiting on the new token, when the approval function is throttled', async () => {
      let thrown = false;
      const execution = await erasure.start({
        tasks: {
          RequestApproval: () => {
            if (thrown) return { approvalId: 'a3e1c2d4-5b6f-4a7b-8c9d-0e1f2a3b4c5d' };
            thrown = true;
            throw namedError('ThrottlingException', 'Rate exceeded');
          },
        },
      });
      const [failed, retried] = execution.approvalRequests();

      expect(retried?.taskToken).not.toBe(failed?.taskToken);
      await execution.approve({ decidedAt: DECIDED_AT });
      const run = await execution.result();

      expect(run.path).toEqual([...REPORTED, 'Request approval', ...PURGED, 'Purge completed', ...DONE]);
      expect(run.taskErrors).toEqual(['ThrottlingException']);
      expectClosedAndNotified(run, {
        status: 'COMPLETED',
        result: PURGE_RESULT,
        decided: true,
        remaining: 0,
      });
    });

    it('ends REJECTED when the approver rejects, without invoking any purge task', async () => {
      const run = await erasure.run({
        decisions: [{ action: 'reject', approverHash: APPROVER, decidedAt: DECIDED_AT }],
      });

      expect(run.path).toEqual([...REPORTED, 'Request approval', 'Rejected by approver', ...DONE]);
      expect(run.status).toBe('SUCCEEDED');
      expect(run.calls).toEqual({ BuildPurgeReport: 1, RequestApproval: 1, CloseRequest: 1 });
      expectClosedAndNotified(run, { status: 'REJECTED', decided: true });
    });
  });

  describe('approval window', () => {
    it('sends a reminder with a new token when nobody decides, then completes on approval', async () => {
      const execution = await erasure.start();
      const [first] = execution.approvalRequests();

      await execution.letApprovalWindowPass();

      const reminder = execution.approvalRequests()[1];
      expect(reminder).toEqual({
        ...first,
        phase: 'REMINDER',
        taskToken: expect.stringMatching(/^AQ/),
        decisionWindowSeconds: 86_400,
      });
      expect(reminder?.taskToken).not.toBe(first?.taskToken);
      expect(() =>
        execution.sendTaskSuccess(String(first?.taskToken), { decision: 'APPROVED', approverHash: APPROVER }),
      ).toThrow(expect.objectContaining({ code: 'TaskTimedOut' }));

      await execution.approve({ decidedAt: DECIDED_AT });
      const run = await execution.result();

      expect(run.path).toEqual([
        ...REPORTED,
        'Request approval',
        'Send reminder',
        ...PURGED,
        'Purge completed',
        ...DONE,
      ]);
      expect(run.status).toBe('SUCCEEDED');
      expect(run.taskErrors).toEqual(['States.Timeout']);
      expect(run.calls.RequestApproval).toBe(2);
      expectClosedAndNotified(run, {
        status: 'COMPLETED',
        result: PURGE_RESULT,
        decided: true,
        remaining: 0,
      });
    });

    it('ends REJECTED when the approver rejects after the reminder', async () => {
      const run = await erasure.run({
        decisions: [{ action: 'wait' }, { action: 'reject', decidedAt: DECIDED_AT }],
      });

      expect(run.path).toEqual([
        ...REPORTED,
        'Request approval',
        'Send reminder',
        'Rejected by approver',
        ...DONE,
      ]);
      expect(run.status).toBe('SUCCEEDED');
      expectClosedAndNotified(run, { status: 'REJECTED', decided: true });
    });

    it('ends EXPIRED, as a successful execution, when nobody decides after the reminder either', async () => {
      const execution = await erasure.start();
      await execution.letApprovalWindowPass();
      await execution.letApprovalWindowPass();
      const run = await execution.result();

      expect(run.path).toEqual([
        ...REPORTED,
        'Request approval',
        'Send reminder',
        'Approval expired',
        ...DONE,
      ]);
      expect(run.status).toBe('SUCCEEDED');
      expect(run.taskErrors).toEqual(['States.Timeout', 'States.Timeout']);
      expect(run.calls).toEqual({ BuildPurgeReport: 1, RequestApproval: 2, CloseRequest: 1 });
      expectClosedAndNotified(run, { status: 'EXPIRED' });
      const reminderToken = String(execution.approvalRequests()[1]?.taskToken);
      expect(() => execution.sendTaskSuccess(reminderToken, { decision: 'APPROVED' })).toThrow(
        expect.objectContaining({ code: 'TaskTimedOut' }),
      );
    });
  });

  it('ends NOTHING_TO_DELETE without asking for approval when the report is empty', async () => {
    const empty: ResourceCounts = { original: 0, tile: 0, scaled: 0, 'upload-record': 0, 'photo-record': 0 };
    const run = await erasure.run({
      requestStatus: 'REQUESTED',
      tasks: { BuildPurgeReport: (input) => reportSummaryFor(String(input.requestId), empty) },
    });

    expect(run.path).toEqual([...REPORTED, 'Nothing to delete', ...DONE]);
    expect(run.status).toBe('SUCCEEDED');
    expect(run.calls).toEqual({ BuildPurgeReport: 1, CloseRequest: 1 });
    expectClosedAndNotified(run, { status: 'NOTHING_TO_DELETE', counts: empty });
  });

  describe('purge failures', () => {
    it.each([
      ['ThrottlingException', namedError('ThrottlingException', 'Rate exceeded'), 'ThrottlingException'],
      [
        'Lambda.TooManyRequestsException',
        lambdaServiceError('TooManyRequestsException'),
        'Lambda.TooManyRequestsException',
      ],
    ])('retries an object chunk that failed with %s once and completes', async (_name, transient, seen) => {
      let thrown = false;
      const run = await erasure.run({
        decisions: approveOnce,
        tasks: {
          PurgeObjects: (input) => {
            if ((input.chunk as { start: number }).start === 4 && !thrown) {
              thrown = true;
              throw transient;
            }
            return objectsDeleted(input);
          },
        },
      });

      expect(run.path).toEqual([...REPORTED, 'Request approval', ...PURGED, 'Purge completed', ...DONE]);
      expect(run.status).toBe('SUCCEEDED');
      expect(run.taskErrors).toEqual([seen]);
      const chunks = run.payloads.PurgeObjects?.map((payload) => payload.chunk);
      expect(chunks).toHaveLength(3);
      expect(chunks?.filter((chunk) => (chunk as { start: number }).start === 4)).toHaveLength(2);
      expect(run.iterations['Purge objects']).toEqual([
        ['Delete object versions'],
        ['Delete object versions'],
      ]);
      expectClosedAndNotified(run, {
        status: 'COMPLETED',
        result: PURGE_RESULT,
        decided: true,
        remaining: 0,
      });
    });

    it('ends FAILED when an object chunk fails for good, leaving the records (the index) in place', async () => {
      const run = await erasure.run({
        decisions: approveOnce,
        tasks: {
          PurgeObjects: (input) => {
            if ((input.chunk as { start: number }).start === 4) {
              throw namedError('AccessDenied', 'Access Denied to the distribution bucket');
            }
            return objectsDeleted(input);
          },
        },
      });

      expect(run.path).toEqual([
        ...REPORTED,
        'Request approval',
        'Plan purge',
        'Purge objects',
        'Erasure failed',
        ...INCOMPLETE,
      ]);
      expect(run.iterations['Purge objects']?.[1]).toEqual(['Delete object versions', 'Object chunk failed']);
      expect(run.status).toBe('FAILED');
      expect(run.error).toBe('ErasureIncomplete');
      expect(run.calls.PurgeRecords).toBeUndefined();
      expect(run.calls.VerifyPurge).toBeUndefined();
      expectClosedAndNotified(run, { status: 'FAILED', decided: true, error: 'AccessDenied' });
    });

    it('ends FAILED with every record (the index) in place when S3 keeps refusing objects of a chunk, after retrying it twice', async () => {
      const run = await erasure.run({
        decisions: approveOnce,
        tasks: {
          PurgeObjects: (input) => {
            if ((input.chunk as { start: number }).start === 4) {
              throw namedError(
                'ObjectsNotDeletedError',
                '1 of 3 objects could not be deleted (2 versions refused after 3 attempts, 0 outside the purged buckets; 4 versions deleted): no record may be deleted while they remain',
              );
            }
            return objectsDeleted(input);
          },
        },
      });

      expect(run.path).toEqual([
        ...REPORTED,
        'Request approval',
        'Plan purge',
        'Purge objects',
        'Erasure failed',
        ...INCOMPLETE,
      ]);
      expect(run.taskErrors).toEqual([
        'ObjectsNotDeletedError',
        'ObjectsNotDeletedError',
        'ObjectsNotDeletedError',
      ]);
      expect(run.iterations['Purge objects']?.[1]).toEqual(['Delete object versions', 'Object chunk failed']);
      expect(run.calls.PurgeRecords).toBeUndefined();
      expect(run.calls.VerifyPurge).toBeUndefined();
      expect(run.status).toBe('FAILED');
      expect(run.error).toBe('ErasureIncomplete');
      expectClosedAndNotified(run, { status: 'FAILED', decided: true, error: 'ObjectsNotDeletedError' });
    });

    it('ends FAILED and closed, not in a runtime error, when a chunk fails with an error that has no Cause', async () => {
      const run = await erasure.run({
        decisions: approveOnce,
        tasks: {
          PurgeRecords: () => {
            throw new StatesError('Lambda.Unknown');
          },
        },
      });

      expect(run.path).toEqual([
        ...REPORTED,
        'Request approval',
        'Plan purge',
        'Purge objects',
        'Purge records',
        'Erasure failed',
        ...INCOMPLETE,
      ]);
      expect(run.error).toBe('ErasureIncomplete');
      const result = { objectsDeleted: 7, objectVersionsDeleted: 14, recordsDeleted: 0, failed: 0 };
      expectClosedAndNotified(run, { status: 'FAILED', result, decided: true, error: 'Lambda.Unknown' });
    });

    it('ends FAILED when a record chunk fails for good, after the objects were deleted', async () => {
      const run = await erasure.run({
        decisions: approveOnce,
        tasks: {
          PurgeRecords: () => {
            throw namedError('ValidationException', 'The provided key element does not match the schema');
          },
        },
      });

      expect(run.path).toEqual([
        ...REPORTED,
        'Request approval',
        'Plan purge',
        'Purge objects',
        'Purge records',
        'Erasure failed',
        ...INCOMPLETE,
      ]);
      expect(run.iterations['Purge records']).toEqual([['Delete records', 'Record chunk failed']]);
      expect(run.status).toBe('FAILED');
      expect(run.calls.PurgeObjects).toBe(2);
      expect(run.calls.VerifyPurge).toBeUndefined();
      const result = { objectsDeleted: 7, objectVersionsDeleted: 14, recordsDeleted: 0, failed: 0 };
      expectClosedAndNotified(run, { status: 'FAILED', result, decided: true, error: 'ValidationException' });
    });

    it('ends PARTIALLY_FAILED with the counts when verification finds something left', async () => {
      const run = await erasure.run({
        decisions: approveOnce,
        tasks: { VerifyPurge: () => ({ remaining: { objects: 1, records: 0, indexEntries: 1 }, total: 2 }) },
      });

      expect(run.path).toEqual([
        ...REPORTED,
        'Request approval',
        ...PURGED,
        'Purge incomplete',
        ...INCOMPLETE,
      ]);
      expect(run.status).toBe('FAILED');
      expect(run.error).toBe('ErasureIncomplete');
      const result = {
        ...PURGE_RESULT,
        remaining: 2,
        remainingByKind: { objects: 1, records: 0, indexEntries: 1 },
      };
      expectClosedAndNotified(run, { status: 'PARTIALLY_FAILED', result, decided: true, remaining: 2 });
    });

    it('ends FAILED, deleting nothing, when the report changed after approval', async () => {
      const run = await erasure.run({
        decisions: approveOnce,
        tasks: {
          PlanPurge: () => {
            throw namedError('ReportTamperedError', 'The report no longer has the approved SHA-256');
          },
        },
      });

      expect(run.path).toEqual([
        ...REPORTED,
        'Request approval',
        'Plan purge',
        'Erasure failed',
        ...INCOMPLETE,
      ]);
      expect(run.status).toBe('FAILED');
      expect(run.taskErrors).toEqual(['ReportTamperedError']);
      expect(run.calls.PurgeObjects).toBeUndefined();
      expect(run.calls.PurgeRecords).toBeUndefined();
      expectClosedAndNotified(run, { status: 'FAILED', decided: true, error: 'ReportTamperedError' });
    });
  });

  it('ends FAILED, closed and notified, when the purge report cannot be built', async () => {
    const run = await erasure.run({
      requestStatus: 'REQUESTED',
      tasks: {
        BuildPurgeReport: () => {
          throw namedError('AccessDeniedException', 'not authorized to perform dynamodb:Query');
        },
      },
    });

    expect(run.path).toEqual(['Build purge report', 'Erasure failed', ...INCOMPLETE]);
    expect(run.status).toBe('FAILED');
    expect(run.calls).toEqual({ BuildPurgeReport: 1, CloseRequest: 1 });
    expectClosedAndNotified(run, { status: 'FAILED', reported: false, error: 'AccessDeniedException' });
  });

  describe('closing and notifying', () => {
    it('notifies the failure and fails in Closing failed, leaving the request open and the lock held, when its table refuses access', async () => {
      const run = await erasure.run({
        decisions: approveOnce,
        onCloseRequestDynamoDbCall: () => {
          throw namedError('AccessDeniedException', 'not authorized to perform dynamodb:GetItem');
        },
      });

      expect(run.path).toEqual([
        ...REPORTED,
        'Request approval',
        ...PURGED,
        'Purge completed',
        'Close request',
        'Notify closing failure',
        'Closing failed',
      ]);
      expect(run.status).toBe('FAILED');
      expect(run.error).toBe('AccessDeniedException');
      expect(run.cause).toContain('not authorized to perform dynamodb:GetItem');
      expect(run.request).toEqual(run.seeded.request);
      expect(run.lock).toEqual(run.seeded.lock);
      expect(run.audit).toEqual([]);
      expect(run.published).toEqual([
        expect.objectContaining({
          subject: 'Happy Path erasure request could not be closed',
          message: { requestId: run.requestId, status: 'CLOSE_FAILED', error: 'AccessDeniedException' },
        }),
      ]);
    });

    it('fails in Closing failed when the request record does not exist', async () => {
      const run = await erasure.run({ withoutRequestRecord: true, decisions: approveOnce });

      expect(run.path.slice(-3)).toEqual(['Close request', 'Notify closing failure', 'Closing failed']);
      expect(run.status).toBe('FAILED');
      expect(run.error).toBe('ErasureRequestNotFoundError');
      expect(run.audit).toEqual([]);
      expect(run.published.map((publication) => publication.message.status)).toEqual(['CLOSE_FAILED']);
    });

    it('releases the lock when a retried close finds the request already closed', async () => {
      let deletes = 0;
      const run = await erasure.run({
        decisions: approveOnce,
        onCloseRequestDynamoDbCall: (action) => {
          if (action === 'DeleteItem' && ++deletes === 1) {
            throw namedError('ProvisionedThroughputExceededException', 'Throughput exceeded');
          }
        },
      });

      expect(run.calls.CloseRequest).toBe(2);
      expect(run.request?.status).toBe('COMPLETED');
      expect(run.lock).toBeUndefined();
      expect(run.audit).toHaveLength(1);
    });

    it('retries closing after DynamoDB throttles the update, writing one audit entry', async () => {
      let updates = 0;
      const run = await erasure.run({
        decisions: approveOnce,
        onCloseRequestDynamoDbCall: (action) => {
          if (action === 'UpdateItem' && ++updates === 1) {
            throw namedError('ProvisionedThroughputExceededException', 'Throughput exceeded');
          }
        },
      });

      expect(run.path).toEqual([...REPORTED, 'Request approval', ...PURGED, 'Purge completed', ...DONE]);
      expect(run.taskErrors).toEqual(['ProvisionedThroughputExceededException']);
      expect(run.calls.CloseRequest).toBe(2);
      expectClosedAndNotified(run, {
        status: 'COMPLETED',
        result: PURGE_RESULT,
        decided: true,
        remaining: 0,
        // written by the first attempt, before the update was throttled
        auditClosedAt: expect.stringMatching(ISO_TIME),
      });
    });

    it('fails in Notification failed, with the request closed and audited, when SNS refuses', async () => {
      const run = await erasure.run({
        decisions: approveOnce,
        onSnsPublish: () => {
          throw namedError('AuthorizationErrorException', 'not authorized to perform SNS:Publish');
        },
      });

      expect(run.path).toEqual([
        ...REPORTED,
        'Request approval',
        ...PURGED,
        'Purge completed',
        'Close request',
        'Notify outcome',
        'Notification failed',
      ]);
      expect(run.status).toBe('FAILED');
      expect(run.error).toBe('SNS.AuthorizationErrorException');
      expectRequestClosed(run, { status: 'COMPLETED', result: PURGE_RESULT, decided: true });
      expectAudited(run, { status: 'COMPLETED', result: PURGE_RESULT, decided: true });
      expect(run.lock).toBeUndefined();
      expect(run.published).toEqual([]);
    });

    it('fails in Notification failed with the SNS error even when it has no Cause', async () => {
      const run = await erasure.run({
        decisions: approveOnce,
        onSnsPublish: () => {
          throw new StatesError('SNS.AuthorizationErrorException');
        },
      });

      expect(run.path.slice(-3)).toEqual(['Close request', 'Notify outcome', 'Notification failed']);
      expect(run.error).toBe('SNS.AuthorizationErrorException');
      expect(JSON.parse(String(run.cause))).toEqual({ Error: 'SNS.AuthorizationErrorException' });
      expectAudited(run, { status: 'COMPLETED', result: PURGE_RESULT, decided: true });
    });

    it('retries the notification when SNS throttles it', async () => {
      let publishes = 0;
      const run = await erasure.run({
        decisions: approveOnce,
        onSnsPublish: () => {
          if (++publishes === 1) throw namedError('ThrottledException', 'Rate exceeded');
        },
      });

      expect(run.path.slice(-4)).toEqual(DONE);
      expect(run.status).toBe('SUCCEEDED');
      expect(run.taskErrors).toEqual(['SNS.ThrottledException']);
      expectNotified(run, { status: 'COMPLETED', remaining: 0 });
    });
  });

  it('has entered every state of the definition, Map iterator states included, across these tests', () => {
    expect(erasure.statesNeverEntered()).toEqual([]);
  });
});
