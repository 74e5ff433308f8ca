import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { lockDataDir } from '../../../local/runtime/data-dir-lock';

describe('lockDataDir', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'lock-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('refuses a second claim while the first holder lives, naming its pid', () => {
    const release = lockDataDir(dataDir);

    expect(() => lockDataDir(dataDir)).toThrow(
      new RegExp(`in use by another local runtime: pid ${process.pid}, started `),
    );
    release();
  });

  it('can be claimed again once released', () => {
    lockDataDir(dataDir)();

    const release = lockDataDir(dataDir);

    expect(existsSync(join(dataDir, 'runtime.lock'))).toBe(true);
    release();
    expect(existsSync(join(dataDir, 'runtime.lock'))).toBe(false);
  });

  it('takes over a lock left by a process that is gone', () => {
    const gone = spawnSync(process.execPath, ['-e', '']).pid as number;
    writeFileSync(
      join(dataDir, 'runtime.lock'),
      JSON.stringify({
        pid: gone,
        hostname: hostname(),
        startedAt: '2026-01-01T00:00:00.000Z',
        command: 'x',
      }),
    );
    const lines: string[] = [];

    const release = lockDataDir(dataDir, (line) => lines.push(line));

    expect(lines).toEqual([
      `data directory: taking over the lock of pid ${gone}, which is no longer running`,
    ]);
    release();
  });
});
