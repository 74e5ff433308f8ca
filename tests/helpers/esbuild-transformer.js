/**
 * Jest transformer: each TypeScript file (and each file of the ESM-only packages jest.config.js
 * lets through) becomes CommonJS with esbuild's transformSync, one file at a time, without type
 * checking (`npm run typecheck` does that). The runtime already bundles the functions with esbuild.
 */
const { createHash } = require('node:crypto');
const { readFileSync } = require('node:fs');
const { transformSync } = require('esbuild');

/** The compiled output changes when esbuild or this file changes: both are in every cache key. */
const transformerVersion = createHash('sha256')
  .update(require('esbuild/package.json').version)
  .update(readFileSync(__filename))
  .digest('hex');

module.exports = {
  getCacheKey(source, path, { configString }) {
    return createHash('sha256')
      .update(transformerVersion)
      .update(configString)
      .update(path)
      .update(source)
      .digest('hex');
  },

  process(source, path) {
    const { code, map } = transformSync(source, {
      loader: path.endsWith('.ts') ? 'ts' : 'js',
      format: 'cjs',
      platform: 'node',
      target: 'node20',
      sourcemap: 'external',
      sourcesContent: false,
      sourcefile: path,
      // import() becomes require(), as tsc emits it for CommonJS: jest's module registry (mocks,
      // resetModules, moduleNameMapper) then serves it.
      supported: { 'dynamic-import': false },
      // As tsc compiles them (tsconfig.json: target ES2022): class fields are defined, not assigned.
      tsconfigRaw: { compilerOptions: { useDefineForClassFields: true } },
    });
    return { code, map };
  },
};
