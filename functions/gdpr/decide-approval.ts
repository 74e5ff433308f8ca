import * as z from 'zod/mini';
import { nonEmpty, readConfig } from '#shared/config';
import { logger } from '#shared/logger';
import { htmlResponse, htmlRoute, linkParametersFrom, messagePage } from './approval-pages';
import { decideApproval } from './approvals';

const config = readConfig(
  z.object({ TABLE_NAME: nonEmpty, GDPR_SECRET_ID: nonEmpty, APPROVER_EMAIL: nonEmpty }),
);

/**
 * POST /gdpr/approvals/{approvalId} (form: decision, expires, signature; no authorizer) — records
 * the decision and resumes the waiting execution. Refusals (403/404/409/410) happen before any
 * write and never reach Step Functions; 503 when Step Functions refused it (taken back: try again)
 * or did not confirm it (kept: do not resubmit).
 */
export const handler = htmlRoute(async (event) => {
  const { decision } = await decideApproval(
    { tableName: config.TABLE_NAME, secretId: config.GDPR_SECRET_ID, approverEmail: config.APPROVER_EMAIL },
    linkParametersFrom(event, 'form'),
  );
  logger.info('Approval decided', { decision });
  return decision === 'APPROVED'
    ? htmlResponse(200, messagePage('Erasure approved — the purge has started', 'You can close this page.'))
    : htmlResponse(
        200,
        messagePage('Erasure rejected — nothing will be deleted', 'You can close this page.'),
      );
});
