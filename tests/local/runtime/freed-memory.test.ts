/**
 * The runtime gives glibc's free memory back to the OS (local/runtime/freed-memory.ts, through the
 * addon local/glibc-memory that `npm ci` builds). A child process fragments its heap: 64 MB of 48 KB
 * buffers, seven in eight of them freed. free() alone keeps those pages resident; the addon's call,
 * and the runtime's timer after a burst of work, give them back, and the timer does nothing at rest.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { startReturningFreedMemory } from '../../../local/runtime/freed-memory';

const ROOT = join(__dirname, '../../..');

interface Fragmented {
  allocated: number;
  freed: number;
  returned: number;
  trimsWhileBusy?: number;
  trimsWhileIdle?: number;
}

function fragment(mode: 'call' | 'runtime'): Fragmented {
  const output = execFileSync(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', join(__dirname, 'fragmented-memory.ts'), mode],
    { cwd: ROOT, encoding: 'utf8', timeout: 60_000 },
  );
  return JSON.parse(output) as Fragmented;
}

const glibc = Boolean(
  (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header
    ?.glibcVersionRuntime,
);

(glibc ? describe : describe.skip)('freed memory, on glibc', () => {
  it('is returned by the addon npm ci built: free() alone keeps the fragmented 56 MB resident, one call gives back at least 40 MB', () => {
    // Only asked whether the addon loads: stopped at once, so no timer is left in this worker.
    const returning = startReturningFreedMemory();
    returning.stop();
    if (!returning.available)
      throw new Error(
        'local/glibc-memory is not built: npm ci builds it with node-gyp (a C compiler, make, python3 and Node.js headers); see its output, or run `npm rebuild @happy-path/glibc-memory`',
      );
    const { allocated, freed, returned } = fragment('call');
    expect(allocated - freed).toBeLessThan(8);
    expect(freed - returned).toBeGreaterThan(40);
  });

  it('is returned by the runtime itself in the interval after a burst of work, and not again while it rests', () => {
    const { freed, returned, trimsWhileBusy, trimsWhileIdle } = fragment('runtime');
    expect(freed - returned).toBeGreaterThan(40);
    expect(trimsWhileBusy).toBeGreaterThanOrEqual(1);
    expect(trimsWhileIdle).toBe(0);
  });
});
