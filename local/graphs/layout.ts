/**
 * A small layered (Sugiyama-style) layout for directed graphs, drawn top to bottom:
 *
 * 1. cycles: a depth-first search from the root marks the edges that close a cycle; they are
 *    reversed for the layout and drawn back upwards;
 * 2. layering: longest path from the sources, every edge spanning at least two ranks so the
 *    odd ranks between node rows hold edge labels;
 * 3. long edges are split into dummy nodes (one per rank they cross; an edge's label is the
 *    dummy next to its source, so labels get a place of their own and never overlap a box);
 * 4. crossing reduction: barycenter sweeps down and up plus adjacent swaps, keeping the best;
 * 5. x coordinates: nodes are pulled towards their neighbours (long edges weigh more, so
 *    they stay straight) while keeping order and spacing, which is a weighted isotonic
 *    regression per rank (pool-adjacent-violators);
 * 6. edges leave a node at its bottom and enter the next at its top, at ports spread along
 *    the side in the order of where the edges go.
 *
 * Everything is deterministic: the same input gives the same numbers.
 */

export interface Point {
  x: number;
  y: number;
}

export interface LayoutNode {
  id: string;
  width: number;
  height: number;
  /** How much of the top and bottom sides edges may use (e.g. the flat part of a hexagon). */
  portWidth?: number;
}

export interface LayoutEdge {
  from: string;
  to: string;
  /** Size of the label box, when the edge has a label. */
  label?: { width: number; height: number };
  /** How strongly the edge pulls its ends into line (default 1; secondary edges less). */
  weight?: number;
}

