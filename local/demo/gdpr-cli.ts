/**
 * `npm run demo:gdpr`: the GDPR erasure flow offline, end to end. Starts the application with a
 * fresh data directory, gives three users photos, lets one ask for erasure and approves it through
 * the emailed links, proves nothing of that user remains while the others are intact, and shows a
 * rejected request leaving everything in place. Exits 1 when any check fails.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startLocalApp } from '../runtime/app';
import { runGdprDemo } from './gdpr-scenario';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      verbose: { type: 'boolean', default: false },
      'keep-data': { type: 'boolean', default: false },
    },
  });
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

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(`demo failed: ${error.stack ?? error.message}`);
    process.exit(1);
  },
);
