import * as z from 'zod/mini';
import { baseUrl, nonEmpty, readConfig } from '#shared/config';
import { correlate, lambdaHandler } from '#shared/handler';
import { logger } from '#shared/logger';
import { parseTaskInput } from '#shared/task-input';
import { requestApproval } from './approvals';
import { requestApprovalInputSchema } from './erasure';

const config = readConfig(
  z.object({
    TABLE_NAME: nonEmpty,
    GDPR_SECRET_ID: nonEmpty,
    SENDER_EMAIL: nonEmpty,
    APPROVER_EMAIL: nonEmpty,
    APPROVAL_BASE_URL: baseUrl,
  }),
);

/**
 * Erasure flow tasks "Request approval" (phase FIRST) and "Send reminder" (phase REMINDER),
 * invoked with lambda:invoke.waitForTaskToken: stores the token against the request's approval
 * and emails the approver signed approve/reject links. The execution waits for the decision.
 */
export const handler = lambdaHandler(async (event: unknown): Promise<{ approvalId: string }> => {
  const input = parseTaskInput(requestApprovalInputSchema, event);
  correlate({ erasureRequestId: input.requestId });
  const requested = await requestApproval(
    {
      tableName: config.TABLE_NAME,
      secretId: config.GDPR_SECRET_ID,
      senderEmail: config.SENDER_EMAIL,
      approverEmail: config.APPROVER_EMAIL,
      approvalBaseUrl: config.APPROVAL_BASE_URL,
    },
    input,
  );
  logger.info(input.phase === 'REMINDER' ? 'Approval reminder sent' : 'Approval requested', {
    approvalId: requested.approvalId,
    created: requested.created,
    expiresAt: requested.expiresAt,
  });
  return { approvalId: requested.approvalId };
});