export interface PlacedNode {
  id: string;
  /** Centre. */
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface RoutedEdge {
  /** From the source to the target. Consecutive points with different x are joined by a curve. */
  points: Point[];
  /** Centre of the label box. */
  label?: Point;
  /** The edge goes back up (it closes a cycle). */
  backwards: boolean;
  /** The edge leaves and enters the same node: drawn as a loop on its right side. */
  loop: boolean;
}

export interface GraphLayout {
  width: number;
  height: number;
  nodes: Map<string, PlacedNode>;
  /** In the order of the input edges. */
  edges: RoutedEdge[];
}

export interface LayoutOptions {
  /** Where the depth-first search starts (the flow's entry). */
  root?: string;
  /** A node to put alone on the last rank (the End node). */
  last?: string;
  /** Horizontal gap between boxes. */
  nodeGap?: number;
  /** Horizontal gap next to an edge passing between boxes. */
  edgeGap?: number;
  /** Vertical gap between ranks. */
  rankGap?: number;
}

interface Vertex {
  rank: number;
  width: number;
  height: number;
  /** Index of the input node; undefined for a dummy. */
  node?: number;
  up: Link[];
  down: Link[];
}

interface Link {
  vertex: number;
  weight: number;
  /** The input edge this link belongs to. */
  edge: number;
}

const LOOP_REACH = 34;

export function layoutGraph(
  nodes: LayoutNode[],
  edges: LayoutEdge[],
  options: LayoutOptions = {},
): GraphLayout {
  const nodeGap = options.nodeGap ?? 28;
  const edgeGap = options.edgeGap ?? 14;
  const rankGap = options.rankGap ?? 16;
  const index = new Map(nodes.map((node, i) => [node.id, i]));
  const indexOf = (id: string): number => {
    const i = index.get(id);
    if (i === undefined) throw new Error(`layout: edge refers to unknown node ${id}`);
    return i;
  };
  const ends = edges.map((edge) => [indexOf(edge.from), indexOf(edge.to)] as const);

  // Self-loops take room on the right of their node; layout widths are symmetric around the centre.
  const loopRoom = nodes.map(() => 0);
  edges.forEach((edge, e) => {
    const [from, to] = ends[e] ?? [0, 0];
    if (from === to)
      loopRoom[from] = Math.max(loopRoom[from] ?? 0, LOOP_REACH + (edge.label?.width ?? 0) + 6);
  });

  const backwards = findBackEdges(nodes.length, ends, options.root === undefined ? 0 : indexOf(options.root));
  const ranks = rankNodes(
    nodes.length,
    ends,
    backwards,
    options.last === undefined ? -1 : indexOf(options.last),
  );

  // Layered graph: one vertex per node, one dummy per rank a long edge crosses.
  const vertices: Vertex[] = nodes.map((node, i) => ({
    rank: ranks[i] ?? 0,
    width: node.width + 2 * (loopRoom[i] ?? 0),
    height: node.height,
    node: i,
    up: [],
    down: [],
  }));
  const chains: number[][] = edges.map(() => []);
  const labelVertex: (number | undefined)[] = edges.map(() => undefined);
  edges.forEach((edge, e) => {
    const [from, to] = ends[e] ?? [0, 0];
    if (from === to) return;
    const [top, bottom] = backwards.has(e) ? [to, from] : [from, to];
    const chain = [top];
    const topRank = vertices[top]?.rank ?? 0;
    const bottomRank = vertices[bottom]?.rank ?? 0;
    // The label sits on the dummy next to the edge's real source.
    const labelRank = backwards.has(e) ? bottomRank - 1 : topRank + 1;
    for (let rank = topRank + 1; rank < bottomRank; rank++) {
      const hasLabel = edge.label !== undefined && rank === labelRank;
      vertices.push({
        rank,
        width: hasLabel ? (edge.label?.width ?? 0) : 0,
        height: hasLabel ? (edge.label?.height ?? 0) : 0,
        up: [],
        down: [],
      });
      if (hasLabel) labelVertex[e] = vertices.length - 1;
      chain.push(vertices.length - 1);
    }
    chain.push(bottom);
    for (let i = 0; i + 1 < chain.length; i++) {
      const a = chain[i] ?? 0;
      const b = chain[i + 1] ?? 0;
      const dummies = Number(vertices[a]?.node === undefined) + Number(vertices[b]?.node === undefined);
      const weight = (dummies === 2 ? 8 : dummies === 1 ? 2 : 1) * (edge.weight ?? 1);
      vertices[a]?.down.push({ vertex: b, weight, edge: e });
      vertices[b]?.up.push({ vertex: a, weight, edge: e });
    }
    chains[e] = chain;
  });

  const layers = orderLayers(vertices, options.root === undefined ? 0 : indexOf(options.root));
  const xs = placeHorizontally(vertices, layers, nodeGap, edgeGap);
  straighten(vertices, layers, chains, xs, nodeGap, edgeGap);

  // Rows: each rank as tall as its tallest vertex.
  const rankCount = layers.length;
  const rowTop: number[] = [];
  const rowHeight: number[] = [];
  let y = 0;
  for (let rank = 0; rank < rankCount; rank++) {
    const height = Math.max(0, ...(layers[rank] ?? []).map((v) => vertices[v]?.height ?? 0));
    rowTop.push(y);
    rowHeight.push(height);
    y += height + rankGap;
  }
  const height = Math.max(0, y - rankGap);
  const center = (v: number) =>
    (rowTop[vertices[v]?.rank ?? 0] ?? 0) + (rowHeight[vertices[v]?.rank ?? 0] ?? 0) / 2;

  // Normalise x so the leftmost box edge is at 0.
  let left = Number.POSITIVE_INFINITY;
  let right = Number.NEGATIVE_INFINITY;
  vertices.forEach((vertex, v) => {
    left = Math.min(left, (xs[v] ?? 0) - vertex.width / 2);
    right = Math.max(right, (xs[v] ?? 0) + vertex.width / 2);
  });
  if (!Number.isFinite(left)) {
    left = 0;
    right = 0;
  }
  const x = (v: number) => (xs[v] ?? 0) - left;

  const placed = new Map<string, PlacedNode>();
  nodes.forEach((node, i) => {
    placed.set(node.id, { id: node.id, x: x(i), y: center(i), width: node.width, height: node.height });
  });

  const outPorts = ports(vertices, nodes, x, 'down');
  const inPorts = ports(vertices, nodes, x, 'up');
  const routed: RoutedEdge[] = edges.map((edge, e) => {
    const chain = chains[e] ?? [];
    const node = placed.get(edge.from);
    if (chain.length === 0 && node) return loopRoute(node, edge);
    const points: Point[] = [];
    const push = (point: Point) => {
      const last = points[points.length - 1];
      if (!last || last.x !== point.x || last.y !== point.y) points.push(point);
    };
    chain.forEach((v, i) => {
      const vertex = vertices[v];
      if (!vertex) return;
      const rank = vertex.rank;
      if (vertex.node === undefined) {
        push({ x: x(v), y: rowTop[rank] ?? 0 });
        push({ x: x(v), y: (rowTop[rank] ?? 0) + (rowHeight[rank] ?? 0) });
      } else if (i === 0) {
        const port = outPorts.get(`${v}:${e}`) ?? x(v);
        push({ x: port, y: center(v) + vertex.height / 2 });
        push({ x: port, y: (rowTop[rank] ?? 0) + (rowHeight[rank] ?? 0) });
      } else {
        const port = inPorts.get(`${v}:${e}`) ?? x(v);
        push({ x: port, y: rowTop[rank] ?? 0 });
        push({ x: port, y: center(v) - vertex.height / 2 });
      }
    });
    const isBackwards = backwards.has(e);
    if (isBackwards) points.reverse();
    const labelAt = labelVertex[e];
    const route: RoutedEdge = { points, backwards: isBackwards, loop: false };
    if (labelAt !== undefined) route.label = { x: x(labelAt), y: center(labelAt) };
    return route;
  });

  return { width: right - left, height, nodes: placed, edges: routed };
}

/** Edges that close a cycle, found by a depth-first search from the root, then from any unvisited node. */
function findBackEdges(count: number, ends: (readonly [number, number])[], root: number): Set<number> {
  const outgoing: number[][] = Array.from({ length: count }, () => []);
  ends.forEach(([from], e) => {
    outgoing[from]?.push(e);
  });
  const state = new Array<number>(count).fill(0); // 0 new, 1 on the stack, 2 done
  const back = new Set<number>();
  const visit = (start: number) => {
    const stack: [number, number][] = [[start, 0]];
    state[start] = 1;
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      if (!top) break;
      const [node, next] = top;
      const list = outgoing[node] ?? [];
      if (next >= list.length) {
        state[node] = 2;
        stack.pop();
        continue;
      }
      top[1] = next + 1;
      const e = list[next] ?? 0;
      const to = ends[e]?.[1] ?? 0;
      if (to === node) continue; // self-loop: drawn apart
      if (state[to] === 1) back.add(e);
      else if (state[to] === 0) {
        state[to] = 1;
        stack.push([to, 0]);
      }
    }
  };
  if (count > 0) visit(root);
  for (let i = 0; i < count; i++) if (state[i] === 0) visit(i);
  return back;
}

