import {
  conditionMatches,
  globMatches,
  IamPolicyError,
  type RequestContext,
  substituteVariables,
} from './conditions';

/** One statement of a policy document, as written (strings or lists). */
export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action?: string | readonly string[];
  readonly NotAction?: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly NotResource?: string | readonly string[];
  readonly Principal?: unknown;
  readonly NotPrincipal?: unknown;
  readonly Condition?: Record<string, unknown>;
}

export interface PolicyDocument {
  readonly Version?: string;
  readonly Statement: PolicyStatement | readonly PolicyStatement[];
}

/** A policy with the name logs and messages give it (inline policy name or managed policy ARN). */
export interface NamedPolicy {
  readonly name: string;
  readonly document: PolicyDocument;
}

/** Who makes a request: a role session (identity policies apply) or an AWS service principal. */
export type Caller =
  | {
      readonly kind: 'role';
      /** `arn:aws:sts::<account>:assumed-role/<role>/<session>` */
      readonly sessionArn: string;
      /** `arn:aws:iam::<account>:role/<path><role>` */
      readonly roleArn: string;
      readonly accountId: string;
      readonly policies: readonly NamedPolicy[];
    }
  | { readonly kind: 'service'; readonly service: string };

export interface EvaluationRequest {
  readonly caller: Caller;
  readonly action: string;
  /** The resource ARN, or `*` for actions that take no resource. */
  readonly resource: string;
  readonly context?: RequestContext;
  /** The resource-based policies of the resource (same account as the caller), if it has any. */
  readonly resourcePolicies?: readonly NamedPolicy[];
}

export interface MatchedStatement {
  readonly policy: string;
  readonly policyType: 'identity-based' | 'resource-based';
  readonly index: number;
  readonly sid?: string;
  readonly statement: PolicyStatement;
}

export type Decision = 'Allow' | 'ExplicitDeny' | 'ImplicitDeny';

export interface EvaluationResult {
  readonly decision: Decision;
  readonly matchedStatement?: MatchedStatement;
  /** Why, in one sentence (for logs and error messages). */
  readonly reason: string;
  /** For a denial, the policy type that would have to allow (or that denied). */
  readonly deniedBy?: 'identity-based' | 'resource-based';
}

function list(value: string | readonly string[] | undefined): readonly string[] | undefined {
  if (value === undefined) return undefined;
  return typeof value === 'string' ? [value] : value;
}

function statementsOf(policy: NamedPolicy): readonly PolicyStatement[] {
  const statement = policy.document.Statement;
  const statements = Array.isArray(statement) ? statement : [statement as PolicyStatement];
  for (const [index, item] of statements.entries()) {
    if (item.Effect !== 'Allow' && item.Effect !== 'Deny')
      throw new IamPolicyError(`${policy.name} statement ${index}: Effect must be Allow or Deny`);
    if ((item.Action === undefined) === (item.NotAction === undefined))
      throw new IamPolicyError(
        `${policy.name} statement ${index}: needs exactly one of Action and NotAction`,
      );
  }
  return statements;
}

/** Actions compare case-insensitively, with `*` and `?` wildcards. */
export function actionMatches(pattern: string, action: string): boolean {
  return globMatches(pattern, action, true);
}

/** Resources compare case-sensitively, with wildcards and policy variables. */
export function resourceMatches(pattern: string, resource: string, context: RequestContext): boolean {
  if (pattern === '*') return true;
  const resolved = substituteVariables(pattern, context);
  return resolved !== undefined && globMatches(resolved, resource);
}

function principalMatches(principal: unknown, caller: Caller): boolean {
  if (principal === '*') return true;
  if (typeof principal !== 'object' || principal === null) return false;
  const entry = principal as { AWS?: unknown; Service?: unknown };
  const values = (value: unknown) =>
    (value === undefined ? [] : Array.isArray(value) ? value : [value]).map(String);
  if (caller.kind === 'service') return values(entry.Service).includes(caller.service);
  return values(entry.AWS).some(
    (value) =>
      value === '*' ||
      value === caller.roleArn ||
      value === caller.sessionArn ||
      value === caller.accountId ||
      value === `arn:aws:iam::${caller.accountId}:root`,
  );
}

