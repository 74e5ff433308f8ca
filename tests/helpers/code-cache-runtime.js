/**
 * jest's runtime, with V8's code cache for the modules a suite loads. jest compiles every module of
 * every suite afresh (`vm.compileFunction` into the suite's own context, which V8's in-memory
 * compilation cache does not serve), so each suite paid again for parsing and compiling the AWS SDK,
 * zod, jose and the project's modules: a fifth of the unit suites' CPU. Here a module is compiled
 * with the code V8 produced for it in an earlier suite: kept per worker in memory and in jest's cache
 * directory (`code-cache/`), in the store the function environments use (local/runtime/code-cache.ts:
 * one entry per module path, checked against a SHA-1 of the transformed source), and written when
 * the suite that compiled it ends, so it also holds the functions the suite ran.
 * Isolation is unchanged: each suite still runs its own module instances in its own context; only
 * the compiled code is shared.
 *
 * This replaces `compile` of jest-runtime's module executor (jest 30). Should a jest update rename
 * what it relies on, it stands aside and jest compiles as before.
 */
const { join } = require('node:path');
const vm = require('node:vm');
const Runtime = require('jest-runtime').default;
// The function environments' code cache store (TypeScript, loaded with tsx's require).
const { CodeCacheStore } = require('tsx/cjs/api').require('../../local/runtime/code-cache.ts', __filename);

/** One store per cache directory, kept for every suite this worker runs (in memory too). */
const stores = new Map();

function storeFor(cacheDirectory) {
  const root = join(cacheDirectory, 'code-cache');
  if (!stores.has(root)) stores.set(root, new CodeCacheStore(root, { keepInMemory: true }));
  return stores.get(root);
}

class CodeCachingRuntime extends Runtime {
  /** Scripts this suite compiled without usable cached data, with their cache entries. */
  uncached = [];

  constructor(config, ...rest) {
    super(config, ...rest);
    const executor = this.executor;
    const usable =
      executor &&
      typeof executor.compile === 'function' &&
      typeof executor.dynamicImport === 'function' &&
      Array.isArray(executor.injectedModuleParameters) &&
      typeof executor.environment?.getVmContext === 'function';
    if (!usable) return;
    this.store = storeFor(config.cacheDirectory);
    const jestCompile = executor.compile.bind(executor);
    const parameters = executor.injectedModuleParameters.join(', ');

    executor.compile = (source, filename) => {
      const context = executor.environment.getVmContext();
      if (context == null || executor.resolution.isCoreModule(filename)) return jestCompile(source, filename);
      const { entry, data } = this.store.lookup(filename, source);
      let script;
      try {
        // Node.js's own CommonJS wrapper shape: the module's first line keeps its number.
        script = new vm.Script(`(function (${parameters}) {${source}\n})`, {
          filename,
          cachedData: data,
          importModuleDynamically: (specifier, _script, attributes, ...rest) =>
            executor.dynamicImport(specifier, filename, context, attributes, rest[0]),
        });
      } catch {
        // A syntax error: jest reports it its own way.
        return jestCompile(source, filename);
      }
      if (data === undefined || script.cachedDataRejected) this.uncached.push({ entry, script });
      return script.runInContext(context);
    };
  }

  teardown() {
    for (const { entry, script } of this.uncached.splice(0))
      this.store.keep(entry, script.createCachedData());
    return super.teardown();
  }
}

module.exports = CodeCachingRuntime;