/** Longest path from the sources, two ranks per edge; `last` alone below everything else. */
function rankNodes(
  count: number,
  ends: (readonly [number, number])[],
  back: Set<number>,
  last: number,
): number[] {
  const preds: number[][] = Array.from({ length: count }, () => []);
  const succs: number[][] = Array.from({ length: count }, () => []);
  ends.forEach(([from, to], e) => {
    if (from === to) return;
    const [a, b] = back.has(e) ? [to, from] : [from, to];
    succs[a]?.push(b);
    preds[b]?.push(a);
  });
  const ranks = new Array<number>(count).fill(0);
  const waiting = preds.map((list) => list.length);
  const queue: number[] = [];
  for (let i = 0; i < count; i++) if (waiting[i] === 0) queue.push(i);
  for (let head = 0; head < queue.length; head++) {
    const node = queue[head] ?? 0;
    for (const next of succs[node] ?? []) {
      ranks[next] = Math.max(ranks[next] ?? 0, (ranks[node] ?? 0) + 2);
      waiting[next] = (waiting[next] ?? 0) - 1;
      if (waiting[next] === 0) queue.push(next);
    }
  }
  if (last >= 0) {
    let deepest = 0;
    ranks.forEach((rank, i) => {
      if (i !== last) deepest = Math.max(deepest, rank);
    });
    ranks[last] = deepest + 2;
  }
  return ranks;
}

