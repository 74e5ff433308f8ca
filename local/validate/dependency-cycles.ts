import { type Finding, finding, type Position } from './report';
import { child, type MapNode, type SourceNode, stringValue, toPlain } from './source-tree';

const SOURCE = 'template-deps';

/** Why one resource must exist before another: `from` needs `to`. */
interface Dependency {
  readonly to: string;
  readonly why: string;
}

/**
 * The logical ids a plain (long-form) template value refers to: `Ref`, `Fn::GetAtt`, the
 * `${Name}`/`${Name.Attr}` variables of `Fn::Sub` (not its own variable map's names) and anything
 * nested in other intrinsics. Pseudo parameters and parameters are filtered out by the caller.
 */
export function referencedIds(value: unknown): Set<string> {
  const found = new Set<string>();
  const visit = (item: unknown, shadowed: ReadonlySet<string>): void => {
    if (Array.isArray(item)) {
      for (const element of item) visit(element, shadowed);
      return;
    }
    if (typeof item !== 'object' || item === null) return;
    const record = item as Record<string, unknown>;
    if (typeof record.Ref === 'string') found.add(record.Ref);
    const getAtt = record['Fn::GetAtt'];
    if (typeof getAtt === 'string') found.add(getAtt.split('.')[0] ?? getAtt);
    else if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') found.add(getAtt[0]);
    const sub = record['Fn::Sub'];
    if (sub !== undefined) {
      const [text, variables] = Array.isArray(sub) ? sub : [sub, undefined];
      const own = new Set(
        typeof variables === 'object' && variables !== null ? Object.keys(variables as object) : [],
      );
      if (typeof text === 'string') {
        for (const match of text.matchAll(/\$\{([^!}][^}]*)\}/g)) {
          const name = (match[1] ?? '').split('.')[0] ?? '';
          if (!own.has(name) && !shadowed.has(name)) found.add(name);
        }
      }
      if (variables !== undefined) visit(variables, shadowed);
      return;
    }
    for (const [key, nested] of Object.entries(record)) {
      if (key === 'Ref' || key === 'Fn::GetAtt') continue;
      visit(nested, shadowed);
    }
  };
  visit(value, new Set());
  return found;
}

function eventEntries(properties: SourceNode | undefined): Array<{ name: string; node: SourceNode }> {
  const events = child(properties, 'Events');
  return events?.kind === 'map' ? events.entries.map((item) => ({ name: item.key, node: item.value })) : [];
}

/**
 * Every dependency between the resources of a template after the SAM transform, as CloudFormation
 * will see it: references in properties and `DependsOn`, plus what SAM adds. SAM writes each
 * `HttpApi`/`Api` event's function (or state machine) ARN into the API's generated definition, so
 * the API needs the function; an `S3` event becomes the bucket's notification configuration, so
 * the bucket needs the function. Other event sources become resources of their own that need the
 * function, not the other way round, so a function's `Events` add nothing to the function itself.
 */
function dependenciesOf(resources: MapNode): Map<string, Dependency[]> {
  const ids = new Set(resources.entries.map((item) => item.key));
  const graph = new Map<string, Dependency[]>(resources.entries.map((item) => [item.key, []]));
  const add = (from: string, to: string, why: string) => {
    if (ids.has(to)) graph.get(from)?.push({ to, why });
  };
  for (const { key: id, value: resource } of resources.entries) {
    const type = stringValue(child(resource, 'Type')) ?? '';
    const isSam = type === 'AWS::Serverless::Function' || type === 'AWS::Serverless::StateMachine';
    const properties = child(resource, 'Properties');
    if (properties?.kind === 'map') {
      for (const property of properties.entries) {
        if (isSam && property.key === 'Events') continue;
        for (const target of referencedIds(toPlain(property.value)))
          add(id, target, `${id}.${property.key} refers to ${target}`);
      }
    }
    const dependsOn = child(resource, 'DependsOn');
    if (dependsOn) {
      const names = toPlain(dependsOn);
      for (const target of Array.isArray(names) ? names : [names])
        if (typeof target === 'string') add(id, target, `${id} DependsOn ${target}`);
    }
    if (!isSam) continue;
    for (const event of eventEntries(properties)) {
      const eventType = stringValue(child(event.node, 'Type'));
      const eventProperties = child(event.node, 'Properties');
      const apiKey = eventType === 'HttpApi' ? 'ApiId' : eventType === 'Api' ? 'RestApiId' : undefined;
      if (apiKey) {
        const api = child(eventProperties, apiKey);
        for (const target of api ? referencedIds(toPlain(api)) : [])
          add(
            target,
            id,
            `SAM writes ${id}'s ARN into ${target}'s definition (its ${eventType} event ${event.name})`,
          );
      }
      if (eventType === 'S3') {
        const bucket = child(eventProperties, 'Bucket');
        for (const target of bucket ? referencedIds(toPlain(bucket)) : [])
          add(
            target,
            id,
            `SAM puts ${id} in ${target}'s notification configuration (S3 event ${event.name})`,
          );
      }
    }
  }
  return graph;
}

