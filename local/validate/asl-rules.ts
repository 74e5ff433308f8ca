import { relative } from 'node:path';
import { type Finding, finding, type Position } from './report';
import { child, entry, type MapEntry, type SourceNode, strings, stringValue } from './source-tree';

const SOURCE = 'asl-rules';

/** A state machine resource whose `DefinitionUri` points at an ASL file. */
export interface StateMachineLink {
  readonly templateFile: string;
  readonly resourceId: string;
  /** Absolute path the DefinitionUri resolves to. */
  readonly definitionFile: string;
  /** The DefinitionSubstitutions entries, or undefined when the resource has none. */
  readonly substitutions: readonly MapEntry[] | undefined;
  readonly resourcePosition: Position;
}

const PLACEHOLDER = /\$\{([^}]*)\}/g;

export interface Placeholder {
  readonly name: string;
  readonly position: Position;
}

/** Every `${Name}` token in the definition's strings, with the column of the `$`. */
export function placeholders(root: SourceNode): Placeholder[] {
  const found: Placeholder[] = [];
  for (const { value, position } of strings(root)) {
    for (const match of value.matchAll(PLACEHOLDER)) {
      // The string node starts at its opening quote; escapes before the token make the column approximate.
      const column = value.includes('\\') ? position.column : position.column + 1 + (match.index ?? 0);
      found.push({ name: match[1] ?? '', position: { line: position.line, column } });
    }
  }
  return found;
}

/** Title Case sentence: a capital first letter, single spaces, no camelCase humps, "?" only at the end. */
const STATE_NAME = /^[A-Z][\w'’(),.:&/-]*(?: [\w'’(),.:&/-]+)*\??$/;

function stateNameProblem(name: string): string | undefined {
  if (!STATE_NAME.test(name)) {
    return `state name "${name}" is not a Title Case sentence (capital first letter, words separated by single spaces, "?" only at the end)`;
  }
  const hump = name.split(' ').find((word) => /[a-z][A-Z]/.test(word));
  if (hump)
    return `state name "${name}" is camelCase/PascalCase ("${hump}"); write it as a sentence ("Check dimensions")`;
  return undefined;
}

interface Transition {
  readonly target: string;
  readonly position: Position;
  readonly label: string;
}

function transitions(state: SourceNode): Transition[] {
  const found: Transition[] = [];
  const add = (node: SourceNode | undefined, label: string) => {
    const target = stringValue(node);
    if (node && target !== undefined) found.push({ target, position: node.position, label });
  };
  add(child(state, 'Next'), 'Next');
  add(child(state, 'Default'), 'Default');
  const choices = child(state, 'Choices');
  if (choices?.kind === 'seq') {
    for (const [index, rule] of choices.items.entries()) add(child(rule, 'Next'), `Choices[${index}].Next`);
  }
  const catchers = child(state, 'Catch');
  if (catchers?.kind === 'seq') {
    for (const [index, rule] of catchers.items.entries()) add(child(rule, 'Next'), `Catch[${index}].Next`);
  }
  return found;
}

function nonEmptyList(node: SourceNode | undefined): node is SourceNode & { kind: 'seq' } {
  return node?.kind === 'seq' && node.items.length > 0;
}