/** Orders every rank: depth-first order first, then barycenter sweeps and adjacent swaps; keeps the best. */
function orderLayers(vertices: Vertex[], root: number): number[][] {
  const rankCount = Math.max(0, ...vertices.map((v) => v.rank)) + 1;
  let layers: number[][] = Array.from({ length: rankCount }, () => []);
  const seen = new Set<number>();
  const visit = (start: number) => {
    const stack = [start];
    while (stack.length > 0) {
      const v = stack.pop() ?? 0;
      if (seen.has(v)) continue;
      seen.add(v);
      layers[vertices[v]?.rank ?? 0]?.push(v);
      const next = (vertices[v]?.down ?? []).map((link) => link.vertex);
      for (let i = next.length - 1; i >= 0; i--) stack.push(next[i] ?? 0);
    }
  };
  if (vertices.length > 0) visit(root);
  vertices.forEach((_, v) => {
    visit(v);
  });

  let best = layers.map((layer) => [...layer]);
  let bestCrossings = countCrossings(vertices, layers);
  for (let iteration = 0; iteration < 24 && bestCrossings > 0; iteration++) {
    const downwards = iteration % 2 === 0;
    const position = positions(layers);
    const order = downwards ? [...layers.keys()].slice(1) : [...layers.keys()].reverse().slice(1);
    for (const rank of order) {
      const layer = layers[rank] ?? [];
      const keyed = layer.map((v, i) => {
        const links = downwards ? (vertices[v]?.up ?? []) : (vertices[v]?.down ?? []);
        const bary =
          links.length === 0
            ? i
            : links.reduce((sum, link) => sum + (position[link.vertex] ?? 0), 0) / links.length;
        return { v, bary, i };
      });
      keyed.sort((a, b) => a.bary - b.bary || a.i - b.i);
      layers[rank] = keyed.map((k) => k.v);
      keyed.forEach((k, i) => {
        position[k.v] = i;
      });
    }
    transpose(vertices, layers);
    const crossings = countCrossings(vertices, layers);
    if (crossings < bestCrossings) {
      bestCrossings = crossings;
      best = layers.map((layer) => [...layer]);
    }
  }
  layers = best;
  return layers;
}

function positions(layers: number[][]): number[] {
  const position: number[] = [];
  for (const layer of layers)
    layer.forEach((v, i) => {
      position[v] = i;
    });
  return position;
}

function countCrossings(vertices: Vertex[], layers: number[][]): number {
  const position = positions(layers);
  let total = 0;
  for (const layer of layers) {
    const segments: [number, number][] = [];
    for (const v of layer)
      for (const link of vertices[v]?.down ?? [])
        segments.push([position[v] ?? 0, position[link.vertex] ?? 0]);
    for (let i = 0; i < segments.length; i++)
      for (let j = i + 1; j < segments.length; j++) {
        const [a1, b1] = segments[i] ?? [0, 0];
        const [a2, b2] = segments[j] ?? [0, 0];
        if ((a1 - a2) * (b1 - b2) < 0) total++;
      }
  }
  return total;
}

/** Swaps neighbours in a rank while that removes crossings with the ranks above and below. */
function transpose(vertices: Vertex[], layers: number[][]): void {
  const position = positions(layers);
  const pairCrossings = (u: number, w: number): number => {
    let count = 0;
    for (const side of ['up', 'down'] as const)
      for (const a of vertices[u]?.[side] ?? [])
        for (const b of vertices[w]?.[side] ?? [])
          if ((position[a.vertex] ?? 0) > (position[b.vertex] ?? 0)) count++;
    return count;
  };
  for (let pass = 0; pass < 4; pass++) {
    let improved = false;
    for (const layer of layers)
      for (let i = 0; i + 1 < layer.length; i++) {
        const u = layer[i] ?? 0;
        const w = layer[i + 1] ?? 0;
        if (pairCrossings(w, u) < pairCrossings(u, w)) {
          layer[i] = w;
          layer[i + 1] = u;
          position[w] = i;
          position[u] = i + 1;
          improved = true;
        }
      }
    if (!improved) break;
  }
}

