import { basename } from 'node:path';
import {
  authorizationsFor,
  authorize,
  buildIamModel,
  evaluate,
  findPrincipal,
  type IamModel,
  type Principal,
  resourcePoliciesFor,
} from '../../../local/iam';
import type { ResolvedStack } from '../../../local/template';
import { requiredActions } from '../../templates/rules';
import {
  ACCOUNT,
  CALLS,
  callsOf,
  entryPointOf,
  loadRealProject,
  ROOT,
  stateMachineCalls,
  WORKFLOW_VERSIONS,
} from './real-templates';

/** In AWS the SDK calls every service over HTTPS; the bucket policies deny anything else. */
const HTTPS = { 'aws:SecureTransport': 'true' };

function functionsOf(stacks: readonly ResolvedStack[]) {
  return stacks.flatMap((stack) =>
    Object.values(stack.resources)
      .filter((resource) => resource.type === 'AWS::Serverless::Function')
      .map((resource) => ({ stack, resource })),
  );
}

/** Every refused call of every function and state machine, as `<who>: <log line>`. */
function refusedCalls(stacks: readonly ResolvedStack[], model: IamModel): string[] {
  const refused: string[] = [];
  for (const { stack, resource } of functionsOf(stacks)) {
    const principal = findPrincipal(model, String(resource.physicalId), 'function') as Principal;
    for (const call of callsOf(resource, stacks)) {
      const outcome = authorize(model, principal, { ...call, ...ACCOUNT, partition: stack.partition }, HTTPS);
      if (!outcome.allowed) refused.push(`${stack.fileName} ${resource.logicalId}: ${outcome.logLine}`);
    }
  }
  for (const stack of stacks) {
    for (const machine of Object.values(stack.resources).filter(
      (r) => r.type === 'AWS::Serverless::StateMachine',
    )) {
      const principal = findPrincipal(model, machine.logicalId, 'stateMachine') as Principal;
      const tasks = stateMachineCalls(stack, machine);
      if (tasks.length === 0) refused.push(`${stack.fileName} ${machine.logicalId}: no Task states found`);
      for (const { path, request } of tasks) {
        const outcome = authorize(model, principal, request, HTTPS);
        if (!outcome.allowed)
          refused.push(`${stack.fileName} ${machine.logicalId} (${path}): ${outcome.logLine}`);
      }
    }
  }
  return refused;
}

describe.each(WORKFLOW_VERSIONS)('IAM on the real templates with %s', (workflow) => {
  let stacks: ResolvedStack[];
  let model: IamModel;

  beforeAll(() => {
    stacks = loadRealProject(workflow);
    model = buildIamModel(stacks);
  });

  it('allows every call each function and state machine makes, on the resources its template names', () => {
    expect(refusedCalls(stacks, model)).toEqual([]);
  });

  it("lets the state machine's EventBridge rule start it, and nothing else", () => {
    const machine = stacks
      .flatMap((stack) => Object.values(stack.resources))
      .find(
        (resource) =>
          resource.type === 'AWS::Serverless::StateMachine' && resource.logicalId === 'ImageWorkflow',
      );
    const target = model.principals.find(
      (p) => p.kind === 'eventRuleTarget' && p.logicalId === 'ImageWorkflowUploadComplete',
    );
    expect(target).toBeDefined();
    const request = { service: 'states', operation: 'StartExecution', ...ACCOUNT };
    expect(
      authorize(model, target as Principal, {
        ...request,
        params: { stateMachineArn: String(machine?.physicalId) },
      }),
    ).toEqual({ allowed: true });
    const other = authorize(model, target as Principal, {
      ...request,
      params: { stateMachineArn: `arn:aws:states:${ACCOUNT.region}:${ACCOUNT.accountId}:stateMachine:other` },
    });
    expect(other.allowed).toBe(false);
  });

  it('lets S3 invoke the upload notification function only from this account (its Lambda permission)', () => {
    const fn = findPrincipal(model, 'NotifyUploadCompleteFunction', 'function') as Principal;
    const arn = `arn:aws:lambda:${ACCOUNT.region}:${ACCOUNT.accountId}:function:${fn.name}`;
    const invoke = (sourceAccount: string) =>
      evaluate({
        caller: { kind: 'service', service: 's3.amazonaws.com' },
        action: 'lambda:InvokeFunction',
        resource: arn,
        context: { 'aws:SourceAccount': sourceAccount },
        resourcePolicies: resourcePoliciesFor(model, arn),
      }).decision;
    expect([invoke(ACCOUNT.accountId), invoke('999999999999')]).toEqual(['Allow', 'ImplicitDeny']);
  });
});

