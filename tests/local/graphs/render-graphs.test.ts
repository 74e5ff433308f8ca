import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  checkGraphs,
  GraphDefinitionError,
  renderStateMachineSvg,
  writeGraphs,
} from '../../../local/graphs/render-graphs';

const root = join(__dirname, '..', '..', '..');
const machines = readdirSync(join(root, 'statemachines'))
  .filter((file) => file.endsWith('.asl.json'))
  .sort()
  .map((file) => {
    const json = readFileSync(join(root, 'statemachines', file), 'utf8');
    return { name: file.replace(/\.asl\.json$/, ''), json, definition: JSON.parse(json) as Machine };
  });

interface Machine {
  StartAt: string;
  States: Record<string, Record<string, unknown>>;
}

/** Every state name of a definition, including those inside Map and Parallel states. */
function stateNames(machine: Machine): string[] {
  return Object.entries(machine.States).flatMap(([name, state]) => {
    const nested = [
      ...(Array.isArray(state.Branches) ? (state.Branches as Machine[]) : []),
      ...(state.ItemProcessor ? [state.ItemProcessor as Machine] : []),
      ...(state.Iterator ? [state.Iterator as Machine] : []),
    ];
    return [name, ...nested.flatMap(stateNames)];
  });
}

const task = (next: Record<string, unknown>) => ({
  Type: 'Task',
  Resource: 'arn:aws:lambda:us-east-1:123456789012:function:some',
  ...next,
});

/** A small definition with a Parallel whose first branch holds a Map. */
const nestedDefinition = {
  StartAt: 'Find user data',
  States: {
    'Find user data': task({ Next: 'Purge everything' }),
    'Purge everything': {
      Type: 'Parallel',
      Branches: [
        {
          StartAt: 'Delete objects',
          States: {
            'Delete objects': {
              Type: 'Map',
              ItemsPath: '$.objects',
              ItemProcessor: {
                ProcessorConfig: { Mode: 'INLINE' },
                StartAt: 'Delete object',
                States: { 'Delete object': task({ End: true }) },
              },
              End: true,
            },
          },
        },
        { StartAt: 'Delete items', States: { 'Delete items': task({ End: true }) } },
      ],
      Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Erasure failed' }],
      Next: 'Erasure done',
    },
    'Erasure done': { Type: 'Succeed' },
    'Erasure failed': { Type: 'Fail', Error: 'ErasureFailed' },
  },
};

