import { JSONPath } from 'jsonpath-plus';

/**
 * JSONPath as ASL uses it: Paths select from the state input (`$`) or the context
 * object (`$$`); Reference Paths (only `.name`, `['name']` and `[index]`) say where a
 * result goes in ResultPath.
 */

/** Thrown when a path selects nothing; callers turn it into the right States.* error. */
export class PathNotFoundError extends Error {
  readonly path: string;

  constructor(path: string) {
    super(`The JSONPath '${path}' could not be found in the input`);
    this.name = 'PathNotFoundError';
    this.path = path;
  }
}

/** Thrown for a path that is not valid JSONPath for its field. */
export class InvalidPathError extends Error {
  constructor(path: string, reason: string) {
    super(`Invalid path '${path}': ${reason}`);
    this.name = 'InvalidPathError';
  }
}

export function isContextPath(path: string): boolean {
  return path.startsWith('$$');
}

export function isPath(text: string): boolean {
  return text.startsWith('$');
}

/** A path with wildcards, filters, slices, unions or recursive descent selects a list. */
export function isIndefinitePath(path: string): boolean {
  const outsideQuotes = path.replace(/'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"/g, "''");
  return /\*|\.\.|\[\?|\[\(|\[[^\]]*[:,][^\]]*\]/.test(outsideQuotes);
}

/** Index just past the `]` that closes the bracket opened at `open`, skipping quotes and parentheses. */
function closingBracket(path: string, open: number): number | undefined {
  let depth = 0;
  for (let index = open + 1; index < path.length; index++) {
    const char = path[index];
    if (char === "'" || char === '"') {
      const end = path.indexOf(char, index + 1);
      if (end < 0) return undefined;
      index = end;
    } else if (char === '(') depth++;
    else if (char === ')') depth--;
    else if (char === ']' && depth === 0) return index + 1;
    if (depth < 0) return undefined;
  }
  return undefined;
}

const BRACKET_CONTENT = [
  /^\s*\*\s*$/, // wildcard
  /^\s*-?\d*\s*(:\s*-?\d*\s*){0,2}$/, // index or slice
  /^\s*-?\d+\s*(,\s*-?\d+\s*)+$/, // union of indexes
  /^\s*('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")\s*(,\s*('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")\s*)*$/, // names
  /^\?\(.*\)$/s, // filter
  /^\(.*\)$/s, // script expression
];

/**
 * Why `path` is not JSONPath as Step Functions parses it (a `$` or, for the context object, `$$`,
 * then `.name`, `..name`, `.*` and `[...]` selectors), or undefined when it is.
 */
export function jsonPathProblem(path: string): string | undefined {
  if (!path.startsWith('$')) return 'a path must start with $';
  let position = path.startsWith('$$') ? 2 : 1;
  while (position < path.length) {
    const rest = path.slice(position);
    if (rest.startsWith('[')) {
      const end = closingBracket(path, position);
      if (end === undefined) return `the bracket at position ${position} is not closed`;
      const content = path.slice(position + 1, end - 1);
      if (!BRACKET_CONTENT.some((form) => form.test(content)) || content.trim() === '')
        return `'[${content}]' is not a valid selector`;
      position = end;
      continue;
    }
    const dots = rest.startsWith('..') ? 2 : rest.startsWith('.') ? 1 : 0;
    if (dots === 0) return `unexpected '${rest}'`;
    position += dots;
    if (dots === 2 && path[position] === '[') continue;
    const name = /^(\*|[^.[\]]+)/.exec(path.slice(position));
    if (!name) return `a name must follow '${'.'.repeat(dots)}' at position ${position}`;
    position += name[0].length;
  }
  return undefined;
}

/** Selects `path` from `data`; a definite path returns its one value, an indefinite one an array. */
export function readPath(data: unknown, path: string): unknown {
  if (!path.startsWith('$')) throw new InvalidPathError(path, 'a path must start with $');
  if (path === '$') return data;
  let matches: unknown[];
  try {
    matches = JSONPath({ path, json: data as object, wrap: true, eval: 'safe' }) as unknown[];
  } catch (error) {
    throw new InvalidPathError(path, (error as Error).message);
  }
  if (isIndefinitePath(path)) return matches ?? [];
  if (!matches || matches.length === 0) throw new PathNotFoundError(path);
  return matches[0];
}

/** Selects from the state input, or from the context object when the path starts with `$$`. */
export function readInputOrContext(path: string, input: unknown, context: unknown): unknown {
  if (isContextPath(path)) return readPath(context, path.slice(1));
  return readPath(input, path);
}

export type ReferenceSegment = string | number;

/** Parses a Reference Path (`$.a.b`, `$['a b'][0]`) into property names and array indexes. */
export function parseReferencePath(path: string, allowContext = false): ReferenceSegment[] {
  if (!path.startsWith('$')) throw new InvalidPathError(path, 'a reference path must start with $');
  const segments: ReferenceSegment[] = [];
  let position = allowContext && path.startsWith('$$') ? 2 : 1;
  while (position < path.length) {
    const rest = path.slice(position);
    const dotted = /^\.([^.[\]]+)/.exec(rest);
    const quoted = /^\[\s*(['"])((?:\\.|(?!\1).)*)\1\s*\]/.exec(rest);
    const indexed = /^\[\s*(\d+)\s*\]/.exec(rest);
    if (dotted?.[1] !== undefined) {
      if (/[*?@]/.test(dotted[1])) throw new InvalidPathError(path, 'reference paths select a single node');
      segments.push(dotted[1]);
      position += dotted[0].length;
    } else if (quoted?.[2] !== undefined) {
      segments.push(quoted[2].replace(/\\(.)/g, '$1'));
      position += quoted[0].length;
    } else if (indexed?.[1] !== undefined) {
      segments.push(Number(indexed[1]));
      position += indexed[0].length;
    } else {
      throw new InvalidPathError(path, `unexpected '${rest}'`);
    }
  }
  return segments;
}

/** Thrown when ResultPath cannot place the result into the input. */
export class ResultPathMismatchError extends Error {
  constructor(path: string, reason: string) {
    super(`Unable to apply ResultPath '${path}': ${reason}`);
    this.name = 'ResultPathMismatchError';
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Returns a copy of `input` with `result` placed at the reference path; missing
 * objects on the way are created, a non-object on the way is a mismatch.
 */
export function writeReferencePath(input: unknown, path: string, result: unknown): unknown {
  const segments = parseReferencePath(path);
  if (segments.length === 0) return result;
  const root: unknown = structuredClone(input);
  let node: unknown = root;
  segments.forEach((segment, index) => {
    const isLast = index === segments.length - 1;
    if (typeof segment === 'number') {
      if (!Array.isArray(node) || segment >= node.length) {
        throw new ResultPathMismatchError(path, `no array element at index ${segment}`);
      }
      if (isLast) node[segment] = result;
      else node = node[segment];
      return;
    }
    if (!isPlainObject(node)) throw new ResultPathMismatchError(path, `'${segment}' is not inside an object`);
    if (isLast) {
      node[segment] = result;
      return;
    }
    if (node[segment] === undefined) node[segment] = {};
    node = node[segment];
  });
  return root;
}