describe('the call lists the IAM tests check', () => {
  const stacks = loadRealProject('workflow-v4');
  const entries = [...new Set(functionsOf(stacks).map(({ resource }) => entryPointOf(resource)))];

  it.each(entries)('cover every SDK command the bundled code of %s constructs', (entry) => {
    const fn = functionsOf(stacks).find(({ resource }) => entryPointOf(resource) === entry);
    const listed = new Set(
      callsOf(fn?.resource as never, stacks).flatMap((call) =>
        authorizationsFor({ ...call, ...ACCOUNT }).map((authorization) =>
          authorization.action
            .replace('s3:GetObjectVersion', 's3:GetObject')
            .replace('s3:DeleteObjectVersion', 's3:DeleteObject'),
        ),
      ),
    );
    const needed = [...requiredActions(`${ROOT}/${entry}`)];
    expect(needed.filter((action) => !listed.has(action))).toEqual([]);
  });

  it('name only handlers the templates declare', () => {
    const declared = new Set(entries.map((entry) => basename(entry)));
    const v1 = new Set(
      functionsOf(loadRealProject('workflow-v1')).map(({ resource }) => basename(entryPointOf(resource))),
    );
    expect(Object.keys(CALLS).filter((name) => !declared.has(name) && !v1.has(name))).toEqual([]);
  });
});

/**
 * Statements no API call of the code needs, and why they are there: removing one of them is
 * seen by AWS, not by a refused call.
 */
const NOT_FOR_CALLS: ReadonlyArray<{ action: RegExp; why: string }> = [
  { action: /^s3:ListBucket$/, why: 'S3 answers NoSuchKey instead of AccessDenied for a missing report' },
  { action: /^(logs|xray):/, why: 'Step Functions delivers logs and traces with the role' },
];

function withoutStatement(principal: Principal, policyIndex: number, statementIndex: number): Principal {
  return {
    ...principal,
    policies: principal.policies.map((policy, index) => {
      if (index !== policyIndex) return policy;
      const statements = [policy.document.Statement].flat();
      return {
        ...policy,
        document: { ...policy.document, Statement: statements.filter((_, i) => i !== statementIndex) },
      };
    }),
  };
}

describe('each statement of the real templates', () => {
  const stacks = loadRealProject('workflow-v4');
  const model = buildIamModel(stacks);

  it('is needed: removing any one from a function or state machine refuses one of its calls, naming the action', () => {
    const unneeded: string[] = [];
    let removed = 0;
    for (const principal of model.principals.filter((p) => p.kind !== 'eventRuleTarget')) {
      const stack = stacks.find((s) => s.stackName === principal.stackName) as ResolvedStack;
      const resource = stack.resources[principal.logicalId];
      if (!resource) continue;
      const requests =
        principal.kind === 'function'
          ? callsOf(resource, stacks).map((call) => ({ ...call, ...ACCOUNT, partition: stack.partition }))
          : stateMachineCalls(stack, resource).map(({ request }) => request);
      principal.policies.forEach((policy, policyIndex) => {
        if (!/Policy\d+$/.test(policy.name)) return; // SAM's own managed policies and destinations
        [policy.document.Statement].flat().forEach((statement, statementIndex) => {
          const actions = [statement.Action ?? []].flat();
          if (actions.every((action) => NOT_FOR_CALLS.some((entry) => entry.action.test(action)))) return;
          removed += 1;
          const reduced = withoutStatement(principal, policyIndex, statementIndex);
          const refusal = requests
            .map((request) => authorize(model, reduced, request, HTTPS))
            .find((outcome) => !outcome.allowed);
          if (
            !refusal ||
            refusal.allowed ||
            !actions.some((action) => refusal.error.message.includes(action.replace('*', '')))
          )
            unneeded.push(
              `${principal.logicalId} ${policy.name} statement ${statementIndex} (${actions.join(', ')})`,
            );
        });
      });
    }
    expect({ unneeded, removed: removed > 40 }).toEqual({ unneeded: [], removed: true });
  });
});
