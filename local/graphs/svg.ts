/**
 * Draws a flow graph (see flow.ts) as a self-contained SVG: sizes every box from its text,
 * lays each graph out with layout.ts (Map and Parallel contents first, so their boxes know
 * their size), then writes shapes, edges and labels with inline styles on a white card.
 */

import { escapeXml } from '../xml';
import type { EdgeKind, FlowEdge, FlowGraph, FlowNode, NodeKind } from './flow';
import { type GraphLayout, layoutGraph, type Point } from './layout';
import { textWidth, truncate, wrap } from './text';

const FONT = "-apple-system, BlinkMacSystemFont, 'Segoe UI', 'Noto Sans', Helvetica, Arial, sans-serif";
const TITLE_SIZE = 13;
const DETAIL_SIZE = 11;
const LABEL_SIZE = 11;
const LINE = 16;
const DETAIL_LINE = 14;
const LABEL_LINE = 13;
const MARGIN = 24;
const HEADER = 34;
const FRAME_PAD = 14;

interface Style {
  fill: string;
  stroke: string;
  text: string;
  detail: string;
}

const STYLES: Record<NodeKind, Style> = {
  start: { fill: '#3b4452', stroke: '#3b4452', text: '#ffffff', detail: '#ffffff' },
  end: { fill: '#3b4452', stroke: '#3b4452', text: '#ffffff', detail: '#ffffff' },
  task: { fill: '#e8f1fc', stroke: '#3f74b5', text: '#16263a', detail: '#3d5677' },
  choice: { fill: '#fff4d4', stroke: '#b7860b', text: '#3a2c05', detail: '#6b5a26' },
  pass: { fill: '#f3f4f6', stroke: '#8b929c', text: '#24292f', detail: '#57606a' },
  wait: { fill: '#f1ebfa', stroke: '#7c5cbf', text: '#271a40', detail: '#5b4a80' },
  succeed: { fill: '#e2f4e6', stroke: '#2f8a46', text: '#0f3319', detail: '#2d6b3d' },
  fail: { fill: '#fce7e4', stroke: '#c2412d', text: '#4a120a', detail: '#9a3324' },
  map: { fill: '#f7f8fa', stroke: '#68778a', text: '#24292f', detail: '#57606a' },
  parallel: { fill: '#f7f8fa', stroke: '#68778a', text: '#24292f', detail: '#57606a' },
};

const EDGE_COLOR = '#56606d';
const CATCH_COLOR = '#c2412d';

/** A node with its size and, for Map and Parallel, its laid-out contents. */
interface Box {
  node: FlowNode;
  width: number;
  height: number;
  portWidth: number;
  title: string[];
  detail?: string;
  /** Nested graphs and where their frame and contents sit, relative to the box's top-left corner. */
  frames: { drawing: Drawing; frame: Point & { width: number; height: number }; content: Point }[];
  headerHeight: number;
}

interface Drawing {
  graph: FlowGraph;
  boxes: Map<string, Box>;
  labels: string[][];
  layout: GraphLayout;
}

/** Renders a flow graph to SVG text; `title` is drawn in the top left corner. */
export function renderFlowSvg(graph: FlowGraph, title?: string): string {
  const drawing = drawGraph(graph);
  const legend = legendItems(graph);
  const titleHeight = title ? HEADER : 0;
  const legendRows = layoutLegend(legend, Math.max(drawing.layout.width, 320));
  const legendHeight = legendRows.length * 22 + (legendRows.length > 0 ? 14 : 0);
  const legendWidth = Math.max(0, ...legendRows.map((row) => row.width));
  const width = Math.ceil(Math.max(drawing.layout.width, legendWidth) + 2 * MARGIN);
  const height = Math.ceil(drawing.layout.height + 2 * MARGIN + titleHeight + legendHeight);
  const offsetX = (width - drawing.layout.width) / 2;

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT}" role="img">`,
  );
  if (title) out.push(`<title>${escapeXml(`State machine ${title}`)}</title>`);
  out.push(
    '<defs>',
    marker('hp-arrow', EDGE_COLOR),
    marker('hp-arrow-catch', CATCH_COLOR),
    '</defs>',
    `<rect x="0.5" y="0.5" width="${width - 1}" height="${height - 1}" rx="12" fill="#ffffff" stroke="#d0d7de"/>`,
  );
  if (title)
    out.push(
      `<text x="${MARGIN}" y="${MARGIN + 8}" font-size="15" font-weight="700" fill="#24292f">${escapeXml(title)}</text>`,
    );
  emitDrawing(out, drawing, offsetX, MARGIN + titleHeight);
  emitLegend(out, legendRows, MARGIN, MARGIN + titleHeight + drawing.layout.height + 14);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

