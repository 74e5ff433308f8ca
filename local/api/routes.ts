/**
 * Route selection as API Gateway HTTP APIs do it: a full match (no greedy variable) wins over a match
 * through a greedy `{name+}` variable; among those, the most specific path wins (literal segment over
 * `{variable}`, left to right), then a named method over `ANY`; `$default` catches whatever is left.
 */

export const DEFAULT_ROUTE_KEY = '$default';

export interface RouteDefinition<Handler> {
  /** `GET`, `POST`, ... or `ANY`; ignored for the `$default` route. */
  method: string;
  /** `/uploads/{id}`, `/files/{proxy+}` or `$default`. */
  path: string;
  handler: Handler;
}

export interface RouteMatch<Handler> {
  routeKey: string;
  /** URL-decoded values of the path variables; undefined when the route has none. */
  pathParameters: Record<string, string> | undefined;
  handler: Handler;
}

export class InvalidRouteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidRouteError';
  }
}

type Segment =
  | { kind: 'literal'; value: string }
  | { kind: 'variable'; name: string }
  | { kind: 'greedy'; name: string };

interface CompiledRoute<Handler> {
  routeKey: string;
  method: string;
  segments: Segment[];
  handler: Handler;
}

/** Rank of a segment kind: lower is more specific. */
const SEGMENT_RANK: Record<Segment['kind'], number> = { literal: 0, variable: 1, greedy: 2 };

function splitPath(path: string): string[] {
  return path.split('/').slice(1);
}

function parseSegment(raw: string, isLast: boolean, path: string): Segment {
  const variable = /^\{([A-Za-z0-9._-]+)(\+?)\}$/.exec(raw);
  if (!variable) {
    if (raw.includes('{') || raw.includes('}'))
      throw new InvalidRouteError(`Invalid path segment in ${path}`);
    return { kind: 'literal', value: raw };
  }
  const name = variable[1] ?? '';
  if (variable[2] !== '+') return { kind: 'variable', name };
  if (!isLast) throw new InvalidRouteError(`The greedy path variable must end the path: ${path}`);
  return { kind: 'greedy', name };
}

function compileRoute<Handler>(route: RouteDefinition<Handler>): CompiledRoute<Handler> {
  if (route.path === DEFAULT_ROUTE_KEY) {
    return { routeKey: DEFAULT_ROUTE_KEY, method: 'ANY', segments: [], handler: route.handler };
  }
  if (!route.path.startsWith('/'))
    throw new InvalidRouteError(`A route path must start with "/": ${route.path}`);
  const method = route.method.toUpperCase();
  const rawSegments = route.path === '/' ? [] : splitPath(route.path);
  const segments = rawSegments.map((raw, index) =>
    parseSegment(raw, index === rawSegments.length - 1, route.path),
  );
  return { routeKey: `${method} ${route.path}`, method, segments, handler: route.handler };
}

function decodeSegment(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** Path variables of `route` for `requestSegments`, or undefined when the path does not match. */
function matchSegments(segments: Segment[], requestSegments: string[]): Record<string, string> | undefined {
  const parameters: Record<string, string> = {};
  for (const [index, segment] of segments.entries()) {
    if (segment.kind === 'greedy') {
      const rest = requestSegments.slice(index);
      if (rest.length === 0 || rest.join('/') === '') return undefined;
      parameters[segment.name] = decodeSegment(rest.join('/'));
      return parameters;
    }
    const actual = requestSegments[index];
    if (actual === undefined) return undefined;
    if (segment.kind === 'literal') {
      if (decodeSegment(actual) !== segment.value) return undefined;
    } else {
      if (actual === '') return undefined;
      parameters[segment.name] = decodeSegment(actual);
    }
  }
  return segments.length === requestSegments.length ? parameters : undefined;
}

function isGreedy<Handler>(route: CompiledRoute<Handler>): boolean {
  return route.segments.some((segment) => segment.kind === 'greedy');
}

/** Negative when `a` is more specific than `b`: full matches first, then greedy ones, segment by segment. */
function compareSpecificity<Handler>(a: CompiledRoute<Handler>, b: CompiledRoute<Handler>): number {
  const greedyFirst = Number(isGreedy(a)) - Number(isGreedy(b));
  if (greedyFirst !== 0) return greedyFirst;
  const length = Math.max(a.segments.length, b.segments.length);
  for (let index = 0; index < length; index += 1) {
    const left = a.segments[index];
    const right = b.segments[index];
    // A greedy route that ends earlier is less specific than one that still has segments here.
    if (left === undefined || right === undefined) return left === undefined ? 1 : -1;
    const difference = SEGMENT_RANK[left.kind] - SEGMENT_RANK[right.kind];
    if (difference !== 0) return difference;
  }
  return Number(a.method === 'ANY') - Number(b.method === 'ANY');
}

export interface RouteTable<Handler> {
  /** The route that answers `method` on `path` (the raw, still URL-encoded path), if any. */
  match(method: string, path: string): RouteMatch<Handler> | undefined;
}

export function createRouteTable<Handler>(routes: RouteDefinition<Handler>[]): RouteTable<Handler> {
  const compiled = routes.map(compileRoute);
  const seen = new Set<string>();
  for (const route of compiled) {
    if (seen.has(route.routeKey)) throw new InvalidRouteError(`Duplicate route: ${route.routeKey}`);
    seen.add(route.routeKey);
  }
  const defaultRoute = compiled.find((route) => route.routeKey === DEFAULT_ROUTE_KEY);
  const pathRoutes = compiled
    .filter((route) => route.routeKey !== DEFAULT_ROUTE_KEY)
    .sort(compareSpecificity);

  return {
    match(method, path) {
      const requestMethod = method.toUpperCase();
      const requestSegments = path === '/' ? [] : splitPath(path);
      for (const route of pathRoutes) {
        if (route.method !== 'ANY' && route.method !== requestMethod) continue;
        const parameters = matchSegments(route.segments, requestSegments);
        if (!parameters) continue;
        const hasParameters = Object.keys(parameters).length > 0;
        return {
          routeKey: route.routeKey,
          pathParameters: hasParameters ? parameters : undefined,
          handler: route.handler,
        };
      }
      if (!defaultRoute) return undefined;
      return { routeKey: DEFAULT_ROUTE_KEY, pathParameters: undefined, handler: defaultRoute.handler };
    },
  };
}
