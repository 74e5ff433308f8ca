/**
 * Crash safety of the execution store: an engine process killed with SIGKILL while executions
 * run and finish leaves a store a new engine reads, resumes and finishes, whatever the instant.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { busyEngine } from './busy-engine';
import { STATE_MACHINE_ARN, waitUntil } from './helpers';

const CHILD = join(__dirname, 'busy-engine.ts');

function finishedCount(dataDir: string): number {
  const index = join(dataDir, 'executions', 'index.jsonl');
  return existsSync(index) ? readFileSync(index, 'utf8').split('\n').length - 1 : 0;
}

/** Runs the busy engine in a child until `finishedMore` more executions ended, then SIGKILLs it. */
async function killWhileBusy(dataDir: string, finishedMore: number): Promise<void> {
  const target = finishedCount(dataDir) + finishedMore;
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dataDir], {
    cwd: join(__dirname, '../../..'),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise((done) => child.once('exit', done));
  try {
    await waitUntil(() => finishedCount(dataDir) >= target, 30_000);
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
}

describe('execution store under SIGKILL', () => {
  let dataDir: string;

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'sfn-kill-'));
  });

  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('finishes every execution, with a whole history, after three kills mid-work', async () => {
    await killWhileBusy(dataDir, 15);
    await killWhileBusy(dataDir, 7);
    await killWhileBusy(dataDir, 23);

    const engine = busyEngine(dataDir);
    const resumed = engine.resume();
    const listed = engine.listExecutions({ stateMachineArn: STATE_MACHINE_ARN, maxResults: 1000 }).executions;
    const results = await Promise.all(
      listed.map((execution) => engine.waitForExecution(execution.executionArn, { timeoutMs: 20_000 })),
    );
    const histories = listed.map(
      (execution) =>
        engine.getExecutionHistory({ executionArn: execution.executionArn, maxResults: 1000 }).events,
    );
    await engine.close();

    expect(resumed).toBeGreaterThan(0);
    expect(listed.length).toBeGreaterThanOrEqual(45);
    expect(results.filter((result) => result.status !== 'SUCCEEDED')).toEqual([]);
    for (const history of histories) {
      expect(history.map((event) => event.id)).toEqual(history.map((_, index) => index + 1));
      expect(history.filter((event) => event.type === 'ExecutionSucceeded')).toHaveLength(1);
    }
  }, 120_000);
});
