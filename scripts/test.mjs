/**
 * `npm test`: lint, typecheck, validate and jest, all started at once so the two cores stay busy
 * (the first three are mostly single-threaded; jest runs two workers). jest's output streams as it
 * runs; each other step's output is printed whole when it ends. Exits 1 when any step fails, after
 * every step has ended, and names the failed steps last.
 */
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** Runs `npm run <script> -- <args>`; resolves with its status (and prints its output if not streamed). */
function run(script, { stream, args = [] }) {
  const started = performance.now();
  const child = spawn(npm, ['run', '--silent', script, '--', ...args], {
    stdio: stream ? 'inherit' : ['ignore', 'pipe', 'pipe'],
  });
  const output = [];
  child.stdout?.on('data', (chunk) => output.push(chunk));
  child.stderr?.on('data', (chunk) => output.push(chunk));
  return new Promise((resolve) => {
    child.on('error', (error) => output.push(Buffer.from(`${error.message}\n`)));
    child.on('close', (code, signal) => {
      const seconds = ((performance.now() - started) / 1000).toFixed(0);
      const ok = code === 0;
      const status = ok ? 'ok' : `FAILED (${signal ?? `exit ${code}`})`;
      if (!stream) {
        process.stdout.write(`\n── npm run ${script}: ${status}, ${seconds} s ──\n`);
        process.stdout.write(Buffer.concat(output));
      }
      resolve({ script, ok, status, seconds });
    });
  });
}

const results = await Promise.all([
  run('lint', { stream: false }),
  run('typecheck', { stream: false }),
  run('validate', { stream: false }),
  // `npm test -- <jest options or paths>` passes them on to jest, as before.
  run('jest', { stream: true, args: process.argv.slice(2) }),
]);

process.stdout.write(
  `\nnpm test: ${results.map((r) => `${r.script} ${r.status} (${r.seconds} s)`).join(', ')}\n`,
);
const failed = results.filter((r) => !r.ok).map((r) => r.script);
if (failed.length > 0) {
  process.stderr.write(`npm test failed: ${failed.join(', ')}\n`);
  process.exitCode = 1;
}