/** The project's own rules (CONVENTIONS.md #10) for one `States` scope, recursing into Map/Parallel. */
function checkScope(file: string, scope: SourceNode, where: string, out: Finding[]): void {
  const states = child(scope, 'States');
  if (states?.kind !== 'map') return;
  const names = new Set(states.entries.map((item) => item.key));
  const startAt = child(scope, 'StartAt');
  const start = stringValue(startAt);
  if (startAt && start !== undefined && !names.has(start)) {
    out.push(finding(file, startAt.position, 'error', SOURCE, `StartAt "${start}" is not a state${where}`));
  }

  const edges = new Map<string, string[]>();
  for (const { key: name, keyPosition, value: state } of states.entries) {
    const type = stringValue(child(state, 'Type'));
    const problem = stateNameProblem(name);
    if (problem) out.push(finding(file, keyPosition, 'error', SOURCE, problem));

    const targets = transitions(state);
    edges.set(
      name,
      targets.map((item) => item.target),
    );
    for (const { target, position, label } of targets) {
      if (!names.has(target)) {
        out.push(
          finding(
            file,
            position,
            'error',
            SOURCE,
            `${label} of "${name}" names "${target}", which is not a state${where}`,
          ),
        );
      }
    }

    if (type === 'Task') {
      const retry = child(state, 'Retry');
      if (!nonEmptyList(retry)) {
        out.push(
          finding(file, keyPosition, 'error', SOURCE, `Task "${name}" has no Retry for transient errors`),
        );
      } else {
        retry.items.forEach((retrier, index) => {
          const jitter = child(retrier, 'JitterStrategy');
          if (stringValue(jitter) !== 'FULL') {
            out.push(
              finding(
                file,
                jitter?.position ?? retrier.position,
                'error',
                SOURCE,
                `Retry[${index}] of Task "${name}" has ${jitter ? `JitterStrategy ${JSON.stringify(stringValue(jitter) ?? null)}` : 'no JitterStrategy'}; use "JitterStrategy": "FULL"`,
              ),
            );
          }
        });
      }
      if (!nonEmptyList(child(state, 'Catch'))) {
        out.push(finding(file, keyPosition, 'error', SOURCE, `Task "${name}" has no Catch`));
      }
    }
    if (type === 'Choice' && !entry(state, 'Default')) {
      out.push(finding(file, keyPosition, 'error', SOURCE, `Choice "${name}" has no Default`));
    }
    const branches = child(state, 'Branches');
    if (branches?.kind === 'seq') {
      for (const [index, branch] of branches.items.entries()) {
        checkScope(file, branch, ` in branch ${index} of "${name}"`, out);
      }
    }
    const processor = child(state, 'ItemProcessor') ?? child(state, 'Iterator');
    if (processor) checkScope(file, processor, ` in the item processor of "${name}"`, out);
  }

  if (start === undefined || !names.has(start)) return;
  const reached = new Set<string>([start]);
  const queue = [start];
  for (let next = queue.pop(); next !== undefined; next = queue.pop()) {
    for (const target of edges.get(next) ?? []) {
      if (names.has(target) && !reached.has(target)) {
        reached.add(target);
        queue.push(target);
      }
    }
  }
  for (const { key, keyPosition } of states.entries) {
    if (!reached.has(key)) {
      out.push(
        finding(
          file,
          keyPosition,
          'error',
          SOURCE,
          `state "${key}" is unreachable: no StartAt, Next, Default or Catch leads to it${where}`,
        ),
      );
    }
  }
}

function checkSubstitutions(
  file: string,
  root: SourceNode,
  links: readonly StateMachineLink[],
  projectRoot: string,
  out: Finding[],
): void {
  const tokens = placeholders(root);
  if (links.length === 0) {
    if (tokens.length > 0) {
      out.push(
        finding(
          file,
          { line: 1, column: 1 },
          'warning',
          SOURCE,
          'no template has a state machine whose DefinitionUri points at this file, so its placeholders cannot be checked against DefinitionSubstitutions',
        ),
      );
    }
    return;
  }
  for (const link of links) {
    const where = `${link.resourceId} in ${relative(projectRoot, link.templateFile)}`;
    const supplied = new Set((link.substitutions ?? []).map((item) => item.key));
    for (const token of tokens) {
      if (!supplied.has(token.name)) {
        out.push(
          finding(
            file,
            token.position,
            'error',
            SOURCE,
            `placeholder \${${token.name}} is not supplied by the DefinitionSubstitutions of ${where}`,
          ),
        );
      }
    }
    const used = new Set(tokens.map((token) => token.name));
    for (const substitution of link.substitutions ?? []) {
      if (!used.has(substitution.key)) {
        out.push(
          finding(
            link.templateFile,
            substitution.keyPosition,
            'error',
            SOURCE,
            `DefinitionSubstitutions entry ${substitution.key} of ${link.resourceId} is not used by ${relative(projectRoot, file)}`,
          ),
        );
      }
    }
  }
}

/** The project's ASL rules for one definition. */
export function checkAslRules(
  file: string,
  root: SourceNode,
  links: readonly StateMachineLink[],
  projectRoot: string,
): Finding[] {
  const out: Finding[] = [];
  checkScope(file, root, '', out);
  checkSubstitutions(file, root, links, projectRoot, out);
  return out;
}
