import type { Server } from 'node:http';
import { createRequire } from 'node:module';

/**
 * Starts dynalite (the local DynamoDB) with its LevelDB iterator leak fixed.
 *
 * dynalite 4.0.0 turns every Query and Scan into a Node stream over an abstract-level iterator
 * (`createValueStream`/`createKeyStream` in dynalite/db/index.js). The stream's destroy hook
 * closes the iterator only `if (iterator.return)`, but abstract-level iterators have no
 * `return()` method (they close with `close()`), so no iterator is ever closed: each one stays
 * in the database's resources set with its last read-ahead batch and its native LevelDB
 * iterator, and memory grows with every Query or Scan.
 *
 * The fix gives abstract-level iterators the `return()` that dynalite looks for (closing the
 * iterator, as an async iterator's `return()` does), so the stream's destroy, which runs when
 * the stream ends or fails, releases it. It is applied to every copy of abstract-level that
 * dynalite's storage (level/classic-level on disk, memory-level in memory) loads.
 */

/** The packages through which dynalite loads abstract-level, one resolution path each. */
const STORAGE_PACKAGES = [['level', 'classic-level'], ['memory-level']];

/**
 * LevelDB's memory for dynalite's on-disk database, instead of classic-level's defaults (an 8 MB
 * block cache and a 4 MB write buffer): the app's tables hold a few MB, the OS caches the table
 * files anyway, and each MB here is native memory that fills as the tables grow and is never given
 * back. A smaller write buffer only means smaller, more frequent flushes to level-0 files.
 */
export const LEVELDB_MEMORY = { cacheSize: 1024 * 1024, writeBufferSize: 1024 * 1024 };

interface ClosableIterator {
  close(): Promise<void>;
  return?: () => Promise<{ done: true; value: undefined }>;
}

const patched = new WeakSet<object>();

function closeOnReturn(prototype: ClosableIterator): void {
  if (patched.has(prototype) || typeof prototype.return === 'function') return;
  Object.defineProperty(prototype, 'return', {
    configurable: true,
    writable: true,
    value: async function closeIterator(this: ClosableIterator) {
      await this.close();
      return { done: true as const, value: undefined };
    },
  });
  patched.add(prototype);
}

interface OpenableLevel {
  _open(options: Record<string, unknown>): Promise<void>;
}

/** Opens dynalite's classic-level databases with LEVELDB_MEMORY unless told otherwise; idempotent. */
export function boundDynaliteLevelDbMemory(): void {
  const fromLevel = createRequire(createRequire(require.resolve('dynalite')).resolve('level'));
  const { ClassicLevel } = fromLevel('classic-level') as { ClassicLevel: { prototype: OpenableLevel } };
  const prototype = ClassicLevel.prototype;
  if (patched.has(prototype)) return;
  const open = prototype._open;
  prototype._open = function openWithBoundedMemory(this: OpenableLevel, options) {
    return open.call(this, { ...LEVELDB_MEMORY, ...options });
  };
  patched.add(prototype);
}

/** Makes dynalite's streams close their LevelDB iterators; idempotent. */
export function fixDynaliteIteratorLeak(): void {
  const fromDynalite = createRequire(require.resolve('dynalite'));
  for (const path of STORAGE_PACKAGES) {
    let from = fromDynalite;
    for (const name of path) from = createRequire(from.resolve(name));
    const abstractLevel = from('abstract-level') as {
      AbstractIterator: { prototype: ClosableIterator };
    };
    // Key, value and entry iterators share one base class, which defines close().
    closeOnReturn(Object.getPrototypeOf(abstractLevel.AbstractIterator.prototype) as ClosableIterator);
  }
}

export interface DynaliteOptions {
  /** LevelDB directory; in memory when omitted. */
  path?: string;
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
}

/**
 * A dynalite HTTP server (not yet listening) whose Queries and Scans release their iterators and
 * whose LevelDB keeps LEVELDB_MEMORY of caches.
 */
export function createDynalite(options: DynaliteOptions): Server {
  fixDynaliteIteratorLeak();
  boundDynaliteLevelDbMemory();
  return (require('dynalite') as (options: DynaliteOptions) => Server)(options);
}
