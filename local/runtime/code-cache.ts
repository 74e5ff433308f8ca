/**
 * V8's code cache for the CommonJS modules a function environment loads (its bundle, the layers'
 * packages), kept on disk and shared by every environment: a cold start then skips parsing and
 * compiling what an earlier environment already compiled. Node.js 22 has this built in
 * (`module.enableCompileCache`); Node.js 20, which runs the local runtime, does not.
 *
 * Modules with a source map are left to Node.js when stack traces are source-mapped
 * (--enable-source-maps): it maps traces only through the modules it compiles itself.
 *
 * One folder per set of Node.js and V8 flags; in it, one file per module path: the SHA-1 of the
 * module's path and source, then V8's data. A changed source is compiled afresh and its file
 * rewritten, so the cache never serves stale code and holds one entry per module and flag set. An
 * environment writes what it compiled after an invocation, so that the entries also hold the
 * functions the invocation compiled.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import { dirname, join } from 'node:path';
import vm from 'node:vm';

const DIGEST_BYTES = 20;
/** A `//# sourceMappingURL=` comment, looked for in the last characters of a module. */
const SOURCE_MAP_COMMENT = /\/\/[#@] sourceMappingURL=\S+\s*$/;
const SOURCE_MAP_TAIL = 4096;

/** Whether this process runs with --enable-source-maps (in its arguments or NODE_OPTIONS). */
const mapsStackTraces = () => (process as { sourceMapsEnabled?: boolean }).sourceMapsEnabled === true;

interface ModuleInternals {
  _compile(content: string, filename: string): unknown;
  require(id: string): unknown;
  exports: unknown;
}

interface ModuleStatics {
  wrap(content: string): string;
  _resolveFilename(request: string, parent: unknown, isMain: boolean, options?: unknown): string;
  _resolveLookupPaths(request: string, parent: unknown): string[] | null;
  _extensions: unknown;
  _cache: unknown;
}

interface Compiled {
  file: string;
  digest: Buffer;
  script: vm.Script;
}

/** The `require` Node.js gives a module (as its own loader builds it). */
function requireFor(module: ModuleInternals): NodeJS.Require {
  const statics = Module as unknown as ModuleStatics;
  const require = ((id: string) => module.require(id)) as NodeJS.Require;
  const resolve = ((request: string, options?: unknown) =>
    statics._resolveFilename(request, module, false, options)) as NodeJS.RequireResolve;
  resolve.paths = (request: string) => statics._resolveLookupPaths(request, module);
  require.resolve = resolve;
  require.main = process.mainModule;
  require.extensions = statics._extensions as NodeJS.RequireExtensions;
  require.cache = statics._cache as NodeJS.Dict<NodeJS.Module>;
  return require;
}

/**
 * The cache's folder for this process's Node.js and V8 flags: V8 refuses data made under other
 * flags (`--max-old-space-size` differs with each function's MemorySize), so functions of different
 * memory sizes would otherwise overwrite each other's entries at every cold start.
 */
function folderForFlags(directory: string): string {
  const flags = [process.version, process.arch, ...process.execArgv, process.env.NODE_OPTIONS ?? ''];
  return join(directory, createHash('sha1').update(flags.join('\0')).digest('hex').slice(0, 16));
}

/**
 * Compiles every CommonJS module from here on with the code cache in `cacheRoot`. Returns `save`,
 * which writes the cache of the modules compiled without a usable one (call it once the code has run).
 */
export function enableCodeCache(cacheRoot: string): {
  save(): void;
  /** Modules compiled from the cache, and without it, so far. */
  usage(): { fromCache: number; compiled: number };
} {
  const directory = folderForFlags(cacheRoot);
  mkdirSync(directory, { recursive: true });
  const statics = Module as unknown as ModuleStatics;
  const prototype = Module.prototype as unknown as ModuleInternals;
  const unsaved: Compiled[] = [];
  const usage = { fromCache: 0, compiled: 0 };

  const compile = prototype._compile;
  prototype._compile = function compileWithCache(this: ModuleInternals, content: string, filename: string) {
    // Node.js maps stack traces only through the source maps of modules it compiled itself.
    if (mapsStackTraces() && SOURCE_MAP_COMMENT.test(content.slice(-SOURCE_MAP_TAIL))) {
      return compile.call(this, content, filename);
    }
    const file = join(directory, createHash('sha1').update(filename).digest('hex'));
    const digest = createHash('sha1').update(filename).update('\0').update(content).digest();
    let cachedData: Buffer | undefined;
    try {
      const stored = readFileSync(file);
      if (stored.subarray(0, DIGEST_BYTES).equals(digest)) cachedData = stored.subarray(DIGEST_BYTES);
    } catch {
      // Not cached yet.
    }
    const script = new vm.Script(statics.wrap(content), {
      filename,
      cachedData,
      importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
    });
    if (cachedData === undefined || script.cachedDataRejected) {
      usage.compiled += 1;
      unsaved.push({ file, digest, script });
    } else usage.fromCache += 1;
    const wrapper = script.runInThisContext({ displayErrors: true }) as (...args: unknown[]) => unknown;
    return wrapper.call(this.exports, this.exports, requireFor(this), this, filename, dirname(filename));
  };

  return {
    save() {
      for (const { file, digest, script } of unsaved.splice(0)) {
        const scratch = `${file}.${process.pid}`;
        try {
          writeFileSync(scratch, Buffer.concat([digest, script.createCachedData()]));
          renameSync(scratch, file);
        } catch {
          // A cache that cannot be written only costs the next cold start its compile time.
        }
      }
    },
    usage: () => ({ ...usage }),
  };
}
