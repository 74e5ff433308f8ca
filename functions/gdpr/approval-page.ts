import * as z from 'zod/mini';
import { nonEmpty, readConfig } from '#shared/config';
import { logger } from '#shared/logger';
import { confirmationPage, htmlResponse, htmlRoute, linkParametersFrom } from './approval-pages';
import { openApproval } from './approvals';

const config = readConfig(
  z.object({ TABLE_NAME: nonEmpty, GDPR_SECRET_ID: nonEmpty, APPROVER_SCOPE: nonEmpty }),
);

/**
 * GET /gdpr/approvals/{approvalId}?decision&expires&signature (no authorizer: mail scanners and
 * the approver's browser open it without a token) — a confirmation page whose form POSTs the
 * decision with the approver's access token (the POST requires the approver sign-in). Changes nothing: mail
 * scanners fetch links. 403 forged or malformed, 410 expired, 404 unknown, 409 already decided.
 */
export const handler = htmlRoute(async (event) => {
  const { approval, link, signature } = await openApproval(
    { tableName: config.TABLE_NAME, secretId: config.GDPR_SECRET_ID },
    linkParametersFrom(event, 'query'),
  );
  logger.info('Approval page shown', { decision: link.decision });
  const summary = {
    requestId: approval.requestId,
    counts: approval.counts,
    reportSha256: approval.reportSha256,
    expiresAt: new Date(approval.expiresAt),
  };
  return htmlResponse(200, confirmationPage(summary, { ...link, signature }, config.APPROVER_SCOPE));
});
