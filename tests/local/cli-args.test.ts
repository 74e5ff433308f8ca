import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { parseCommandLine, portOption, UsageError, visionOption } from '../../local/cli-args';

const ROOT = path.resolve(__dirname, '../..');
/** Spawning tsx loads TypeScript on a machine that may be busy: generous, never a timed assertion. */
const SPAWN_TIMEOUT_MS = 60_000;

/**
 * Runs a local tool and returns its exit code and output, whatever the code. `node --import tsx`, as
 * `npm start` runs: the same TypeScript loader as the `tsx` command, without its extra watcher process.
 */
async function runTool(script: string, args: string[]) {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', script, ...args],
      { cwd: ROOT },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('shared command-line parsing', () => {
  const line = { usage: 'Usage: tool [--port N]', options: { port: { type: 'string' as const } } };

  it('refuses an unknown option with the usage', () => {
    expect(() => parseCommandLine(line, ['--colour', 'red'])).toThrow(
      expect.objectContaining({ name: 'UsageError', message: expect.stringContaining('Usage: tool') }),
    );
  });

  it('refuses a positional argument the tool does not take', () => {
    expect(() => parseCommandLine(line, ['extra'])).toThrow(/unexpected argument: extra/);
  });

  it('returns the values it was given', () => {
    expect(parseCommandLine(line, ['--port', '3000']).values).toMatchObject({ port: '3000' });
  });

  it.each(['abc', '-1', '65536', '3000x', ''])('refuses %j as a port, naming the option', (value) => {
    expect(() => portOption('api-port', value)).toThrow(
      new UsageError(`--api-port must be a port number (0–65535), not ${value}`),
    );
  });

  it('accepts port 0 (any free port) and 65535', () => {
    expect(portOption('s3-port', '0')).toBe(0);
    expect(portOption('s3-port', '65535')).toBe(65_535);
  });

  it('refuses --vision model without the vision engine, naming the install command', () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'no-vision-engine-'));
    try {
      expect(() => visionOption('model', empty)).toThrow(/npm run local:vision:install/);
      expect(visionOption('declared', empty)).toBe('declared');
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe('local tools on the command line', () => {
  it.each([
    ['local/demo/cli.ts', 'Usage: npm run demo'],
    ['local/demo/gdpr-cli.ts', 'Usage: npm run demo:gdpr'],
    ['local/api/token-cli.ts', 'Usage: npm run token'],
    ['local/local-cli.ts', 'Usage: npm run local'],
  ])(
    '%s --help prints its usage and exits 0',
    async (script, usage) => {
      const result = await runTool(script, ['--help']);

      expect(result).toMatchObject({ code: 0, stderr: expect.not.stringContaining('    at ') });
      expect(result.stdout).toContain(usage);
    },
    SPAWN_TIMEOUT_MS,
  );

  it.each([
    ['npm run local without a command', 'local/local-cli.ts', [], 'missing command'],
    [
      'npm run local -- events with an id',
      'local/local-cli.ts',
      ['events', 'abc'],
      'events takes no argument',
    ],
    [
      'npm run local on a missing data directory',
      'local/local-cli.ts',
      ['executions', '--data-dir', '/nonexistent/happy-path'],
      'no such directory',
    ],
    [
      'npm run env-json with an option',
      'local/env-json.ts',
      ['--s3-port', '1'],
      "Unknown option '--s3-port'",
    ],
    [
      'npm run demo with an unknown workflow',
      'local/demo/cli.ts',
      ['--workflow', 'v9'],
      '--workflow must be',
    ],
    ['npm run token without a user id', 'local/api/token-cli.ts', [], 'missing user id'],
  ])(
    'refuses %s with exit code 2 and a message, no stack trace',
    async (_name, script, args, message) => {
      const result = await runTool(script, args as string[]);

      expect(result.code).toBe(2);
      expect(result.stderr).toContain(message);
      expect(result.stderr).not.toContain('    at ');
    },
    SPAWN_TIMEOUT_MS,
  );

  it(
    'npm start refuses a port that is not a number before starting anything',
    async () => {
      const dataDir = path.join(os.tmpdir(), `happy-path-never-created-${process.pid}`);

      const result = await runTool('local/cli.ts', ['--api-port', 'abc', '--data-dir', dataDir]);

      expect(result.code).toBe(1);
      expect(result.stderr).toContain('--api-port must be a port number (0–65535), not abc');
      expect(fs.existsSync(dataDir)).toBe(false);
    },
    SPAWN_TIMEOUT_MS,
  );
});
