import * as z from 'zod/mini';
import { nonEmpty, readConfig } from '#shared/config';
import { logger } from '#shared/logger';
import { htmlResponse, htmlRoute, linkParametersFrom, messagePage } from './approval-pages';
import { decideApproval } from './approvals';
import { signedInApprover } from './approver-sign-in';

const config = readConfig(
  z.object({ TABLE_NAME: nonEmpty, GDPR_SECRET_ID: nonEmpty, APPROVER_SCOPE: nonEmpty }),
);

/**
 * POST /gdpr/approvals/{approvalId} (form: decision, expires, signature; JWT authorizer with the
 * approver scope) — the signed-in approver's decision, recorded with their keyed hash, resumes the
 * waiting execution. 401/403 without an approver sign-in; link refusals (403/404/409/410) happen
 * before any write and never reach Step Functions; 503 when Step Functions refused it (taken
 * back: try again) or did not confirm it (kept: do not resubmit).
 */
export const handler = htmlRoute(async (event) => {
  const approverId = signedInApprover(event, config.APPROVER_SCOPE);
  const { decision } = await decideApproval(
    { tableName: config.TABLE_NAME, secretId: config.GDPR_SECRET_ID, approverId },
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
