export {
  AccessControl,
  type AccessControlOptions,
  type AccessDecision,
  type AuthorizationRecord,
  authorize,
  type Credentials,
  type Identity,
  type ServiceAccess,
} from './access';
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