/** Horizontal centres: rounds of pulling each rank towards its neighbours above, then below, then both. */
function placeHorizontally(
  vertices: Vertex[],
  layers: number[][],
  nodeGap: number,
  edgeGap: number,
): number[] {
  const xs = new Array<number>(vertices.length).fill(0);
  const gap = (a: number, b: number) => {
    const real = vertices[a]?.node !== undefined && vertices[b]?.node !== undefined;
    return real ? nodeGap : edgeGap;
  };
  const offsets = layers.map((layer) => {
    const offset: number[] = [];
    let total = 0;
    layer.forEach((v, i) => {
      const previous = layer[i - 1];
      if (previous !== undefined)
        total += ((vertices[previous]?.width ?? 0) + (vertices[v]?.width ?? 0)) / 2 + gap(previous, v);
      offset.push(total);
    });
    return offset;
  });
  layers.forEach((layer, rank) => {
    const offset = offsets[rank] ?? [];
    const shift = -(offset[offset.length - 1] ?? 0) / 2;
    layer.forEach((v, i) => {
      xs[v] = (offset[i] ?? 0) + shift;
    });
  });

  const place = (rank: number, sides: ('up' | 'down')[]) => {
    const layer = layers[rank] ?? [];
    const offset = offsets[rank] ?? [];
    const targets = layer.map((v, i) => {
      const pulls: { x: number; weight: number }[] = [];
      for (const side of sides)
        for (const link of vertices[v]?.[side] ?? [])
          pulls.push({ x: xs[link.vertex] ?? 0, weight: link.weight });
      const weight = pulls.reduce((sum, pull) => sum + pull.weight, 0);
      const wanted = weight > 0 ? weightedMedian(pulls, weight) : (xs[v] ?? 0);
      return { value: wanted - (offset[i] ?? 0), weight: weight > 0 ? weight : 0.05 };
    });
    const fitted = isotonic(targets);
    layer.forEach((v, i) => {
      xs[v] = (fitted[i] ?? 0) + (offset[i] ?? 0);
    });
  };
  for (let round = 0; round < 10; round++) {
    for (let rank = 1; rank < layers.length; rank++) place(rank, ['up']);
    for (let rank = layers.length - 2; rank >= 0; rank--) place(rank, ['down']);
  }
  for (let round = 0; round < 3; round++)
    for (let rank = 0; rank < layers.length; rank++) place(rank, ['up', 'down']);
  return xs.map((value) => Math.round(value * 10) / 10);
}

/**
 * Makes the runs of dummies of each long edge vertical where the neighbours in every rank it
 * crosses leave room, so long edges run straight instead of wobbling.
 */
