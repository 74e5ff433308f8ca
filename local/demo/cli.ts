/**
 * `npm run demo -- --workflow v1..v4 [--vision model|declared]`: starts the application offline (fresh data directory, free
 * ports), creates a park, a restaurant and a museum, uploads the demo photo set through real
 * upload tickets and prints, per photo, the expected and the actual outcome. Exits 1 on any
 * difference. With `--vision model` (the default once the vision engine is installed) real photos
 * are judged by the local models; with `declared` the photos declare their labels.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { choiceOption, parseCommandLine, runCommand, visionOption } from '../cli-args';
import type { WorkflowVersion } from '../runtime/app';

const USAGE = `Usage: npm run demo -- [options]
  --workflow v1|v2|v3|v4   the image workflow to run the demo photos through (default v4)
  --vision model|declared  judge real photos with the local models (needs \`npm run local:vision:install\`;
                           the default once installed) or read the labels the photos declare
  --verbose                print the runtime's and the functions' logs
  --keep-data              keep the temporary data directory and print where it is`;

async function main(): Promise<number> {
  const { values } = parseCommandLine({
    usage: USAGE,
    options: {
      workflow: { type: 'string', default: 'v4' },
      verbose: { type: 'boolean', default: false },
      'keep-data': { type: 'boolean', default: false },
      vision: { type: 'string' },
    },
  });
  // The runtime loads only once the options parse: --help answers at once.
  const [
    { startLocalApp, WORKFLOW_VERSIONS },
    { chooseVisionEngine },
    { demoPhotos, modelDemoPhotos },
    scenario,
  ] = await Promise.all([
    import('../runtime/app'),
    import('../vision/choose'),
    import('./photos'),
    import('./scenario'),
  ]);
  const { formatDemoTable, runDemo } = scenario;
  const version: WorkflowVersion = choiceOption('workflow', values.workflow, WORKFLOW_VERSIONS);
  const visionMode = visionOption(values.vision);
  const dataDir = mkdtempSync(join(tmpdir(), `happy-path-demo-${version}-`));
  const log = values.verbose ? (line: string) => console.log(`  | ${line}`) : () => undefined;
  const started = Date.now();
  const vision = await chooseVisionEngine(visionMode, (line) => console.log(line));
  const photos = vision.mode === 'model' ? await modelDemoPhotos() : await demoPhotos();
  const app = await startLocalApp({
    root: resolve(__dirname, '..', '..'),
    workflow: version,
    dataDir,
    vision: vision.engine,
    log,
    // Function logs (Powertools JSON) only with --verbose.
    ...(values.verbose ? {} : { functionEnvironment: { POWERTOOLS_LOG_LEVEL: 'SILENT' } }),
  });
  try {
    console.log(
      `Happy Path demo, image workflow ${version}, vision ${vision.mode} (stacks: ${app.stacks.join(', ')})\n`,
    );
    const rows = await runDemo({ apiUrl: app.api.url, token: app.token('demo-user'), version, photos });
    console.log(formatDemoTable(rows));
    const failed = rows.filter((row) => !row.ok).length;
    console.log(
      `\n${rows.length - failed} of ${rows.length} outcomes as expected for ${version} (${Date.now() - started} ms in all).`,
    );
    return failed === 0 ? 0 : 1;
  } finally {
    await app.close();
    if (values['keep-data']) console.log(`data kept in ${dataDir}`);
    else rmSync(dataDir, { recursive: true, force: true });
  }
}

runCommand('demo', main);
