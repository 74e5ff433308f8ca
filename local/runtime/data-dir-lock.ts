import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

/** Another live local runtime uses the data directory. */
export class DataDirInUseError extends Error {
  override readonly name = 'DataDirInUseError';
}

interface LockOwner {
  pid: number;
  hostname: string;
  startedAt: string;
  command: string;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as { code?: string }).code === 'EPERM';
  }
}

function readOwner(file: string): LockOwner | undefined {
  try {
    const owner = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockOwner>;
    return typeof owner.pid === 'number' ? (owner as LockOwner) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Claims `dataDir` for this process with a lock file (`runtime.lock`: pid, host, start time,
 * command line). A lock held by a live process refuses with a message naming it; a lock left by a
 * process that is gone (a crash, a kill) is taken over. Returns the release function.
 */
export function lockDataDir(dataDir: string, log: (line: string) => void = () => undefined): () => void {
  const file = join(dataDir, 'runtime.lock');
  const me: LockOwner = {
    pid: process.pid,
    hostname: hostname(),
    startedAt: new Date().toISOString(),
    command: process.argv.slice(1).join(' '),
  };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const descriptor = openSync(file, 'wx');
      writeSync(descriptor, JSON.stringify(me));
      closeSync(descriptor);
      return () => {
        if (readOwner(file)?.pid === me.pid) unlinkSync(file);
      };
    } catch (error) {
      if ((error as { code?: string }).code !== 'EEXIST') throw error;
    }
    const owner = readOwner(file);
    if (owner && owner.hostname === me.hostname && isAlive(owner.pid)) {
      throw new DataDirInUseError(
        `the data directory ${dataDir} is in use by another local runtime: pid ${owner.pid}, started ${owner.startedAt} (${owner.command}). Stop that one first (Ctrl-C in its terminal, or kill ${owner.pid}), or give this one another --data-dir.`,
      );
    }
    if (owner && owner.hostname !== me.hostname) {
      throw new DataDirInUseError(
        `the data directory ${dataDir} is locked by pid ${owner.pid} on host ${owner.hostname}; if that runtime is gone, delete ${file}`,
      );
    }
    log(
      owner
        ? `data directory: taking over the lock of pid ${owner.pid}, which is no longer running`
        : 'data directory: replacing an unreadable lock file',
    );
    try {
      unlinkSync(file);
    } catch (error) {
      if ((error as { code?: string }).code !== 'ENOENT') throw error;
    }
  }
  throw new DataDirInUseError(
    `could not lock the data directory ${dataDir}: another runtime keeps claiming it`,
  );
}
