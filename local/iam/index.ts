import type { RequestContext } from './conditions';
import { type EvaluationResult, evaluate } from './evaluate';
import { type AccessDeniedError, accessDeniedError, deniedLogLine } from './messages';
import { authorizationsFor, type ServiceRequest } from './requests';
import { callerOf, type IamModel, type Principal, resourcePoliciesFor } from './roles';

export {
  type ContextValue,
  conditionMatches,
  globMatches,
  IamPolicyError,
  operatorMatches,
  type RequestContext,
} from './conditions';
export {
  actionMatches,
  type Caller,
  type Decision,
  describeStatement,
  type EvaluationRequest,
  type EvaluationResult,
  evaluate,
  type MatchedStatement,
  type NamedPolicy,
  type PolicyDocument,
  type PolicyStatement,
  resourceMatches,
} from './evaluate';
export { type AccessDeniedError, accessDeniedError, accessDeniedShape, deniedLogLine } from './messages';
export { type Authorization, authorizationsFor, integrationRequest, type ServiceRequest } from './requests';
export {
  buildIamModel,
  callerOf,
  findPrincipal,
  type IamModel,
  type Principal,
  type PrincipalKind,
  type ResourcePolicy,
  resourcePoliciesFor,
  ruleTargetPrincipalName,
  samRuleArn,
} from './roles';
export { expandPolicyTemplate, managedPolicyDocument } from './sam-policies';

export type AuthorizeResult =
  | { readonly allowed: true }
  | {
      readonly allowed: false;
      readonly action: string;
      readonly resource: string;
      readonly result: EvaluationResult;
      readonly error: AccessDeniedError;
      readonly logLine: string;
    };

/**
 * Whether `principal` may make `request`: every authorization the request needs is evaluated
 * against the principal's policies and the resource's policies; the first refused one is
 * returned with the service's error and a log line. `context` adds global condition keys
 * (`aws:SecureTransport`, `aws:SourceIp`, `aws:CurrentTime`, …) the caller knows.
 */
export function authorize(
  model: IamModel,
  principal: Principal,
  request: ServiceRequest,
  context: RequestContext = {},
): AuthorizeResult {
  for (const authorization of authorizationsFor(request)) {
    const result = evaluate({
      caller: callerOf(principal),
      action: authorization.action,
      resource: authorization.resource,
      context: { ...context, ...authorization.context },
      resourcePolicies: resourcePoliciesFor(model, authorization.resource),
    });
    if (result.decision !== 'Allow') {
      const service = authorization.action.slice(0, authorization.action.indexOf(':'));
      return {
        allowed: false,
        action: authorization.action,
        resource: authorization.resource,
        result,
        error: accessDeniedError(
          request.service === 'rekognition' ? 'rekognition' : service,
          principal.sessionArn,
          authorization.action,
          authorization.resource,
          result,
        ),
        logLine: deniedLogLine(
          `${principal.kind} ${principal.name}`,
          authorization.action,
          authorization.resource,
          result,
        ),
      };
    }
  }
  return { allowed: true };
}
export {
  AccessControl,
  type AccessControlOptions,
  type AccessDecision,
  type AuthorizationRecord,
  type Credentials,
  type Identity,
} from './access';
