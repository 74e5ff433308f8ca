import type { ASTNode } from 'amazon-states-language-service';
import { isAlias, isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import { customTags } from '../template/yaml-tags';
import type { Position } from './report';

/**
 * A parsed YAML or JSON document as a small tree that keeps the 1-based line:column of every
 * key and value, so a check can point at the exact node it complains about. CloudFormation
 * intrinsic functions (`!Ref X`, `{ "Fn::Sub": … }`) become `intrinsic` nodes.
 */
export type SourceNode = MapNode | SeqNode | ScalarNode | IntrinsicNode;

export interface MapNode {
  readonly kind: 'map';
  readonly position: Position;
  readonly entries: readonly MapEntry[];
}

export interface MapEntry {
  readonly key: string;
  readonly keyPosition: Position;
  readonly value: SourceNode;
}

export interface SeqNode {
  readonly kind: 'seq';
  readonly position: Position;
  readonly items: readonly SourceNode[];
}

export interface ScalarNode {
  readonly kind: 'scalar';
  readonly position: Position;
  readonly value: string | number | boolean | null;
}

export interface IntrinsicNode {
  readonly kind: 'intrinsic';
  readonly position: Position;
  /** `Ref`, `Fn::Sub`, `Fn::GetAtt`, … */
  readonly name: string;
  /** The function's argument in long JSON form. */
  readonly argument: unknown;
}

export function entry(node: SourceNode | undefined, key: string): MapEntry | undefined {
  return node?.kind === 'map' ? node.entries.find((item) => item.key === key) : undefined;
}

export function child(node: SourceNode | undefined, key: string): SourceNode | undefined {
  return entry(node, key)?.value;
}

export function stringValue(node: SourceNode | undefined): string | undefined {
  return node?.kind === 'scalar' && typeof node.value === 'string' ? node.value : undefined;
}

/** The node as plain JSON (intrinsics in their long form). */
export function toPlain(node: SourceNode): unknown {
  switch (node.kind) {
    case 'map':
      return Object.fromEntries(node.entries.map((item) => [item.key, toPlain(item.value)]));
    case 'seq':
      return node.items.map(toPlain);
    case 'scalar':
      return node.value;
    case 'intrinsic':
      return { [node.name]: node.argument };
  }
}

export function describeKind(node: SourceNode): string {
  switch (node.kind) {
    case 'map':
      return 'a mapping';
    case 'seq':
      return 'a list';
    case 'intrinsic':
      return `an intrinsic function (${node.name})`;
    case 'scalar':
      return node.value === null ? 'empty' : `a ${typeof node.value}`;
  }
}

function intrinsicName(value: Record<string, unknown>): string | undefined {
  const keys = Object.keys(value);
  const [only] = keys;
  return keys.length === 1 &&
    only !== undefined &&
    (only === 'Ref' || only.startsWith('Fn::') || only === 'Condition')
    ? only
    : undefined;
}

export class SourceSyntaxError extends Error {
  constructor(
    readonly position: Position,
    message: string,
  ) {
    super(message);
    this.name = 'SourceSyntaxError';
  }
}

/** Parses a CloudFormation/SAM YAML (or JSON) template with the short-form tags. */
export function parseYamlTree(text: string): SourceNode {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, {
    customTags: [...customTags],
    lineCounter,
    prettyErrors: false,
    uniqueKeys: true,
    keepSourceTokens: false,
  });
  const at = (offset: number | undefined): Position => {
    const { line, col } = lineCounter.linePos(offset ?? 0);
    return { line, column: col };
  };
  const firstError = document.errors[0];
  if (firstError) {
    throw new SourceSyntaxError(at(firstError.pos[0]), `invalid YAML: ${firstError.message.split('\n')[0]}`);
  }

  const convert = (node: Node | null | undefined, fallback: Position): SourceNode => {
    if (node === null || node === undefined) return { kind: 'scalar', position: fallback, value: null };
    if (isAlias(node)) return convert(node.resolve(document) as Node | undefined, at(node.range?.[0]));
    const position = at(node.range?.[0]);
    if (isMap(node)) {
      const entries: MapEntry[] = [];
      for (const pair of node.items) {
        const keyNode = pair.key as Node | null;
        const key = isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
        const keyPosition = isScalar(keyNode) ? at(keyNode.range?.[0]) : position;
        entries.push({ key, keyPosition, value: convert(pair.value as Node | null, keyPosition) });
      }
      const [only] = entries;
      if (entries.length === 1 && only && (only.key === 'Ref' || only.key.startsWith('Fn::'))) {
        return { kind: 'intrinsic', position, name: only.key, argument: toPlain(only.value) };
      }
      return { kind: 'map', position, entries };
    }
    if (isSeq(node)) {
      return { kind: 'seq', position, items: node.items.map((item) => convert(item as Node, position)) };
    }
    if (isScalar(node)) {
      const value = node.value;
      if (typeof value === 'object' && value !== null && !(value instanceof Date)) {
        const record = value as Record<string, unknown>;
        const name = intrinsicName(record);
        if (name) return { kind: 'intrinsic', position, name, argument: record[name] };
      }
      if (value instanceof Date) return { kind: 'scalar', position, value: String(node.source ?? value) };
      if (typeof value === 'bigint') return { kind: 'scalar', position, value: Number(value) };
      if (
        typeof value === 'string' ||
        typeof value === 'number' ||
        typeof value === 'boolean' ||
        value === null
      ) {
        return { kind: 'scalar', position, value };
      }
      return { kind: 'scalar', position, value: String(value) };
    }
    return { kind: 'scalar', position, value: null };
  };
  return convert(document.contents as Node | null, { line: 1, column: 1 });
}