function drawGraph(graph: FlowGraph): Drawing {
  const boxes = new Map(graph.nodes.map((node) => [node.id, sizeBox(node)]));
  const labels = graph.edges.map((edge) => edge.label);
  const layout = layoutGraph(
    graph.nodes.map((node) => {
      const box = boxes.get(node.id);
      return {
        id: node.id,
        width: box?.width ?? 0,
        height: box?.height ?? 0,
        portWidth: box?.portWidth ?? 0,
      };
    }),
    graph.edges.map((edge, e) => {
      const lines = labels[e] ?? [];
      // Error paths pull less than the main flow, which then stays straight.
      const weight = edge.kind === 'catch' ? 0.3 : 1;
      return lines.length === 0
        ? { from: edge.from, to: edge.to, weight }
        : { from: edge.from, to: edge.to, weight, label: labelSize(lines) };
    }),
    graph.nodes.some((node) => node.id === 'end') ? { root: graph.root, last: 'end' } : { root: graph.root },
  );
  return { graph, boxes, labels, layout };
}

function labelSize(lines: string[]): { width: number; height: number } {
  return {
    width: Math.ceil(Math.max(...lines.map((line) => textWidth(line, LABEL_SIZE))) + 12),
    height: lines.length * LABEL_LINE + 6,
  };
}

function sizeBox(node: FlowNode): Box {
  if (node.kind === 'start' || node.kind === 'end')
    return { node, width: 76, height: 30, portWidth: 40, title: [node.name], frames: [], headerHeight: 30 };
  const title = wrap(node.name, 30, 3);
  const detail = node.detail === undefined ? undefined : truncate(node.detail, 44);
  const textW = Math.max(
    ...title.map((line) => textWidth(line, TITLE_SIZE, true)),
    detail === undefined ? 0 : textWidth(detail, DETAIL_SIZE),
  );
  const headerHeight = 10 + title.length * LINE + (detail === undefined ? 0 : DETAIL_LINE) + 8;
  const base = { node, title, ...(detail === undefined ? {} : { detail }), headerHeight };

  if (node.kind === 'choice') {
    const height = Math.max(40, headerHeight);
    const indent = height * 0.32;
    const width = Math.ceil(Math.max(120, textW + 24 + 2 * indent));
    return { ...base, width, height, portWidth: width - 2 * indent, frames: [] };
  }
  if (node.kind !== 'map' && node.kind !== 'parallel') {
    const width = Math.ceil(Math.max(128, textW + 28));
    const height = Math.max(40, headerHeight);
    return { ...base, width, height, portWidth: width, frames: [] };
  }

  // Map: one frame with the item processor; Parallel: one frame per branch, side by side.
  const drawings = node.children.map(drawGraph);
  const frameHeight = Math.max(...drawings.map((d) => d.layout.height)) + 2 * FRAME_PAD;
  const frameWidths = drawings.map((d) => d.layout.width + 2 * FRAME_PAD);
  const gap = 14;
  const framesWidth = frameWidths.reduce((sum, w) => sum + w, 0) + gap * (drawings.length - 1);
  const width = Math.ceil(Math.max(160, textW + 28, framesWidth + 2 * 16));
  const height = Math.ceil(headerHeight + frameHeight + 14);
  let x = (width - framesWidth) / 2;
  const frames = drawings.map((drawing, i) => {
    const frameWidth = frameWidths[i] ?? 0;
    const frame = { x, y: headerHeight, width: frameWidth, height: frameHeight };
    const content = { x: x + FRAME_PAD, y: headerHeight + FRAME_PAD };
    x += frameWidth + gap;
    return { drawing, frame, content };
  });
  return { ...base, width, height, portWidth: width, frames };
}

function emitDrawing(out: string[], drawing: Drawing, dx: number, dy: number): void {
  const { graph, layout, labels } = drawing;
  graph.edges.forEach((edge, e) => {
    const route = layout.edges[e];
    if (route) emitEdge(out, edge, route.points, route.loop, dx, dy);
  });
  graph.edges.forEach((edge, e) => {
    const at = layout.edges[e]?.label;
    const lines = labels[e] ?? [];
    if (at && lines.length > 0) emitLabel(out, edge.kind, lines, at.x + dx, at.y + dy);
  });
  for (const node of graph.nodes) {
    const placed = layout.nodes.get(node.id);
    const box = drawing.boxes.get(node.id);
    if (placed && box) emitBox(out, box, placed.x - box.width / 2 + dx, placed.y - box.height / 2 + dy);
  }
}