/** Whether a resource-policy statement names the caller's role or session itself (not just its account). */
function namesCallerDirectly(principal: unknown, caller: Caller): boolean {
  if (caller.kind === 'service' || principal === '*') return true;
  const aws = (principal as { AWS?: unknown } | undefined)?.AWS;
  const values = (aws === undefined ? [] : Array.isArray(aws) ? aws : [aws]).map(String);
  return values.some((value) => value === '*' || value === caller.roleArn || value === caller.sessionArn);
}

function applies(statement: PolicyStatement, request: EvaluationRequest, context: RequestContext): boolean {
  const actions = list(statement.Action);
  const notActions = list(statement.NotAction);
  const actionOk = actions
    ? actions.some((pattern) => actionMatches(pattern, request.action))
    : !(notActions ?? []).some((pattern) => actionMatches(pattern, request.action));
  if (!actionOk) return false;
  const resources = list(statement.Resource);
  const notResources = list(statement.NotResource);
  if (resources) {
    if (!resources.some((pattern) => resourceMatches(pattern, request.resource, context))) return false;
  } else if (notResources) {
    if (notResources.some((pattern) => resourceMatches(pattern, request.resource, context))) return false;
  }
  return conditionMatches(statement.Condition, context);
}

/**
 * AWS's policy evaluation for one request in one account: an explicit Deny in any applicable
 * policy wins; otherwise an Allow in an identity-based policy or in a resource-based policy that
 * names the caller allows; otherwise the request is implicitly denied. A same-account
 * resource-policy Allow whose principal is only the account (root) delegates to IAM and does
 * not allow by itself. Not modelled: SCPs/RCPs, permission boundaries, session policies,
 * cross-account access, and resource policies other than those passed in.
 */
export function evaluate(request: EvaluationRequest): EvaluationResult {
  const context: RequestContext = {
    ...(request.caller.kind === 'role'
      ? { 'aws:PrincipalArn': request.caller.roleArn, 'aws:PrincipalAccount': request.caller.accountId }
      : { 'aws:PrincipalServiceName': request.caller.service }),
    ...request.context,
  };
  const candidates: Array<{ policy: NamedPolicy; type: MatchedStatement['policyType'] }> = [
    ...(request.caller.kind === 'role' ? request.caller.policies : []).map((policy) => ({
      policy,
      type: 'identity-based' as const,
    })),
    ...(request.resourcePolicies ?? []).map((policy) => ({ policy, type: 'resource-based' as const })),
  ];
  let allow: MatchedStatement | undefined;
  for (const { policy, type } of candidates) {
    for (const [index, statement] of statementsOf(policy).entries()) {
      if (type === 'resource-based') {
        const named =
          statement.Principal !== undefined
            ? principalMatches(statement.Principal, request.caller)
            : statement.NotPrincipal !== undefined &&
              !principalMatches(statement.NotPrincipal, request.caller);
        if (!named) continue;
      }
      if (!applies(statement, request, context)) continue;
      const matched: MatchedStatement = {
        policy: policy.name,
        policyType: type,
        index,
        statement,
        ...(statement.Sid ? { sid: statement.Sid } : {}),
      };
      if (statement.Effect === 'Deny') {
        return {
          decision: 'ExplicitDeny',
          matchedStatement: matched,
          deniedBy: type,
          reason: `explicitly denied by ${describeStatement(matched)}`,
        };
      }
      const grants = type === 'identity-based' || namesCallerDirectly(statement.Principal, request.caller);
      if (grants) allow ??= matched;
    }
  }
  if (allow)
    return { decision: 'Allow', matchedStatement: allow, reason: `allowed by ${describeStatement(allow)}` };
  const deniedBy = request.caller.kind === 'service' ? 'resource-based' : 'identity-based';
  return {
    decision: 'ImplicitDeny',
    deniedBy,
    reason: `no ${deniedBy} policy allows the ${request.action} action on ${request.resource}`,
  };
}

/** `policy CheckDimensionsFunctionRolePolicy0, statement 1 (Sid ReadUploads)` */
export function describeStatement(matched: MatchedStatement): string {
  return `${matched.policyType} policy ${matched.policy}, statement ${matched.index}${matched.sid ? ` (Sid ${matched.sid})` : ''}`;
}
