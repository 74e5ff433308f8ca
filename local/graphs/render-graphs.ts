/**
 * Workflow graphs for the README: every statemachines/<name>.asl.json drawn to
 * docs/graphs/<name>.svg, and a check that the committed drawings match their ASL files.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { flowFromDefinition, GraphDefinitionError } from './flow';
import { renderFlowSvg } from './svg';

export { GraphDefinitionError } from './flow';

export const STATE_MACHINE_DIR = 'statemachines';
export const GRAPH_DIR = join('docs', 'graphs');
const SUFFIX = '.asl.json';

export interface RenderOptions {
  /** Drawn in the top left corner (the CLI uses the file name, e.g. "v4"). */
  title?: string;
}

/** The SVG drawing of one ASL definition (JSON text). Same input, same bytes. */
export function renderStateMachineSvg(definitionJson: string, options: RenderOptions = {}): string {
  let definition: unknown;
  try {
    definition = JSON.parse(definitionJson);
  } catch (error) {
    throw new GraphDefinitionError(`the definition is not JSON: ${(error as Error).message}`);
  }
  return renderFlowSvg(flowFromDefinition(definition), options.title);
}

export interface GraphFile {
  /** "v4" for statemachines/v4.asl.json. */
  name: string;
  /** Relative to the project root, with forward slashes: statemachines/v4.asl.json. */
  source: string;
  /** Relative to the project root, with forward slashes: docs/graphs/v4.svg. */
  target: string;
  svg: string;
}

/** Renders every statemachines/*.asl.json under `root`, in file name order, without writing anything. */
export function renderGraphs(root: string): GraphFile[] {
  const dir = join(root, STATE_MACHINE_DIR);
  const files = existsSync(dir)
    ? readdirSync(dir)
        .filter((file) => file.endsWith(SUFFIX))
        .sort()
    : [];
  return files.map((file) => {
    const name = file.slice(0, -SUFFIX.length);
    const source = `${STATE_MACHINE_DIR}/${file}`;
    let svg: string;
    try {
      svg = renderStateMachineSvg(readFileSync(join(dir, file), 'utf8'), { title: name });
    } catch (error) {
      if (error instanceof GraphDefinitionError)
        throw new GraphDefinitionError(`${source}: ${error.message}`);
      throw error;
    }
    return { name, source, target: `docs/graphs/${name}.svg`, svg };
  });
}

/** Writes docs/graphs/<name>.svg for every state machine; returns what it rendered. */
export function writeGraphs(root: string): GraphFile[] {
  const graphs = renderGraphs(root);
  mkdirSync(join(root, GRAPH_DIR), { recursive: true });
  for (const graph of graphs) writeFileSync(join(root, graph.target), graph.svg);
  return graphs;
}

/**
 * The drawings that are missing or differ from a fresh render of their ASL file, and drawings
 * whose ASL file is gone (relative paths, e.g. "docs/graphs/v4.svg"); empty when all are current.
 */
export function checkGraphs(root: string): string[] {
  const graphs = renderGraphs(root);
  const stale = graphs
    .filter((graph) => {
      const path = join(root, graph.target);
      return !existsSync(path) || readFileSync(path, 'utf8').replace(/\r\n/g, '\n') !== graph.svg;
    })
    .map((graph) => graph.target);
  return [...stale, ...orphanGraphs(root, graphs)];
}

/** SVGs in docs/graphs that no ASL file produces any more. */
export function orphanGraphs(root: string, graphs: GraphFile[] = renderGraphs(root)): string[] {
  const dir = join(root, GRAPH_DIR);
  if (!existsSync(dir)) return [];
  const produced = new Set(graphs.map((graph) => graph.target));
  return readdirSync(dir)
    .filter((file) => file.endsWith('.svg'))
    .sort()
    .map((file) => `docs/graphs/${file}`)
    .filter((target) => !produced.has(target));
}