/** Converts the JSON AST of vscode-json-languageservice; `positionAt` maps an offset to line:column. */
export function jsonAstToTree(node: ASTNode, positionAt: (offset: number) => Position): SourceNode {
  const position = positionAt(node.offset);
  switch (node.type) {
    case 'object':
      return {
        kind: 'map',
        position,
        entries: node.properties.map((property) => ({
          key: property.keyNode.value,
          keyPosition: positionAt(property.keyNode.offset),
          value: property.valueNode
            ? jsonAstToTree(property.valueNode, positionAt)
            : { kind: 'scalar', position: positionAt(property.keyNode.offset), value: null },
        })),
      };
    case 'array':
      return { kind: 'seq', position, items: node.items.map((item) => jsonAstToTree(item, positionAt)) };
    case 'string':
    case 'number':
    case 'boolean':
      return { kind: 'scalar', position, value: node.value };
    case 'null':
      return { kind: 'scalar', position, value: null };
    default:
      return { kind: 'scalar', position, value: null };
  }
}

/** The node at a JSON pointer (`/States/Foo/Next`), or the deepest existing ancestor. */
export function nodeAtPointer(
  root: SourceNode,
  pointer: string,
): { node: SourceNode; keyPosition?: Position } {
  const parts = pointer
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
  let current: SourceNode = root;
  let keyPosition: Position | undefined;
  for (const part of parts) {
    if (current.kind === 'map') {
      const found = current.entries.find((item) => item.key === part);
      if (!found) break;
      keyPosition = found.keyPosition;
      current = found.value;
    } else if (current.kind === 'seq') {
      const item = current.items[Number(part)];
      if (!item) break;
      keyPosition = undefined;
      current = item;
    } else {
      break;
    }
  }
  return keyPosition ? { node: current, keyPosition } : { node: current };
}

/** Every scalar string in the tree, depth first. */
export function* strings(node: SourceNode): Generator<{ value: string; position: Position }> {
  if (node.kind === 'scalar' && typeof node.value === 'string')
    yield { value: node.value, position: node.position };
  if (node.kind === 'map') for (const item of node.entries) yield* strings(item.value);
  if (node.kind === 'seq') for (const item of node.items) yield* strings(item);
}
