#!/usr/bin/env node
// Writes a layer's package.json with the exact versions the project pins in its root package.json,
// so the layer and the code tested locally always use the same packages.
// Usage: node layers/write-manifest.mjs <layer-name> <package-name-pattern> <output-dir>
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const [layerName, pattern, outputDir] = process.argv.slice(2);
if (!layerName || !pattern || !outputDir) {
  console.error('usage: write-manifest.mjs <layer-name> <package-name-pattern> <output-dir>');
  process.exit(2);
}
const root = JSON.parse(
  readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'package.json'), 'utf8'),
);
const matcher = new RegExp(pattern);
const dependencies = Object.fromEntries(
  Object.entries(root.dependencies ?? {}).filter(([name]) => matcher.test(name)),
);
if (Object.keys(dependencies).length === 0) {
  console.error(`no dependency of package.json matches ${pattern}`);
  process.exit(1);
}
mkdirSync(outputDir, { recursive: true });
const manifest = { name: `happy-path-${layerName}-layer`, private: true, dependencies };
writeFileSync(join(outputDir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
console.log(
  `${layerName} layer: ${Object.entries(dependencies)
    .map(([n, v]) => `${n}@${v}`)
    .join(' ')}`,
);
