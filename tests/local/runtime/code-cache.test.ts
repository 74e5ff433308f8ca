import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';

/**
 * The code cache runs where function environments run it: in a plain `node` process that enables it,
 * requires a module, saves, and prints the module's exports and the cache's usage.
 */
describe('V8 code cache shared by function environments', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'code-cache-'));
  const driver = join(scratch, 'driver.js');
  let cacheDir: string;
  let modules: string;

  beforeAll(() => {
    buildSync({
      stdin: {
        contents: `
          import { enableCodeCache } from './code-cache';
          const [cacheDir, modulePath] = process.argv.slice(2);
          const cache = enableCodeCache(cacheDir);
          let exported;
          try {
            exported = require(modulePath);
          } catch (error) {
            exported = { stack: error.stack };
          }
          cache.save();
          console.log(JSON.stringify({ exported, ...cache.usage() }));`,
        resolveDir: join(__dirname, '..', '..', '..', 'local', 'runtime'),
        loader: 'ts',
      },
      bundle: true,
      platform: 'node',
      format: 'cjs',
      outfile: driver,
      logLevel: 'silent',
    });
  });

  beforeEach(() => {
    const run = mkdtempSync(join(scratch, 'run-'));
    cacheDir = join(run, 'cache');
    modules = join(run, 'modules');
    mkdirSync(modules);
  });

  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  const load = (file: string, nodeOptions: string[] = []) =>
    JSON.parse(
      execFileSync(process.execPath, [...nodeOptions, driver, cacheDir, join(modules, file)], {
        encoding: 'utf8',
      }),
    ) as {
      exported: unknown;
      fromCache: number;
      compiled: number;
    };

  it('serves a second environment the code the first compiled, with the same exports', () => {
    writeFileSync(join(modules, 'answer.js'), 'exports.answer = [1, 2, 3].map((n) => n * 14)[2];');

    const first = load('answer.js');
    const second = load('answer.js');

    expect(first).toEqual({ exported: { answer: 42 }, fromCache: 0, compiled: 1 });
    expect(second).toEqual({ exported: { answer: 42 }, fromCache: 1, compiled: 0 });
  });

  it('keeps apart the caches of environments with different heap limits, as functions of different memory sizes have', () => {
    writeFileSync(join(modules, 'sized.js'), 'exports.sized = true;');

    const runs = ['100', '200', '100', '200'].map((megabytes) =>
      load('sized.js', [`--max-old-space-size=${megabytes}`]),
    );

    expect(runs.map(({ fromCache, compiled }) => ({ fromCache, compiled }))).toEqual([
      { fromCache: 0, compiled: 1 },
      { fromCache: 0, compiled: 1 },
      { fromCache: 1, compiled: 0 },
      { fromCache: 1, compiled: 0 },
    ]);
  });

  it('compiles a changed module afresh, even at the same length, and never serves the old code', () => {
    writeFileSync(join(modules, 'word.js'), "module.exports = 'old';");
    load('word.js');
    writeFileSync(join(modules, 'word.js'), "module.exports = 'new';");

    const changed = load('word.js');
    const again = load('word.js');

    expect(changed).toEqual({ exported: 'new', fromCache: 0, compiled: 1 });
    expect(again).toEqual({ exported: 'new', fromCache: 1, compiled: 0 });
  });

  it("gives a cached module Node.js's require, require.resolve, module, __filename and __dirname", () => {
    writeFileSync(join(modules, 'helper.js'), 'module.exports = { twice: (n) => 2 * n };');
    writeFileSync(
      join(modules, 'main.js'),
      [
        "const { twice } = require('./helper');",
        'module.exports = {',
        '  value: twice(21),',
        "  resolved: require.resolve('./helper') === __dirname + '/helper.js',",
        "  file: __filename.endsWith('/main.js'),",
        '  cached: require.cache[__filename] === module,',
        "  paths: Array.isArray(require.resolve.paths('x')),",
        '};',
      ].join('\n'),
    );
    load('main.js');

    const second = load('main.js');

    expect(second).toEqual({
      exported: { value: 42, resolved: true, file: true, cached: true, paths: true },
      fromCache: 2,
      compiled: 0,
    });
  });

  it('leaves a module with a source map to Node.js when traces are source-mapped, so they stay mapped', () => {
    writeFileSync(
      join(modules, 'mapped.js'),
      `throw new Error('mapped');\n//# sourceMappingURL=mapped.js.map\n`,
    );
    writeFileSync(
      join(modules, 'mapped.js.map'),
      JSON.stringify({ version: 3, sources: ['original.ts'], names: [], mappings: 'AAAA' }),
    );

    const mapped = load('mapped.js', ['--enable-source-maps']);
    const unmapped = load('mapped.js');

    expect(mapped).toMatchObject({ fromCache: 0, compiled: 0 });
    expect((mapped.exported as { stack: string }).stack).toContain('original.ts:1:1');
    expect(unmapped).toMatchObject({ fromCache: 0, compiled: 1 });
  });
});
