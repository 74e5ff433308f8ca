import { pathToFileURL } from 'node:url';
import {
  type ASTNode,
  DiagnosticSeverity,
  getLanguageService,
  TextDocument,
} from 'amazon-states-language-service';
import { definitionProblems } from '../stepfunctions/validate';
import { checkAslRules, type StateMachineLink } from './asl-rules';
import { type Finding, finding, type Position } from './report';
import { jsonAstToTree, nodeAtPointer, type SourceNode, strings, toPlain } from './source-tree';

interface AslValidatorError {
  readonly 'Error code': string;
  readonly Message: string;
  readonly schemaError?: { readonly instancePath: string; readonly schemaPath: string };
}

// asl-validator ships no type declarations; this is the shape of its documented API.
const aslValidator = require('asl-validator') as (
  definition: unknown,
  options?: { checkPaths: boolean; checkArn: boolean },
) => { isValid: boolean; errors: AslValidatorError[] };

const languageService = getLanguageService({});

function toKebab(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/[^A-Za-z0-9-]+/g, '-')
    .toLowerCase();
}

/**
 * A stand-in for what `sam deploy` substitutes for `${Name}`: an ARN of the matching service
 * where an ARN is expected (a Task's Resource, or a name ending in Arn), a plain name elsewhere.
 */
export function placeholderValue(name: string, arnExpected: boolean): string {
  const id = toKebab(name.replace(/Arn$/, '')) || 'placeholder';
  if (!arnExpected && !name.endsWith('Arn')) return id;
  const account = 'us-east-1:123456789012';
  if (/StateMachine/.test(name)) return `arn:aws:states:${account}:stateMachine:${id}`;
  if (/Activity/.test(name)) return `arn:aws:states:${account}:activity:${id}`;
  if (/Topic/.test(name)) return `arn:aws:sns:${account}:${id}`;
  if (/Queue/.test(name)) return `arn:aws:sqs:${account}:${id}`;
  if (/Table/.test(name)) return `arn:aws:dynamodb:${account}:table/${id}`;
  if (/Bus/.test(name)) return `arn:aws:events:${account}:event-bus/${id}`;
  if (/Bucket/.test(name)) return `arn:aws:s3:::${id}`;
  if (/Secret/.test(name)) return `arn:aws:secretsmanager:${account}:secret:${id}`;
  return `arn:aws:lambda:${account}:function:${id}`;
}

/** The definition as `sam deploy` would send it, with every `${Name}` replaced. */
export function substitutePlaceholders(value: unknown, key?: string): unknown {
  if (typeof value === 'string') {
    const whole = /^\$\{([^}]*)\}$/.exec(value);
    if (whole) return placeholderValue(whole[1] ?? '', key === 'Resource');
    return value.replace(/\$\{([^}]*)\}/g, (_, name: string) => placeholderValue(name, false));
  }
  if (Array.isArray(value)) return value.map((item) => substitutePlaceholders(item));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([name, item]) => [
        name,
        substitutePlaceholders(item, name),
      ]),
    );
  }
  return value;
}

/** The state (or transition target) an asl-validator message is about, if it names one. */
function subjectOf(message: string): string | undefined {
  const unreachable = /^State (.+) is not reachable$/.exec(message);
  if (unreachable) return unreachable[1];
  const colon = message.lastIndexOf(': ');
  return colon >= 0 ? message.slice(colon + 2).trim() : undefined;
}

/** Where to report an asl-validator error: its JSON pointer, else the state it names. */
function locateValidatorError(root: SourceNode, error: AslValidatorError): Position {
  if (error.schemaError) return nodeAtPointer(root, error.schemaError.instancePath).node.position;
  const states: Array<{ name: string; position: Position }> = [];
  const collect = (node: SourceNode) => {
    if (node.kind === 'map') {
      for (const item of node.entries) {
        if (item.key === 'States' && item.value.kind === 'map') {
          for (const state of item.value.entries)
            states.push({ name: state.key, position: state.keyPosition });
        }
        collect(item.value);
      }
    }
    if (node.kind === 'seq') node.items.forEach(collect);
  };
  collect(root);
  const subject = subjectOf(error.Message);
  if (subject !== undefined) {
    const matches = states.filter((state) => state.name === subject);
    // For a duplicate name, point at the later one.
    const state = matches[matches.length - 1];
    if (state) return state.position;
    for (const item of strings(root)) if (item.value === subject) return item.position;
  }
  return { line: 1, column: 1 };
}

