/**
 * `npm run demo:gdpr`: the GDPR erasure flow offline, end to end. Starts the application with a
 * fresh data directory, gives three users photos, lets one ask for erasure and approves it through
 * the emailed links, proves nothing of that user remains while the others are intact, and shows a
 * rejected request leaving everything in place. Exits 1 when any check fails.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseCommandLine, runCommand } from '../cli-args';

const USAGE = `Usage: npm run demo:gdpr -- [options]
  --verbose     print the runtime's and the functions' logs
  --keep-data   keep the temporary data directory and print where it is`;

async function main(): Promise<number> {
  const { values } = parseCommandLine({
    usage: USAGE,
    options: {
      verbose: { type: 'boolean', default: false },
      'keep-data': { type: 'boolean', default: false },
    },
  });
  // The runtime loads only once the command line is known good: a refusal or --help answers at once.
  const [{ startLocalApp }, { runGdprDemo }] = await Promise.all([
    import('../runtime/app'),
    import('./gdpr-scenario'),
  ]);
  const dataDir = mkdtempSync(join(tmpdir(), 'happy-path-demo-gdpr-'));
  const app = await startLocalApp({
    root: resolve(__dirname, '..', '..'),
    workflow: 'v4',
    dataDir,
    log: values.verbose ? (line) => console.log(`  | ${line}`) : () => undefined,
    ...(values.verbose ? {} : { functionEnvironment: { POWERTOOLS_LOG_LEVEL: 'SILENT' } }),
  });
  try {
    if (!app.stacks.includes('gdpr')) throw new Error('templates/gdpr.yaml is missing');
    console.log(`Happy Path GDPR erasure demo (stacks: ${app.stacks.join(', ')})\n`);
    const result = await runGdprDemo(app, dataDir, (line) => console.log(line));
    console.log(
      `\n${result.steps.filter((step) => step.ok).length} of ${result.steps.length} checks passed.`,
    );
    return result.ok ? 0 : 1;
  } finally {
    await app.close();
    if (values['keep-data']) console.log(`data kept in ${dataDir}`);
    else rmSync(dataDir, { recursive: true, force: true });
  }
}

runCommand('demo:gdpr', main);