function straighten(
  vertices: Vertex[],
  layers: number[][],
  chains: number[][],
  xs: number[],
  nodeGap: number,
  edgeGap: number,
): void {
  const position = positions(layers);
  const gap = (a: number, b: number) =>
    vertices[a]?.node !== undefined && vertices[b]?.node !== undefined ? nodeGap : edgeGap;
  const room = (v: number): [number, number] => {
    const vertex = vertices[v];
    const layer = layers[vertex?.rank ?? 0] ?? [];
    const i = position[v] ?? 0;
    const left = layer[i - 1];
    const right = layer[i + 1];
    const half = (vertex?.width ?? 0) / 2;
    const low =
      left === undefined
        ? Number.NEGATIVE_INFINITY
        : (xs[left] ?? 0) + (vertices[left]?.width ?? 0) / 2 + gap(left, v) + half;
    const high =
      right === undefined
        ? Number.POSITIVE_INFINITY
        : (xs[right] ?? 0) - (vertices[right]?.width ?? 0) / 2 - gap(v, right) - half;
    return [low, high];
  };
  for (let round = 0; round < 3; round++)
    for (const chain of chains) {
      const run = chain.filter((v) => vertices[v]?.node === undefined);
      if (run.length < 2) continue;
      // Prefer lining up with the real end the run meets (its source), else the run's median.
      const sorted = run.map((v) => xs[v] ?? 0).sort((a, b) => a - b);
      const candidates = [
        xs[chain[0] ?? 0] ?? 0,
        xs[chain[chain.length - 1] ?? 0] ?? 0,
        sorted[sorted.length >> 1] ?? 0,
      ];
      let low = Number.NEGATIVE_INFINITY;
      let high = Number.POSITIVE_INFINITY;
      for (const v of run) {
        const [a, b] = room(v);
        low = Math.max(low, a);
        high = Math.min(high, b);
      }
      if (low > high) continue;
      const median = sorted[sorted.length >> 1] ?? 0;
      const inside = candidates.filter((c) => c >= low && c <= high);
      const target = Math.round((inside[0] ?? Math.min(high, Math.max(low, median))) * 10) / 10;
      for (const v of run) xs[v] = target;
    }
}

/** The weighted median of the neighbours' positions (the lower one on a tie), as Brandes and Köpf align. */
function weightedMedian(pulls: { x: number; weight: number }[], total: number): number {
  const sorted = [...pulls].sort((a, b) => a.x - b.x);
  let seen = 0;
  for (const pull of sorted) {
    seen += pull.weight;
    if (seen >= total / 2) return pull.x;
  }
  return sorted[sorted.length - 1]?.x ?? 0;
}

/** Weighted least-squares fit by a non-decreasing sequence (pool adjacent violators). */
function isotonic(points: { value: number; weight: number }[]): number[] {
  const blocks: { mean: number; weight: number; size: number }[] = [];
  for (const point of points) {
    blocks.push({ mean: point.value, weight: point.weight, size: 1 });
    while (blocks.length > 1) {
      const last = blocks[blocks.length - 1];
      const previous = blocks[blocks.length - 2];
      if (!last || !previous || previous.mean <= last.mean) break;
      const weight = previous.weight + last.weight;
      previous.mean = (previous.mean * previous.weight + last.mean * last.weight) / weight;
      previous.weight = weight;
      previous.size += last.size;
      blocks.pop();
    }
  }
  return blocks.flatMap((block) => new Array<number>(block.size).fill(block.mean));
}

/** Port x per `${vertex}:${edge}` on the bottom ('down') or top ('up') side of every real node. */
function ports(
  vertices: Vertex[],
  nodes: LayoutNode[],
  x: (v: number) => number,
  side: 'up' | 'down',
): Map<string, number> {
  const result = new Map<string, number>();
  vertices.forEach((vertex, v) => {
    if (vertex.node === undefined) return;
    const links = [...vertex[side]].sort((a, b) => x(a.vertex) - x(b.vertex) || a.edge - b.edge);
    const node = nodes[vertex.node];
    const usable = Math.max(0, (node?.portWidth ?? node?.width ?? 0) - 12);
    const step = links.length > 1 ? Math.min(14, usable / (links.length - 1)) : 0;
    links.forEach((link, i) => {
      result.set(`${v}:${link.edge}`, x(v) + (i - (links.length - 1) / 2) * step);
    });
  });
  return result;
}

function loopRoute(node: PlacedNode, edge: LayoutEdge): RoutedEdge {
  const right = node.x + node.width / 2;
  const route: RoutedEdge = {
    points: [
      { x: right, y: node.y - node.height / 4 },
      { x: right + LOOP_REACH, y: node.y },
      { x: right, y: node.y + node.height / 4 },
    ],
    backwards: false,
    loop: true,
  };
  if (edge.label) route.label = { x: right + LOOP_REACH + 4 + edge.label.width / 2, y: node.y };
  return route;
}