export interface AslCheckOptions {
  readonly links: readonly StateMachineLink[];
  readonly projectRoot: string;
}

/**
 * Checks one ASL file four ways: the diagnostics of amazon-states-language-service (what VS
 * Code shows and what "Render graph" needs), asl-validator and the local Step Functions engine's
 * registration check on the definition after placeholder substitution (what `sam deploy` sends,
 * and what `npm start` registers), and the project's own rules.
 */
export async function checkAslFile(file: string, text: string, options: AslCheckOptions): Promise<Finding[]> {
  const out: Finding[] = [];
  const document = TextDocument.create(pathToFileURL(file).href, 'json', 1, text);
  const jsonDocument = languageService.parseJSONDocument(document);
  // The parsed document carries its AST and syntax errors; the public typings keep them opaque.
  const parsed = jsonDocument as unknown as {
    readonly root?: ASTNode;
    readonly syntaxErrors?: readonly unknown[];
  };
  const positionAt = (offset: number): Position => {
    const { line, character } = document.positionAt(offset);
    return { line: line + 1, column: character + 1 };
  };

  const diagnostics = await languageService.doValidation(document, jsonDocument);
  const seenRanges = new Set<string>();
  let syntaxError = (parsed.syntaxErrors?.length ?? 0) > 0;
  for (const diagnostic of diagnostics) {
    const severity =
      diagnostic.severity === DiagnosticSeverity.Error || diagnostic.severity === undefined
        ? 'error'
        : diagnostic.severity === DiagnosticSeverity.Warning
          ? 'warning'
          : undefined;
    if (!severity) continue;
    // A JSON-schema oneOf mismatch is reported once per alternative at the same range; keep the first.
    const range = `${diagnostic.range.start.line}:${diagnostic.range.start.character}-${diagnostic.range.end.line}:${diagnostic.range.end.character}`;
    if (seenRanges.has(range)) continue;
    seenRanges.add(range);
    out.push(
      finding(
        file,
        { line: diagnostic.range.start.line + 1, column: diagnostic.range.start.character + 1 },
        severity,
        'asl-service',
        typeof diagnostic.message === 'string' ? diagnostic.message : diagnostic.message.value,
      ),
    );
  }
  const rootNode = parsed.root;
  if (rootNode?.type !== 'object') syntaxError = true;
  if (syntaxError || !rootNode) return out;

  const root = jsonAstToTree(rootNode, positionAt);
  const definition = substitutePlaceholders(toPlain(root));
  const result = aslValidator(definition, { checkPaths: true, checkArn: true });
  for (const error of result.errors) {
    out.push(
      finding(
        file,
        locateValidatorError(root, error),
        'error',
        'asl-validator',
        `${error['Error code']}: ${error.Message}`,
      ),
    );
  }
  for (const problem of definitionProblems(definition)) {
    out.push(finding(file, locateEngineProblem(root, problem), 'error', 'asl-engine', problem));
  }
  out.push(...checkAslRules(file, root, options.links, options.projectRoot));
  return out;
}

/** Where to report a problem of the local engine's registration check: the last state it names. */
function locateEngineProblem(root: SourceNode, problem: string): Position {
  const named = [...problem.matchAll(/State "((?:[^"\\]|\\.)*)"/g)].map((match) => match[1]);
  const name = named[named.length - 1];
  if (name === undefined) return { line: 1, column: 1 };
  const found: Position[] = [];
  const collect = (node: SourceNode) => {
    if (node.kind === 'map') {
      for (const item of node.entries) {
        if (item.key === 'States' && item.value.kind === 'map') {
          for (const state of item.value.entries) if (state.key === name) found.push(state.keyPosition);
        }
        collect(item.value);
      }
    }
    if (node.kind === 'seq') node.items.forEach(collect);
  };
  collect(root);
  return found[0] ?? { line: 1, column: 1 };
}