describe('renderStateMachineSvg', () => {
  it.each(machines)(
    'draws every state of $name as a text node, between a Start and an End',
    ({ json, definition }) => {
      const svg = renderStateMachineSvg(json);

      const drawn = texts(svg);
      for (const name of stateNames(definition)) expect(drawn).toContain(name);
      expect(drawn).toEqual(expect.arrayContaining(['Start', 'End']));
      expect(stateGroups(svg).filter((g) => g.ancestors.length === 0)).toHaveLength(
        Object.keys(definition.States).length + 2,
      );
    },
  );

  it.each(machines)('draws one end edge per End, Succeed and Fail state of $name', ({ json, definition }) => {
    const ending = Object.values(definition.States).filter(
      (state) => state.End === true || state.Type === 'Succeed' || state.Type === 'Fail',
    );

    const svg = renderStateMachineSvg(json);

    expect(edgePaths(svg).filter((edge) => edge.kind === 'end')).toHaveLength(ending.length);
  });

  it('labels Choice rules with readable conditions and the Default branch with "Default"', () => {
    const v4 = machines.find((m) => m.name === 'v4');
    if (!v4) throw new Error('statemachines/v4.asl.json is missing');

    const svg = renderStateMachineSvg(v4.json);

    const labels = texts(svg);
    expect(labels).toContain('$.verdict.accepted == true');
    expect(labels).toContain('$.place.Item.type.S == "park"');
    expect(labels).toContain('$.place.Item.type.S is missing');
    expect(labels.join(' ')).toContain('$.place.Item.type.S in ("restaurant", "cafe", "bar")');
    const defaults = labelBoxes(svg).filter((label) => label.kind === 'default');
    expect(defaults.length).toBeGreaterThanOrEqual(3);
    expect(svg).toContain('font-style="italic">Default</text>');
  });

  it('shows the resource kind under each task name', () => {
    const v4 = machines.find((m) => m.name === 'v4');
    if (!v4) throw new Error('statemachines/v4.asl.json is missing');

    const labels = texts(renderStateMachineSvg(v4.json));

    expect(labels).toEqual(
      expect.arrayContaining(['Lambda', 'DynamoDB getItem', 'DynamoDB updateItem', 'EventBridge putEvents']),
    );
  });

  it('draws Catch edges dashed and labelled with the error names, and no other edge dashed', () => {
    const v4 = machines.find((m) => m.name === 'v4');
    if (!v4) throw new Error('statemachines/v4.asl.json is missing');

    const svg = renderStateMachineSvg(v4.json);

    const edges = edgePaths(svg);
    const catches = edges.filter((edge) => edge.kind === 'catch');
    expect(catches.length).toBeGreaterThan(5);
    for (const edge of catches) expect(edge.attributes).toContain('stroke-dasharray');
    for (const edge of edges.filter((e) => e.kind !== 'catch'))
      expect(edge.attributes).not.toContain('dasharray');
    const catchLabels = labelBoxes(svg).filter((label) => label.kind === 'catch');
    expect(catchLabels).toHaveLength(catches.length);
    expect(texts(svg)).toEqual(
      expect.arrayContaining(['CorruptImageError', 'States.ALL', 'UploadAlreadyFinalError']),
    );
  });

  it.each(machines)('keeps the boxes and edge labels of $name apart', ({ json }) => {
    const svg = renderStateMachineSvg(json);

    const groups = stateGroups(svg);
    for (const group of groups) expect(group.box.width * group.box.height).toBeGreaterThan(0);
    const nested = (a: StateGroup, b: StateGroup) =>
      a.ancestors.includes(b.name) || b.ancestors.includes(a.name);
    for (const [i, a] of groups.entries())
      for (const b of groups.slice(i + 1)) if (!nested(a, b)) expect(overlaps(a.box, b.box)).toBe(false);
    const labels = labelBoxes(svg).map((label) => label.box);
    for (const [i, label] of labels.entries()) {
      for (const other of labels.slice(i + 1)) expect(overlaps(label, other)).toBe(false);
      for (const group of groups) {
        const compound = group.type === 'map' || group.type === 'parallel';
        // A label may sit inside a Map or Parallel box (an edge between its states), never across its border.
        expect(overlaps(label, group.box) && !(compound && contains(group.box, label))).toBe(false);
      }
    }
  });

  it('draws Map and Parallel states as boxes that contain their branches', () => {
    const svg = renderStateMachineSvg(JSON.stringify(nestedDefinition));

    const groups = new Map(stateGroups(svg).map((g) => [g.name, g]));
    const parallel = groups.get('Purge everything');
    const map = groups.get('Delete objects');
    const inMap = groups.get('Delete object');
    const otherBranch = groups.get('Delete items');
    expect(parallel?.type).toBe('parallel');
    expect(map?.type).toBe('map');
    expect(map?.ancestors).toEqual(['Purge everything']);
    expect(inMap?.ancestors).toEqual(['Purge everything', 'Delete objects']);
    expect(otherBranch?.ancestors).toEqual(['Purge everything']);
    if (!parallel || !map || !inMap || !otherBranch) throw new Error('a nested state is missing');
    expect(inMap.box.width * inMap.box.height).toBeGreaterThan(0);
    expect(contains(parallel.box, map.box)).toBe(true);
    expect(contains(map.box, inMap.box)).toBe(true);
    expect(contains(parallel.box, otherBranch.box)).toBe(true);
    expect(overlaps(map.box, otherBranch.box)).toBe(false);
    expect(texts(svg)).toEqual(expect.arrayContaining(['Map over $.objects', 'Parallel · 2 branches']));
  });

  it('draws a retry loop through a Choice as an edge going back up', () => {
    const definition = {
      StartAt: 'Check export',
      States: {
        'Check export': task({ Next: 'Export ready?' }),
        'Export ready?': {
          Type: 'Choice',
          Choices: [{ Variable: '$.status', StringEquals: 'RUNNING', Next: 'Wait a minute' }],
          Default: 'Done',
        },
        'Wait a minute': { Type: 'Wait', Seconds: 60, Next: 'Check export' },
        Done: { Type: 'Succeed' },
      },
    };

    const svg = renderStateMachineSvg(JSON.stringify(definition));

    const groups = new Map(stateGroups(svg).map((g) => [g.name, g]));
    const check = groups.get('Check export')?.box;
    const wait = groups.get('Wait a minute')?.box;
    if (!check || !wait) throw new Error('a state is missing');
    expect(wait.y).toBeGreaterThan(check.y);
    const ys = edgePaths(svg).map((edge) =>
      [...edge.d.matchAll(/(-?[\d.]+) (-?[\d.]+)(?= |$)/g)].map((m) => Number(m[2])),
    );
    const upwards = ys.filter((path) => (path[path.length - 1] ?? 0) < (path[0] ?? 0));
    expect(upwards).toHaveLength(1);
    expect(texts(svg)).toEqual(expect.arrayContaining(['$.status == "RUNNING"', 'Wait 60 s']));
  });

  it('returns byte-identical SVG for the same definition', () => {
    const v4 = machines.find((m) => m.name === 'v4');
    if (!v4) throw new Error('statemachines/v4.asl.json is missing');

    const first = renderStateMachineSvg(v4.json, { title: 'v4' });
    const second = renderStateMachineSvg(`${v4.json}\n`, { title: 'v4' });

    expect(second).toBe(first);
    expect(first).not.toMatch(/\d{4}-\d{2}-\d{2}T/);
  });

  it('escapes &, < and > in state names, conditions and the title', () => {
    const definition = {
      StartAt: 'Fish & Chips <today>',
      States: {
        'Fish & Chips <today>': {
          Type: 'Choice',
          Choices: [{ Variable: '$.menu', StringEquals: '<b>"salt" & vinegar</b>', Next: "Serve 'em" }],
          Default: "Serve 'em",
        },
        "Serve 'em": { Type: 'Pass', End: true },
      },
    };

    const svg = renderStateMachineSvg(JSON.stringify(definition), { title: 'menu <v1> & co' });

    expect(svg).toContain('>Fish &amp; Chips &lt;today&gt;</text>');
    expect(svg).toContain('$.menu == &quot;&lt;b&gt;\\&quot;salt\\&quot; &amp;');
    expect(texts(svg).join(' ')).toContain('$.menu == "<b>\\"salt\\" & vinegar</b>"');
    expect(svg).toContain('>Serve &apos;em</text>');
    expect(svg).toContain('>menu &lt;v1&gt; &amp; co</text>');
    expect(svg).not.toMatch(/&(?!amp;|lt;|gt;|quot;|apos;)/);
    expect(svg.match(/</g)?.length).toBe(svg.match(/>/g)?.length);
  });

  it('is a self-contained SVG on a white rounded card with a sans-serif font and a matching viewBox', () => {
    const svg = renderStateMachineSvg(JSON.stringify(nestedDefinition));

    const [, width, height] = /<svg [^>]*width="(\d+)" height="(\d+)"/.exec(svg) ?? [];
    expect(svg).toContain(`viewBox="0 0 ${width} ${height}"`);
    expect(svg).toMatch(/font-family="[^"]*sans-serif"/);
    expect(svg).toMatch(/<rect x="0.5" y="0.5" [^>]*rx="12" fill="#ffffff"/);
    expect(svg).not.toMatch(/(href|src)=|@import|url\((?!#)/);
  });

  it('rejects a transition to a state that does not exist, naming it', () => {
    const definition = { StartAt: 'A', States: { A: task({ Next: 'Nowhere' }) } };

    expect(() => renderStateMachineSvg(JSON.stringify(definition))).toThrow(GraphDefinitionError);
    expect(() => renderStateMachineSvg(JSON.stringify(definition))).toThrow(/"A" goes to "Nowhere"/);
    expect(() => renderStateMachineSvg('{ not json')).toThrow(/not JSON/);
  });
});

describe('committed graphs', () => {
  it.each(machines)(
    'docs/graphs/$name.svg is current (run `npm run graphs` after editing the ASL)',
    ({ name, json }) => {
      const path = join(root, 'docs', 'graphs', `${name}.svg`);

      expect(existsSync(path)).toBe(true);
      // Line endings normalised, in case a checkout converted them.
      expect(readFileSync(path, 'utf8').replace(/\r\n/g, '\n')).toBe(
        renderStateMachineSvg(json, { title: name }),
      );
    },
  );

  it('has nothing out of date', () => {
    expect(checkGraphs(root)).toEqual([]);
  });
});

describe('checkGraphs', () => {
  let project: string;
  const definition = JSON.stringify({ StartAt: 'A', States: { A: { Type: 'Succeed' } } });

  beforeEach(() => {
    project = mkdtempSync(join(tmpdir(), 'graphs-'));
    mkdirSync(join(project, 'statemachines'));
    writeFileSync(join(project, 'statemachines', 'one.asl.json'), definition);
    writeFileSync(join(project, 'statemachines', 'two.asl.json'), definition);
  });

  afterEach(() => {
    rmSync(project, { recursive: true, force: true });
  });

  it('lists missing, out-of-date and orphaned graphs, and nothing once they are written', () => {
    mkdirSync(join(project, 'docs', 'graphs'), { recursive: true });
    writeFileSync(join(project, 'docs', 'graphs', 'one.svg'), '<svg/>');
    writeFileSync(join(project, 'docs', 'graphs', 'gone.svg'), '<svg/>');

    const before = checkGraphs(project);
    rmSync(join(project, 'docs', 'graphs', 'gone.svg'));
    const written = writeGraphs(project);
    const after = checkGraphs(project);

    expect(before).toEqual(['docs/graphs/one.svg', 'docs/graphs/two.svg', 'docs/graphs/gone.svg']);
    expect(written.map((graph) => graph.target)).toEqual(['docs/graphs/one.svg', 'docs/graphs/two.svg']);
    expect(after).toEqual([]);
  });

  it('picks up a new ASL file', () => {
    writeGraphs(project);
    writeFileSync(join(project, 'statemachines', 'gdpr.asl.json'), definition);

    expect(checkGraphs(project)).toEqual(['docs/graphs/gdpr.svg']);
  });
});

// Readers for the SVG the renderer writes (its shape is simple enough for regular expressions).

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

interface StateGroup {
  type: string;
  /** The first line of the group's tooltip: the state name. */
  name: string;
  box: Box;
  /** Names of the enclosing state groups, outermost first. */
  ancestors: string[];
}

const TAG = /<(\/?)([a-zA-Z]+)([^>]*?)(\/?)>/g;

/** Every state group with its shape's bounding box and the groups it sits in. */
function stateGroups(svg: string): StateGroup[] {
  const groups: StateGroup[] = [];
  const stack: (StateGroup | undefined)[] = [];
  let pendingTitle: StateGroup | undefined;
  for (const match of svg.matchAll(TAG)) {
    const [, closing, name, attributes = '', selfClosing] = match;
    if (name === 'g' && !closing) {
      const type = /data-state-type="([^"]+)"/.exec(attributes)?.[1];
      const ancestors = stack.filter((g): g is StateGroup => g !== undefined).map((g) => g.name);
      const group = type
        ? { type, name: '', box: { x: 0, y: 0, width: 0, height: 0 }, ancestors }
        : undefined;
      if (group) groups.push(group);
      stack.push(group);
      pendingTitle = group;
    } else if (name === 'g' && closing) {
      stack.pop();
    } else if (name === 'title' && !closing && pendingTitle) {
      const end = svg.indexOf('</title>', match.index);
      pendingTitle.name = unescapeXml(svg.slice(match.index + match[0].length, end).split('\n')[0] ?? '');
    } else if ((name === 'rect' || name === 'polygon') && selfClosing && pendingTitle) {
      pendingTitle.box = shapeBox(name, attributes);
      pendingTitle = undefined;
    }
  }
  return groups;
}

function shapeBox(name: string, attributes: string): Box {
  const number = (attribute: string) =>
    Number(new RegExp(` ${attribute}="([^"]+)"`).exec(attributes)?.[1] ?? NaN);
  if (name === 'rect')
    return { x: number('x'), y: number('y'), width: number('width'), height: number('height') };
  const points = (/points="([^"]+)"/.exec(attributes)?.[1] ?? '')
    .split(' ')
    .map((p) => p.split(',').map(Number));
  const xs = points.map((p) => p[0] ?? 0);
  const ys = points.map((p) => p[1] ?? 0);
  return {
    x: Math.min(...xs),
    y: Math.min(...ys),
    width: Math.max(...xs) - Math.min(...xs),
    height: Math.max(...ys) - Math.min(...ys),
  };
}

/** The text of every <text> element, unescaped. */
function texts(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => unescapeXml(m[1] ?? ''));
}

/** Every edge path: its kind (data-edge) and attributes. */
function edgePaths(svg: string): { kind: string; attributes: string; d: string }[] {
  return [...svg.matchAll(/<path ([^>]*data-edge="([^"]+)"[^>]*)\/>/g)].map((m) => ({
    kind: m[2] ?? '',
    attributes: m[1] ?? '',
    d: /d="([^"]+)"/.exec(m[1] ?? '')?.[1] ?? '',
  }));
}

/** Label boxes: kind and rectangle. */
function labelBoxes(svg: string): { kind: string; box: Box }[] {
  return [...svg.matchAll(/<g data-label="([^"]+)"><rect ([^>]*)\/>/g)].map((m) => ({
    kind: m[1] ?? '',
    box: shapeBox('rect', ` ${m[2] ?? ''}`),
  }));
}

function overlaps(a: Box, b: Box): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

function contains(outer: Box, inner: Box): boolean {
  return (
    inner.x >= outer.x &&
    inner.y >= outer.y &&
    inner.x + inner.width <= outer.x + outer.width &&
    inner.y + inner.height <= outer.y + outer.height
  );
}

function unescapeXml(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}