function emitEdge(
  out: string[],
  edge: FlowEdge,
  points: Point[],
  loop: boolean,
  dx: number,
  dy: number,
): void {
  const shifted = points.map((p) => ({ x: p.x + dx, y: p.y + dy }));
  const first = shifted[0];
  if (!first) return;
  let d = `M${n(first.x)} ${n(first.y)}`;
  if (loop) {
    const [a, mid, b] = shifted;
    if (a && mid && b)
      d += ` C${n(mid.x + 8)} ${n(a.y - 10)} ${n(mid.x + 8)} ${n(b.y + 10)} ${n(b.x)} ${n(b.y)}`;
  } else {
    for (let i = 1; i < shifted.length; i++) {
      const p = shifted[i - 1] ?? first;
      const q = shifted[i] ?? first;
      if (p.x === q.x) d += ` L${n(q.x)} ${n(q.y)}`;
      else {
        const mid = (p.y + q.y) / 2;
        d += ` C${n(p.x)} ${n(mid)} ${n(q.x)} ${n(mid)} ${n(q.x)} ${n(q.y)}`;
      }
    }
  }
  const isCatch = edge.kind === 'catch';
  out.push(
    `<path d="${d}" fill="none" stroke="${isCatch ? CATCH_COLOR : EDGE_COLOR}" stroke-width="1.4"${
      isCatch ? ' stroke-dasharray="5 4"' : ''
    } marker-end="url(#${isCatch ? 'hp-arrow-catch' : 'hp-arrow'})" data-edge="${edge.kind}"/>`,
  );
}

const LABEL_COLORS: Record<EdgeKind, string> = {
  next: '#3a4350',
  choice: '#3a4350',
  default: '#5f6b7a',
  catch: '#a3321f',
  end: '#3a4350',
};

function emitLabel(out: string[], kind: EdgeKind, lines: string[], x: number, y: number): void {
  const { width, height } = labelSize(lines);
  const color = LABEL_COLORS[kind];
  out.push(
    `<g data-label="${kind}"><rect x="${n(x - width / 2)}" y="${n(y - height / 2)}" width="${width}" height="${height}" rx="5" fill="#ffffff" stroke="${
      kind === 'catch' ? '#f0c4bc' : '#d5dae1'
    }"/>`,
  );
  lines.forEach((line, i) => {
    const baseline = y - height / 2 + 3 + LABEL_LINE * i + 10;
    const italic = kind === 'default' && line === 'Default' ? ' font-style="italic"' : '';
    out.push(
      `<text x="${n(x)}" y="${n(baseline)}" font-size="${LABEL_SIZE}" text-anchor="middle" fill="${color}"${italic}>${escapeXml(line)}</text>`,
    );
  });
  out.push('</g>');
}

function emitBox(out: string[], box: Box, x: number, y: number): void {
  const { node, width, height } = box;
  const style = STYLES[node.kind];
  out.push(`<g data-state-type="${node.kind}">`);
  const tooltip = node.comment ? `${node.name}\n${node.comment}` : node.name;
  out.push(`<title>${escapeXml(tooltip)}</title>`);
  const shape = `fill="${style.fill}" stroke="${style.stroke}" stroke-width="1.5"`;
  if (node.kind === 'start' || node.kind === 'end') {
    out.push(
      `<rect x="${n(x)}" y="${n(y)}" width="${width}" height="${height}" rx="${height / 2}" ${shape}/>`,
    );
    out.push(
      `<text x="${n(x + width / 2)}" y="${n(y + height / 2 + 4.5)}" font-size="12" font-weight="700" text-anchor="middle" fill="${style.text}">${escapeXml(node.name)}</text>`,
    );
    out.push('</g>');
    return;
  }
  if (node.kind === 'choice') {
    const indent = height * 0.32;
    const points = [
      [x + indent, y],
      [x + width - indent, y],
      [x + width, y + height / 2],
      [x + width - indent, y + height],
      [x + indent, y + height],
      [x, y + height / 2],
    ]
      .map(([px = 0, py = 0]) => `${n(px)},${n(py)}`)
      .join(' ');
    out.push(`<polygon points="${points}" ${shape}/>`);
  } else {
    const rx = node.kind === 'map' || node.kind === 'parallel' ? 10 : 8;
    out.push(`<rect x="${n(x)}" y="${n(y)}" width="${width}" height="${height}" rx="${rx}" ${shape}/>`);
  }
  const compound = box.frames.length > 0;
  const textTop = compound ? y : y + (height - box.headerHeight) / 2;
  box.title.forEach((line, i) => {
    out.push(
      `<text x="${n(x + width / 2)}" y="${n(textTop + 10 + LINE * i + 12)}" font-size="${TITLE_SIZE}" font-weight="600" text-anchor="middle" fill="${style.text}">${escapeXml(line)}</text>`,
    );
  });
  if (box.detail !== undefined)
    out.push(
      `<text x="${n(x + width / 2)}" y="${n(textTop + 10 + LINE * box.title.length + 10)}" font-size="${DETAIL_SIZE}" text-anchor="middle" fill="${style.detail}">${escapeXml(box.detail)}</text>`,
    );
  for (const { drawing, frame, content } of box.frames) {
    out.push(
      `<rect x="${n(x + frame.x)}" y="${n(y + frame.y)}" width="${n(frame.width)}" height="${n(frame.height)}" rx="8" fill="#ffffff" stroke="#9aa5b1" stroke-dasharray="4 3"/>`,
    );
    emitDrawing(out, drawing, x + content.x, y + content.y);
  }
  out.push('</g>');
}

