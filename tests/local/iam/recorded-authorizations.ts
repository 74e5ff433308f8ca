import { type AuthorizationRecord, authorizationsFor } from '../../../local/iam';
import type { ResolvedResource, ResolvedStack } from '../../../local/template';
import { callsOf, stateMachineCalls } from './real-templates';

/**
 * For end-to-end tests on the real templates: every authorization decision the runtime made, and
 * checks that none was a refusal and that every action a function or state machine really made is
 * in the static call list of tests/local/iam/real-templates.ts (so that list cannot drift from what
 * runs).
 */
export function recordAuthorizations(): {
  records: AuthorizationRecord[];
  onAuthorization: (record: AuthorizationRecord) => void;
} {
  const records: AuthorizationRecord[] = [];
  return { records, onAuthorization: (record) => records.push(record) };
}

function who(record: AuthorizationRecord): string {
  const { identity } = record;
  if (identity.kind === 'principal') return `${identity.principal.kind} ${identity.principal.name}`;
  return identity.kind === 'service' ? identity.service : 'admin';
}

/** The refused decisions, as `who action on resource (decision)`. */
export function refusals(records: readonly AuthorizationRecord[]): string[] {
  return records
    .filter((record) => record.decision !== 'Allow')
    .map((record) => `${who(record)} ${record.action} on ${record.resource} (${record.decision})`);
}

const keyOf = (kind: string, stackName: string, logicalId: string) => `${kind} ${stackName}/${logicalId}`;

/** The actions the static call list declares, by function and state machine. */
function declaredActions(stacks: readonly ResolvedStack[]): Map<string, Set<string>> {
  const declared = new Map<string, Set<string>>();
  for (const stack of stacks) {
    const where = { region: stack.region, accountId: stack.accountId, partition: stack.partition };
    for (const resource of Object.values(stack.resources) as ResolvedResource[]) {
      if (resource.type === 'AWS::Serverless::Function') {
        const actions = callsOf(resource, stacks).flatMap((call) =>
          authorizationsFor({ ...call, ...where }).map((authorization) => authorization.action),
        );
        declared.set(keyOf('function', stack.stackName, resource.logicalId), new Set(actions));
      } else if (resource.type === 'AWS::Serverless::StateMachine') {
        const actions = stateMachineCalls(stack, resource).flatMap(({ request }) =>
          authorizationsFor(request).map((authorization) => authorization.action),
        );
        declared.set(keyOf('stateMachine', stack.stackName, resource.logicalId), new Set(actions));
      }
    }
  }
  return declared;
}

/**
 * Each `(function or state machine, action)` the runtime authorized that the static call list does
 * not declare for it, as `kind stack/LogicalId: action`.
 */
export function undeclaredActions(
  records: readonly AuthorizationRecord[],
  stacks: readonly ResolvedStack[],
): string[] {
  const declared = declaredActions(stacks);
  const found = new Set<string>();
  for (const record of records) {
    if (record.identity.kind !== 'principal') continue;
    const { principal } = record.identity;
    if (principal.kind === 'eventRuleTarget') continue;
    const key = keyOf(principal.kind, principal.stackName, principal.logicalId);
    if (!declared.get(key)?.has(record.action)) found.add(`${key}: ${record.action}`);
  }
  return [...found].sort();
}
