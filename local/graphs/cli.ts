/**
 * `npm run graphs`: draws every statemachines/*.asl.json to docs/graphs/<name>.svg.
 * `npm run graphs -- --check`: writes nothing; exits 1 listing the drawings that are missing
 * or out of date (for CI).
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { checkGraphs, orphanGraphs, writeGraphs } from './render-graphs';

const USAGE = `Usage: npm run graphs [-- --check]
  (no option)   render statemachines/*.asl.json to docs/graphs/<name>.svg
  --check       render in memory; exit 1 if a committed SVG is missing or out of date`;

function main(): number {
  const { values } = parseArgs({
    options: { check: { type: 'boolean', default: false }, help: { type: 'boolean', default: false } },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const root = resolve(__dirname, '..', '..');
  if (values.check) {
    const stale = checkGraphs(root);
    if (stale.length === 0) {
      console.log('docs/graphs: every workflow graph is current');
      return 0;
    }
    console.error('Out of date or missing (run `npm run graphs`):');
    for (const path of stale) console.error(`  ${path}`);
    return 1;
  }
  for (const graph of writeGraphs(root)) console.log(`${graph.source} -> ${graph.target}`);
  for (const orphan of orphanGraphs(root)) console.warn(`${orphan} has no state machine any more: delete it`);
  return 0;
}

try {
  process.exitCode = main();
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
}