function marker(id: string, color: string): string {
  return `<marker id="${id}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0 0L10 5L0 10z" fill="${color}"/></marker>`;
}

interface LegendItem {
  sample: 'next' | 'catch' | NodeKind;
  text: string;
  width: number;
}

function legendItems(graph: FlowGraph): LegendItem[] {
  const kinds = new Set<string>();
  const collect = (g: FlowGraph) => {
    for (const node of g.nodes) {
      kinds.add(node.kind);
      node.children.forEach(collect);
    }
    for (const edge of g.edges) kinds.add(edge.kind === 'catch' ? 'catch' : 'next');
  };
  collect(graph);
  const all: [LegendItem['sample'], string][] = [
    ['next', 'Next, Choice rule'],
    ['catch', 'Catch (error names)'],
    ['task', 'Task'],
    ['choice', 'Choice'],
    ['pass', 'Pass'],
    ['wait', 'Wait'],
    ['map', 'Map / Parallel'],
    ['succeed', 'Succeed'],
    ['fail', 'Fail'],
  ];
  return all
    .filter(([sample]) => kinds.has(sample) || (sample === 'map' && kinds.has('parallel')))
    .map(([sample, text]) => ({ sample, text, width: 34 + textWidth(text, DETAIL_SIZE) + 18 }));
}

function layoutLegend(items: LegendItem[], maxWidth: number): { items: LegendItem[]; width: number }[] {
  const rows: { items: LegendItem[]; width: number }[] = [];
  for (const item of items) {
    const row = rows[rows.length - 1];
    if (row && row.width + item.width <= maxWidth) {
      row.items.push(item);
      row.width += item.width;
    } else rows.push({ items: [item], width: item.width });
  }
  return rows;
}

function emitLegend(
  out: string[],
  rows: { items: LegendItem[]; width: number }[],
  x0: number,
  y0: number,
): void {
  if (rows.length === 0) return;
  out.push('<g data-legend="true">');
  rows.forEach((row, r) => {
    let x = x0;
    const y = y0 + r * 22 + 8;
    for (const item of row.items) {
      if (item.sample === 'next' || item.sample === 'catch') {
        const isCatch = item.sample === 'catch';
        out.push(
          `<path d="M${n(x)} ${n(y)} L${n(x + 26)} ${n(y)}" stroke="${isCatch ? CATCH_COLOR : EDGE_COLOR}" stroke-width="1.4"${
            isCatch ? ' stroke-dasharray="5 4"' : ''
          } marker-end="url(#${isCatch ? 'hp-arrow-catch' : 'hp-arrow'})"/>`,
        );
      } else {
        const style = STYLES[item.sample];
        const shape = `fill="${style.fill}" stroke="${style.stroke}" stroke-width="1.3"`;
        if (item.sample === 'choice')
          out.push(
            `<polygon points="${n(x + 4)},${n(y - 7)} ${n(x + 22)},${n(y - 7)} ${n(x + 26)},${n(y)} ${n(x + 22)},${n(y + 7)} ${n(x + 4)},${n(y + 7)} ${n(x)},${n(y)}" ${shape}/>`,
          );
        else out.push(`<rect x="${n(x)}" y="${n(y - 7)}" width="26" height="14" rx="4" ${shape}/>`);
      }
      out.push(
        `<text x="${n(x + 34)}" y="${n(y + 4)}" font-size="${DETAIL_SIZE}" fill="#57606a">${escapeXml(item.text)}</text>`,
      );
      x += item.width;
    }
  });
  out.push('</g>');
}

/** A coordinate with at most one decimal, never "-0". */
function n(value: number): string {
  const rounded = Math.round(value * 10) / 10;
  return Object.is(rounded, -0) ? '0' : String(rounded);
}