/** Strongly connected components (Tarjan), each with more than one resource or a self-reference. */
function cycles(graph: ReadonlyMap<string, readonly Dependency[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter);
    counter += 1;
    stack.push(node);
    onStack.add(node);
    for (const { to } of graph.get(node) ?? []) {
      if (!index.has(to)) {
        visit(to);
        low.set(node, Math.min(low.get(node) ?? 0, low.get(to) ?? 0));
      } else if (onStack.has(to)) {
        low.set(node, Math.min(low.get(node) ?? 0, index.get(to) ?? 0));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string | undefined;
    do {
      member = stack.pop();
      if (member === undefined) break;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    const selfLoop = (graph.get(node) ?? []).some((dependency) => dependency.to === node);
    if (component.length > 1 || selfLoop) components.push(component);
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return components;
}

/** One loop through the component, starting at `start`: the dependencies that close it. */
function loopFrom(
  start: string,
  members: ReadonlySet<string>,
  graph: ReadonlyMap<string, readonly Dependency[]>,
): Dependency[] {
  const previous = new Map<string, { from: string; dependency: Dependency }>();
  const queue = [start];
  while (queue.length > 0) {
    const node = queue.shift() as string;
    for (const dependency of graph.get(node) ?? []) {
      if (!members.has(dependency.to)) continue;
      if (dependency.to === start) {
        const path = [dependency];
        let at = node;
        while (at !== start) {
          const step = previous.get(at);
          if (!step) break;
          path.unshift(step.dependency);
          at = step.from;
        }
        return path;
      }
      if (!previous.has(dependency.to)) {
        previous.set(dependency.to, { from: node, dependency });
        queue.push(dependency.to);
      }
    }
  }
  return [];
}

/**
 * Circular dependencies between the resources of one template, which CloudFormation refuses at
 * deploy time ("Circular dependency between resources") and `sam validate --lint` reports as
 * E3004. One finding per cycle, at the first resource of the cycle in file order, naming each link.
 */
export function checkDependencyCycles(file: string, resources: MapNode): Finding[] {
  const graph = dependenciesOf(resources);
  const positions = new Map<string, Position>(resources.entries.map((item) => [item.key, item.keyPosition]));
  const order = resources.entries.map((item) => item.key);
  return cycles(graph).map((component) => {
    const members = new Set(component);
    const start = order.find((id) => members.has(id)) ?? (component[0] as string);
    const loop = loopFrom(start, members, graph);
    const chain = [start, ...loop.map((dependency) => dependency.to)].join(' → ');
    const reasons = loop.map((dependency) => dependency.why).join('; ');
    const others = order.filter((id) => members.has(id) && id !== start && !loop.some((d) => d.to === id));
    const more = others.length > 0 ? ` (${others.join(', ')} depend on each other in the same knot)` : '';
    return finding(
      file,
      positions.get(start) ?? { line: 1, column: 1 },
      'error',
      SOURCE,
      `circular dependency ${chain}: ${reasons}${more}. CloudFormation cannot create these resources; break one link (e.g. build an ARN or URL with !Sub from names instead of !Ref/!GetAtt)`,
    );
  });
}
