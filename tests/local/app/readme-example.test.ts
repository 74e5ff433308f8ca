import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LocalApp, startLocalApp } from '../../../local/runtime/app';
import { TEST_APP_CONCURRENCY } from '../../helpers/local-app';

/**
 * The README's "Try it by hand" sequence, run as written by bash against a local runtime: only the
 * API address, the data directory of the token and the photo's folder are pointed at this test's
 * own (each substitution must find its text, so a README change that breaks them fails here).
 */
const root = join(__dirname, '..', '..', '..');
const missingTools = ['bash', 'curl', 'jq'].filter((tool) => spawnSync('which', [tool]).status !== 0);

function readmeExample(): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const block = /<!-- readme-example: start -->\n```bash\n([\s\S]*?)```\n<!-- readme-example: end -->/.exec(
    readme,
  );
  if (!block?.[1]) throw new Error('README.md has no readme-example block');
  return block[1];
}

function substitute(script: string, from: string, to: string): string {
  if (!script.includes(from)) throw new Error(`the README example no longer contains ${from}`);
  return script.split(from).join(to);
}

function runBash(script: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-eo', 'pipefail', '-c', script], { cwd: root });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('the README example', () => {
  jest.setTimeout(180_000);
  if (missingTools.length > 0) {
    it(`cannot run here: ${missingTools.join(', ')} not installed`, () => {
      console.warn(`README example test skipped: install ${missingTools.join(', ')} to run it`);
    });
    return;
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'readme-example-'));
  const workDir = mkdtempSync(join(tmpdir(), 'readme-photo-'));
  let app: LocalApp;

  beforeAll(async () => {
    app = await startLocalApp({
      root,
      workflow: 'v4',
      dataDir,
      functionEnvironment: { POWERTOOLS_LOG_LEVEL: 'SILENT' },
      concurrency: TEST_APP_CONCURRENCY,
    });
  });

  afterAll(async () => {
    await app?.close();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(workDir, { recursive: true, force: true });
  });

  it('creates a place, uploads a photo with a ticket (S3 prints nothing) and ends PROCESSED with its tile', async () => {
    let script = readmeExample();
    script = substitute(script, 'API=http://localhost:3000', `API=${app.api.url}`);
    script = substitute(script, 'token -- user-alice', `token -- user-alice --data-dir ${dataDir}`);
    script = substitute(script, "toFile('photo.jpg')", `toFile('${workDir}/photo.jpg')`);
    script = substitute(script, 'file=@photo.jpg', `file=@${workDir}/photo.jpg`);

    const run = await runBash(script); // asynchronously: the runtime answers in this process

    if (run.status !== 0) throw new Error(`the README example failed (${run.status}):\n${run.stderr}`);
    const lines = run.stdout.trim().split('\n');
    expect(lines).toHaveLength(2); // the new place, then the final upload: the S3 POST prints nothing
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({ placeId: 'ChIJ-park', type: 'park' });
    expect(JSON.parse(lines[1] ?? '')).toMatchObject({
      status: 'PROCESSED',
      tileUrl: expect.stringContaining('/tiles/'),
    });
  });
});
