import type { ResolvedResource, ResolvedStack } from '../template';
import { generatedName } from '../template/names';
import { IamPolicyError } from './conditions';
import type { Caller, NamedPolicy, PolicyDocument, PolicyStatement } from './evaluate';
import {
  expandPolicyTemplate,
  isPolicyTemplate,
  managedPolicyArn,
  managedPolicyDocument,
  type StackScope,
} from './sam-policies';

/** Who runs with a role: a function, a state machine, or an EventBridge rule starting a state machine. */
export type PrincipalKind = 'function' | 'stateMachine' | 'eventRuleTarget';

export interface Principal {
  readonly kind: PrincipalKind;
  readonly stackName: string;
  /** The function, state machine (or `<StateMachine><Event>` rule) logical id. */
  readonly logicalId: string;
  /** Function name, state machine name, or rule target id. */
  readonly name: string;
  readonly roleName: string;
  readonly roleArn: string;
  /** The role session the calls are made as (Lambda names the session after the function). */
  readonly sessionArn: string;
  readonly accountId: string;
  /** Inline policies by name, then managed policies by ARN, as IAM attaches them. */
  readonly policies: readonly NamedPolicy[];
  /** Managed policies the role attaches whose documents are not in local/iam/data (nothing they grant is allowed). */
  readonly unknownManagedPolicies: readonly string[];
}

/** A resource-based policy: a bucket policy or a Lambda function's permissions. */
export interface ResourcePolicy {
  /** `arn:aws:s3:::<bucket>` (covers its objects) or the function ARN. */
  readonly resourceArn: string;
  readonly policy: NamedPolicy;
}

export interface IamModel {
  readonly principals: readonly Principal[];
  readonly resourcePolicies: readonly ResourcePolicy[];
}

type Properties = Record<string, unknown>;

