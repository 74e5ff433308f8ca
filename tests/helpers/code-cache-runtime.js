/**
 * jest's runtime, with V8's code cache for the modules a suite loads. jest compiles every module of
 * every suite afresh (`vm.compileFunction` into the suite's own context, which V8's in-memory
 * compilation cache does not serve), so each suite paid again for parsing and compiling the AWS SDK,
 * zod, jose and the project's modules: a fifth of the unit suites' CPU. Here a module is compiled
 * with the code V8 produced for it in an earlier suite: kept per worker in memory and in jest's cache
 * directory (`code-cache/`), keyed by the module's path and a SHA-1 of its transformed source, and
 * written when the suite that compiled it ends, so it also holds the functions the suite ran.
 * Isolation is unchanged: each suite still runs its own module instances in its own context; only
 * the compiled code is shared.
 *
 * This replaces `compile` of jest-runtime's module executor (jest 30). Should a jest update rename
 * what it relies on, it stands aside and jest compiles as before.
 */
const { createHash } = require('node:crypto');
const { mkdirSync, readFileSync, renameSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const vm = require('node:vm');
const Runtime = require('jest-runtime').default;

/** Cache key → V8's data, for every suite this worker runs. */
const inMemory = new Map();

/** V8 refuses data made by another Node.js or under other flags: one folder each. */
const flagsFolder = createHash('sha1')
  .update([process.version, process.arch, ...process.execArgv].join('\0'))
  .digest('hex')
  .slice(0, 16);

function cachedData(directory, key) {
  const known = inMemory.get(key);
  if (known) return known;
  try {
    const stored = readFileSync(join(directory, key));
    inMemory.set(key, stored);
    return stored;
  } catch {
    return undefined;
  }
}

function keep(directory, key, data) {
  inMemory.set(key, data);
  const file = join(directory, key);
  try {
    writeFileSync(`${file}.${process.pid}`, data);
    renameSync(`${file}.${process.pid}`, file);
  } catch {
    // Not kept on disk: the next run compiles this module again.
  }
}

class CodeCachingRuntime extends Runtime {
  /** Scripts this suite compiled without usable cached data, with their keys. */
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
    this.directory = join(config.cacheDirectory, 'code-cache', flagsFolder);
    try {
      mkdirSync(this.directory, { recursive: true });
    } catch {
      // No cache directory to write to: the worker's memory still serves the suites after the first.
    }
    const jestCompile = executor.compile.bind(executor);
    const parameters = executor.injectedModuleParameters.join(', ');

    executor.compile = (source, filename) => {
      const context = executor.environment.getVmContext();
      if (context == null || executor.resolution.isCoreModule(filename)) return jestCompile(source, filename);
      const key = createHash('sha1').update(filename).update('\0').update(source).digest('hex');
      const data = cachedData(this.directory, key);
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
      if (data === undefined || script.cachedDataRejected) this.uncached.push({ key, script });
      return script.runInContext(context);
    };
  }

  teardown() {
    for (const { key, script } of this.uncached.splice(0))
      keep(this.directory, key, script.createCachedData());
    return super.teardown();
  }
}

module.exports = CodeCachingRuntime;
