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
  entry: CacheEntry;
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

/** Where a module's cached code lives, and the SHA-1 of its path and source that the entry must match. */
export interface CacheEntry {
  file: string;
  digest: Buffer;
}

/**
 * The code cache on disk (also the one jest's runtime keeps, tests/helpers/code-cache-runtime.js):
 * one folder per set of Node.js and V8 flags, one file per module path, holding the digest of the
 * source it was made from, then V8's data. With `keepInMemory`, what was read or written is also
 * kept in this process for the next lookups (a function environment loads each module once and
 * does not need it).
 */
export class CodeCacheStore {
  private readonly directory: string;
  private readonly inMemory?: Map<string, Buffer>;

  constructor(cacheRoot: string, options: { keepInMemory?: boolean } = {}) {
    this.directory = folderForFlags(cacheRoot);
    if (options.keepInMemory) this.inMemory = new Map();
    try {
      mkdirSync(this.directory, { recursive: true });
    } catch {
      // Nothing is written then: every module compiles as without a cache (or from memory).
    }
  }

  /** The entry for a module, and V8's data for it when the cache holds this very source. */
  lookup(filename: string, source: string): { entry: CacheEntry; data: Buffer | undefined } {
    const entry = {
      file: join(this.directory, createHash('sha1').update(filename).digest('hex')),
      digest: createHash('sha1').update(filename).update('\0').update(source).digest(),
    };
    let stored = this.inMemory?.get(entry.file);
    if (!stored) {
      try {
        stored = readFileSync(entry.file);
        this.inMemory?.set(entry.file, stored);
      } catch {
        // Not cached yet.
      }
    }
    const matches = stored?.subarray(0, DIGEST_BYTES).equals(entry.digest) === true;
    return { entry, data: matches ? stored?.subarray(DIGEST_BYTES) : undefined };
  }

  /** Keeps V8's data for an entry, written aside and renamed into place. */
  keep(entry: CacheEntry, data: Buffer): void {
    const stored = Buffer.concat([entry.digest, data]);
    this.inMemory?.set(entry.file, stored);
    const scratch = `${entry.file}.${process.pid}`;
    try {
      writeFileSync(scratch, stored);
      renameSync(scratch, entry.file);
    } catch {
      // A cache that cannot be written only costs the next compile its time.
    }
  }
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
  const store = new CodeCacheStore(cacheRoot);
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
    const { entry, data: cachedData } = store.lookup(filename, content);
    const script = new vm.Script(statics.wrap(content), {
      filename,
      cachedData,
      importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
    });
    if (cachedData === undefined || script.cachedDataRejected) {
      usage.compiled += 1;
      unsaved.push({ entry, script });
    } else usage.fromCache += 1;
    const wrapper = script.runInThisContext({ displayErrors: true }) as (...args: unknown[]) => unknown;
    return wrapper.call(this.exports, this.exports, requireFor(this), this, filename, dirname(filename));
  };

  return {
    save() {
      for (const { entry, script } of unsaved.splice(0)) store.keep(entry, script.createCachedData());
    },
    usage: () => ({ ...usage }),
  };
}