function asArray(value: unknown): unknown[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

function isRecord(value: unknown): value is Properties {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function scopeOf(stack: ResolvedStack): StackScope {
  return { partition: stack.partition, region: stack.region, accountId: stack.accountId };
}

function samRoleName(stack: ResolvedStack, roleLogicalId: string): string {
  return generatedName({ stackName: stack.stackName, logicalId: roleLogicalId, maxLength: 64 });
}

/**
 * A SAM resource's `Policies` as aws-sam-translator turns them into role policies: a string is a
 * managed policy (name or ARN), `{ Statement }` an inline document, `{ <Template>: params }` a
 * policy template; each inline one is named `<Role>Policy<index>`.
 */
function samPolicies(
  stack: ResolvedStack,
  owner: string,
  roleLogicalId: string,
  policies: unknown,
): { inline: NamedPolicy[]; managed: string[] } {
  const inline: NamedPolicy[] = [];
  const managed: string[] = [];
  asArray(policies).forEach((entry, index) => {
    const name = `${roleLogicalId}Policy${index}`;
    if (typeof entry === 'string') {
      managed.push(managedPolicyArn(entry, stack.partition));
    } else if (isRecord(entry) && entry.Statement !== undefined) {
      inline.push({ name, document: entry as unknown as PolicyDocument });
    } else if (isRecord(entry) && Object.keys(entry).length === 1) {
      const [template, parameters] = Object.entries(entry)[0] as [string, unknown];
      if (!isPolicyTemplate(template))
        throw new IamPolicyError(
          `${stack.fileName}: ${owner}.Policies[${index}]: ${template} is not a SAM policy template in local/iam/data (run local/iam/data/generate-policy-templates.py)`,
        );
      inline.push({ name, document: expandPolicyTemplate(template, parameters, scopeOf(stack)) });
    } else {
      throw new IamPolicyError(`${stack.fileName}: ${owner}.Policies[${index}] is not a policy SAM accepts`);
    }
  });
  return { inline, managed };
}

function statementPolicy(name: string, statement: PolicyStatement): NamedPolicy {
  return { name, document: { Version: '2012-10-17', Statement: [statement] } };
}

/** What SAM's EventInvokeConfig destinations add to the role (IAMRolePolicies in aws-sam-translator). */
function destinationPolicies(roleLogicalId: string, invokeConfig: unknown): NamedPolicy[] {
  const destinations = isRecord(invokeConfig) ? invokeConfig.DestinationConfig : undefined;
  if (!isRecord(destinations)) return [];
  const grants: Record<string, { suffix: string; action: string }> = {
    SQS: { suffix: 'SQSPolicy', action: 'sqs:SendMessage' },
    SNS: { suffix: 'SNSPolicy', action: 'sns:publish' },
    EventBridge: { suffix: 'EventBridgePolicy', action: 'events:PutEvents' },
    Lambda: { suffix: 'LambdaPolicy', action: 'lambda:InvokeFunction' },
  };
  return (['OnSuccess', 'OnFailure'] as const).flatMap((when) => {
    const destination = destinations[when];
    if (!isRecord(destination) || typeof destination.Destination !== 'string') return [];
    const grant = grants[String(destination.Type)];
    if (!grant) return [];
    return [
      statementPolicy(`${roleLogicalId}${when}${grant.suffix}`, {
        Effect: 'Allow',
        Action: grant.action,
        Resource: destination.Destination,
      }),
    ];
  });
}

/** Explicit AWS::IAM::Role resources and the AWS::IAM::Policy resources attached to them, by role ARN. */
function explicitRoles(
  stack: ResolvedStack,
): Map<string, { roleName: string; inline: NamedPolicy[]; managed: string[] }> {
  const roles = new Map<string, { roleName: string; inline: NamedPolicy[]; managed: string[] }>();
  const byName = new Map<string, { roleName: string; inline: NamedPolicy[]; managed: string[] }>();
  for (const resource of Object.values(stack.resources)) {
    if (resource.type !== 'AWS::IAM::Role') continue;
    const roleName = String(resource.physicalId);
    const entry = {
      roleName,
      inline: asArray(resource.properties.Policies).flatMap((policy) =>
        isRecord(policy) && isRecord(policy.PolicyDocument)
          ? [
              {
                name: String(policy.PolicyName),
                document: policy.PolicyDocument as unknown as PolicyDocument,
              },
            ]
          : [],
      ),
      managed: asArray(resource.properties.ManagedPolicyArns).map(String),
    };
    roles.set(String(stack.getAtt(resource.logicalId, 'Arn')), entry);
    byName.set(roleName, entry);
  }
  for (const resource of Object.values(stack.resources)) {
    if (resource.type !== 'AWS::IAM::Policy' && resource.type !== 'AWS::IAM::ManagedPolicy') continue;
    const document = resource.properties.PolicyDocument as PolicyDocument;
    const name =
      resource.type === 'AWS::IAM::Policy'
        ? String(resource.properties.PolicyName)
        : String(resource.physicalId);
    for (const roleName of asArray(resource.properties.Roles).map(String)) {
      byName.get(roleName)?.inline.push({ name, document });
    }
  }
  return roles;
}

function principal(
  stack: ResolvedStack,
  fields: Pick<Principal, 'kind' | 'logicalId' | 'name' | 'roleName' | 'roleArn'>,
  sessionName: string,
  inline: readonly NamedPolicy[],
  managed: readonly string[],
): Principal {
  const unknownManagedPolicies: string[] = [];
  const managedPolicies: NamedPolicy[] = [];
  for (const arn of managed) {
    const document = managedPolicyDocument(arn);
    if (document) managedPolicies.push({ name: arn, document });
    else unknownManagedPolicies.push(arn);
  }
  return {
    ...fields,
    stackName: stack.stackName,
    accountId: stack.accountId,
    sessionArn: `arn:${stack.partition}:sts::${stack.accountId}:assumed-role/${fields.roleName}/${sessionName}`,
    policies: [...inline, ...managedPolicies],
    unknownManagedPolicies,
  };
}

function roleArnOf(stack: ResolvedStack, roleName: string): string {
  return `arn:${stack.partition}:iam::${stack.accountId}:role/${roleName}`;
}

function functionPrincipal(stack: ResolvedStack, fn: ResolvedResource): Principal {
  const functionName = String(fn.physicalId);
  const given = fn.properties.Role;
  if (given !== undefined) {
    const roleArn = String(given);
    const role = explicitRoles(stack).get(roleArn);
    const roleName = roleArn.slice(roleArn.lastIndexOf('/') + 1);
    return principal(
      stack,
      { kind: 'function', logicalId: fn.logicalId, name: functionName, roleName, roleArn },
      functionName,
      role?.inline ?? [],
      role?.managed ?? [],
    );
  }
  const roleLogicalId = `${fn.logicalId}Role`;
  const roleName = samRoleName(stack, roleLogicalId);
  const { inline, managed } = samPolicies(stack, fn.logicalId, roleLogicalId, fn.properties.Policies);
  const tracing = fn.properties.Tracing;
  const samManaged = [
    managedPolicyArn('service-role/AWSLambdaBasicExecutionRole', stack.partition),
    ...(tracing !== undefined && tracing !== 'Disabled'
      ? [
          managedPolicyArn(
            stack.partition === 'aws' ? 'AWSXrayWriteOnlyAccess' : 'AWSXRayDaemonWriteAccess',
            stack.partition,
          ),
        ]
      : []),
    ...(fn.properties.VpcConfig !== undefined
      ? [managedPolicyArn('service-role/AWSLambdaVPCAccessExecutionRole', stack.partition)]
      : []),
  ];
  const dlq = fn.properties.DeadLetterQueue;
  const dlqPolicies =
    isRecord(dlq) && typeof dlq.TargetArn === 'string'
      ? [
          statementPolicy('DeadLetterQueuePolicy', {
            Effect: 'Allow',
            Action: dlq.Type === 'SNS' ? 'sns:Publish' : 'sqs:SendMessage',
            Resource: dlq.TargetArn,
          }),
        ]
      : [];
  return principal(
    stack,
    {
      kind: 'function',
      logicalId: fn.logicalId,
      name: functionName,
      roleName,
      roleArn: roleArnOf(stack, roleName),
    },
    functionName,
    [...inline, ...dlqPolicies, ...destinationPolicies(roleLogicalId, fn.properties.EventInvokeConfig)],
    [...managed, ...samManaged],
  );
}

function stateMachinePrincipals(stack: ResolvedStack, machine: ResolvedResource): Principal[] {
  const name = String(stack.getAtt(machine.logicalId, 'Name'));
  const machineArn = String(machine.physicalId);
  const principals: Principal[] = [];
  if (machine.properties.Role !== undefined) {
    const roleArn = String(machine.properties.Role);
    const role = explicitRoles(stack).get(roleArn);
    const roleName = roleArn.slice(roleArn.lastIndexOf('/') + 1);
    principals.push(
      principal(
        stack,
        { kind: 'stateMachine', logicalId: machine.logicalId, name, roleName, roleArn },
        name,
        role?.inline ?? [],
        role?.managed ?? [],
      ),
    );
  } else {
    const roleLogicalId = `${machine.logicalId}Role`;
    const roleName = samRoleName(stack, roleLogicalId);
    const { inline, managed } = samPolicies(
      stack,
      machine.logicalId,
      roleLogicalId,
      machine.properties.Policies,
    );
    const tracing = machine.properties.Tracing;
    if (isRecord(tracing) && tracing.Enabled === true)
      managed.push(
        managedPolicyArn(
          stack.partition === 'aws' ? 'AWSXrayWriteOnlyAccess' : 'AWSXRayDaemonWriteAccess',
          stack.partition,
        ),
      );
    principals.push(
      principal(
        stack,
        {
          kind: 'stateMachine',
          logicalId: machine.logicalId,
          name,
          roleName,
          roleArn: roleArnOf(stack, roleName),
        },
        name,
        inline,
        managed,
      ),
    );
  }
  // EventBridge rules SAM creates for the state machine start it with a role of their own.
  for (const [eventId, event] of Object.entries((machine.properties.Events ?? {}) as Properties)) {
    if (
      !isRecord(event) ||
      (event.Type !== 'EventBridgeRule' && event.Type !== 'CloudWatchEvent' && event.Type !== 'Schedule')
    )
      continue;
    const roleLogicalId = `${machine.logicalId}${eventId}Role`;
    const roleName = samRoleName(stack, roleLogicalId);
    principals.push(
      principal(
        stack,
        {
          kind: 'eventRuleTarget',
          logicalId: `${machine.logicalId}${eventId}`,
          name: `${machine.logicalId}${eventId}`,
          roleName,
          roleArn: roleArnOf(stack, roleName),
        },
        // EventBridge names its target sessions itself; any fixed name stands in for it.
        'events',
        [
          statementPolicy(`${roleLogicalId}StartExecutionPolicy`, {
            Effect: 'Allow',
            Action: 'states:StartExecution',
            Resource: machineArn,
          }),
        ],
        [],
      ),
    );
  }
  return principals;
}

/** The name of the principal an AWS::Events::Rule target acts as (its RoleArn's role). */
export function ruleTargetPrincipalName(ruleLogicalId: string, targetId: string): string {
  return `${ruleLogicalId}/${targetId}`;
}

/**
 * The targets of an AWS::Events::Rule that name a RoleArn of an AWS::IAM::Role in the same
 * template: EventBridge acts as that role (e.g. to start a state machine).
 */
function ruleTargetPrincipals(stack: ResolvedStack, rule: ResolvedResource): Principal[] {
  const roles = explicitRoles(stack);
  return asArray(rule.properties.Targets).flatMap((target) => {
    if (!isRecord(target) || typeof target.RoleArn !== 'string') return [];
    const role = roles.get(target.RoleArn);
    if (!role) return [];
    return [
      principal(
        stack,
        {
          kind: 'eventRuleTarget',
          logicalId: rule.logicalId,
          name: ruleTargetPrincipalName(rule.logicalId, String(target.Id)),
          roleName: role.roleName,
          roleArn: target.RoleArn,
        },
        // EventBridge names its target sessions itself; any fixed name stands in for it.
        'events',
        role.inline,
        role.managed,
      ),
    ];
  });
}

/** The ARN of the rule SAM creates for a function's or state machine's EventBridge event. */
export function samRuleArn(stack: ResolvedStack, ruleLogicalId: string, eventProperties: Properties): string {
  const bus = eventProperties.EventBusName;
  const busName =
    typeof bus === 'string' && bus !== 'default' ? bus.slice(bus.lastIndexOf('/') + 1) : undefined;
  const ruleName =
    typeof eventProperties.RuleName === 'string'
      ? eventProperties.RuleName
      : generatedName({ stackName: stack.stackName, logicalId: ruleLogicalId, maxLength: 64 });
  return `arn:${stack.partition}:events:${stack.region}:${stack.accountId}:rule/${busName ? `${busName}/` : ''}${ruleName}`;
}

/** Lambda's statement for an AWS::Lambda::Permission (as GetPolicy shows it). */
function permissionStatement(sid: string, properties: Properties, functionArn: string): PolicyStatement {
  const condition: Record<string, Record<string, string>> = {};
  if (properties.SourceAccount !== undefined)
    condition.StringEquals = { 'AWS:SourceAccount': String(properties.SourceAccount) };
  if (properties.SourceArn !== undefined)
    condition.ArnLike = { 'AWS:SourceArn': String(properties.SourceArn) };
  const principalText = String(properties.Principal);
  return {
    Sid: sid,
    Effect: 'Allow',
    Principal: principalText.includes('.') ? { Service: principalText } : { AWS: principalText },
    Action: String(properties.Action),
    Resource: functionArn,
    ...(Object.keys(condition).length > 0 ? { Condition: condition } : {}),
  };
}

/** The AWS::Lambda::Permission resources SAM generates for a function's event sources. */
function samFunctionPermissions(
  stack: ResolvedStack,
  fn: ResolvedResource,
  functionArn: string,
): NamedPolicy[] {
  const permissions: NamedPolicy[] = [];
  for (const [eventId, event] of Object.entries((fn.properties.Events ?? {}) as Properties)) {
    if (!isRecord(event)) continue;
    const properties = (isRecord(event.Properties) ? event.Properties : {}) as Properties;
    const sid = `${fn.logicalId}${eventId}Permission`;
    let permission: Properties | undefined;
    if (event.Type === 'S3') {
      permission = {
        Action: 'lambda:InvokeFunction',
        Principal: 's3.amazonaws.com',
        SourceAccount: stack.accountId,
      };
    } else if (
      event.Type === 'EventBridgeRule' ||
      event.Type === 'CloudWatchEvent' ||
      event.Type === 'Schedule'
    ) {
      permission = {
        Action: 'lambda:InvokeFunction',
        Principal: 'events.amazonaws.com',
        SourceArn: samRuleArn(stack, `${fn.logicalId}${eventId}`, properties),
      };
    } else if (event.Type === 'HttpApi' || event.Type === 'Api') {
      const apiId = properties.ApiId ?? properties.RestApiId ?? '*';
      const method = typeof properties.Method === 'string' ? properties.Method.toUpperCase() : '*';
      const path = typeof properties.Path === 'string' ? properties.Path.replace(/\{[^}]+\}/g, '*') : '/*';
      permission = {
        Action: 'lambda:InvokeFunction',
        Principal: 'apigateway.amazonaws.com',
        SourceArn: `arn:${stack.partition}:execute-api:${stack.region}:${stack.accountId}:${String(apiId)}/*/${method === 'ANY' ? '*' : method}${path}`,
      };
    }
    if (permission) permissions.push(statementPolicy(sid, permissionStatement(sid, permission, functionArn)));
  }
  return permissions;
}

/**
 * Every principal of the stacks with its effective policies, as SAM and CloudFormation would
 * create them, and the resource-based policies of their buckets and functions.
 */
export function buildIamModel(stacks: readonly ResolvedStack[]): IamModel {
  const principals: Principal[] = [];
  const resourcePolicies: ResourcePolicy[] = [];
  for (const stack of stacks) {
    const functionArns = new Map<string, string>();
    for (const resource of Object.values(stack.resources)) {
      if (resource.type === 'AWS::Serverless::Function') {
        principals.push(functionPrincipal(stack, resource));
        const arn = String(stack.getAtt(resource.logicalId, 'Arn'));
        functionArns.set(String(resource.physicalId), arn);
        for (const policy of samFunctionPermissions(stack, resource, arn))
          resourcePolicies.push({ resourceArn: arn, policy });
      } else if (resource.type === 'AWS::Serverless::StateMachine') {
        principals.push(...stateMachinePrincipals(stack, resource));
      } else if (resource.type === 'AWS::Events::Rule') {
        principals.push(...ruleTargetPrincipals(stack, resource));
      }
    }
    for (const resource of Object.values(stack.resources)) {
      if (resource.type === 'AWS::S3::BucketPolicy') {
        resourcePolicies.push({
          resourceArn: `arn:${stack.partition}:s3:::${String(resource.properties.Bucket)}`,
          policy: {
            name: resource.logicalId,
            document: resource.properties.PolicyDocument as PolicyDocument,
          },
        });
      } else if (resource.type === 'AWS::Lambda::Permission') {
        const target = String(resource.properties.FunctionName);
        const arn = target.startsWith('arn:') ? target : (functionArns.get(target) ?? target);
        resourcePolicies.push({
          resourceArn: arn,
          policy: statementPolicy(
            resource.logicalId,
            permissionStatement(resource.logicalId, resource.properties, arn),
          ),
        });
      }
    }
  }
  return { principals, resourcePolicies };
}

/** The resource-based policies that apply to a resource ARN (a bucket's policy covers its objects). */
export function resourcePoliciesFor(model: IamModel, resourceArn: string): NamedPolicy[] {
  const s3 = /^(arn:[^:]+:s3:::[^/]+)/.exec(resourceArn);
  const lambda = /^(arn:[^:]+:lambda:[^:]*:[^:]*:function:[^:]+)/.exec(resourceArn);
  const key = s3?.[1] ?? lambda?.[1] ?? resourceArn;
  return model.resourcePolicies.filter((entry) => entry.resourceArn === key).map((entry) => entry.policy);
}

/** The caller a principal's calls are evaluated as. */
export function callerOf(principal: Principal): Caller {
  return {
    kind: 'role',
    sessionArn: principal.sessionArn,
    roleArn: principal.roleArn,
    accountId: principal.accountId,
    policies: principal.policies,
  };
}

/** A principal by function name, state machine name or logical id. */
export function findPrincipal(
  model: IamModel,
  nameOrLogicalId: string,
  kind?: PrincipalKind,
): Principal | undefined {
  return model.principals.find(
    (candidate) =>
      (kind === undefined || candidate.kind === kind) &&
      (candidate.name === nameOrLogicalId || candidate.logicalId === nameOrLogicalId),
  );
}
