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
