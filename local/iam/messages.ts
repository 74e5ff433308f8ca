import { describeStatement, type EvaluationResult } from './evaluate';

/** A refused call as the service answers it. */
export interface AccessDeniedError {
  /** `AccessDenied` (S3, CloudFront, SES), `AuthorizationError` (SNS), else `AccessDeniedException`. */
  readonly code: string;
  readonly statusCode: number;
  readonly message: string;
}

/** How each service names and numbers its access-denied error. */
const ERRORS: Readonly<Record<string, { code: string; statusCode: number }>> = {
  s3: { code: 'AccessDenied', statusCode: 403 },
  cloudfront: { code: 'AccessDenied', statusCode: 403 },
  ses: { code: 'AccessDenied', statusCode: 403 },
  sns: { code: 'AuthorizationError', statusCode: 403 },
  lambda: { code: 'AccessDeniedException', statusCode: 403 },
};
const JSON_SERVICE_ERROR = { code: 'AccessDeniedException', statusCode: 400 };

/** The code and HTTP status of a service's access-denied error. */
export function accessDeniedShape(service: string): { code: string; statusCode: number } {
  return ERRORS[service] ?? JSON_SERVICE_ERROR;
}

/**
 * The error message IAM's authorization gives (the wording AWS uses since 2021, naming the
 * policy type): `User: <principal> is not authorized to perform: <action> on resource:
 * <resource> because no identity-based policy allows the <action> action`, or `… with an
 * explicit deny in an identity-based policy`. S3 quotes the resource ARN.
 */
export function accessDeniedError(
  service: string,
  principalArn: string,
  action: string,
  resource: string,
  result: EvaluationResult,
): AccessDeniedError {
  const { code, statusCode } = accessDeniedShape(service);
  const shownResource = service === 's3' ? `"${resource}"` : resource;
  const policyType = result.deniedBy ?? 'identity-based';
  const why =
    result.decision === 'ExplicitDeny'
      ? `with an explicit deny in ${policyType === 'identity-based' ? 'an' : 'a'} ${policyType} policy`
      : `because no ${policyType} policy allows the ${action} action`;
  return {
    code,
    statusCode,
    message: `User: ${principalArn} is not authorized to perform: ${action} on resource: ${shownResource} ${why}`,
  };
}

/**
 * The runtime's log line for a refused call: who, what, on which resource, and the statement that
 * denied it or the statement that would have allowed it.
 */
export function deniedLogLine(
  principalName: string,
  action: string,
  resource: string,
  result: EvaluationResult,
): string {
  if (result.decision === 'ExplicitDeny' && result.matchedStatement)
    return `IAM: ${principalName} refused ${action} on ${resource}: explicitly denied by ${describeStatement(result.matchedStatement)}`;
  const resourcePart = resource === '*' ? '"*"' : JSON.stringify(resource);
  return `IAM: ${principalName} refused ${action} on ${resource}: no ${result.deniedBy ?? 'identity-based'} policy allows it; missing statement {"Effect":"Allow","Action":"${action}","Resource":${resourcePart}}`;
}
