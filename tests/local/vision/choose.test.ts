import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeclaredLabelsVisionEngine } from '../../../local/services';
import { chooseVisionEngine, isVisionMode } from '../../../local/vision/choose';
import { isVisionEngineInstalled } from '../../../local/vision/packages';

describe('choosing the vision engine', () => {
  let emptyEngineDir: string;

  beforeEach(() => {
    emptyEngineDir = mkdtempSync(join(tmpdir(), 'vision-engine-missing-'));
  });

  afterEach(() => {
    rmSync(emptyEngineDir, { recursive: true, force: true });
  });

  it('falls back to declared labels and says how to install the engine when its packages are missing', async () => {
    const lines: string[] = [];

    const chosen = await chooseVisionEngine('model', (line) => lines.push(line), emptyEngineDir);

    expect(chosen.mode).toBe('declared');
    expect(chosen.engine).toBeInstanceOf(DeclaredLabelsVisionEngine);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('npm run local:vision:install');
  });

  it('uses declared labels by default when the engine is not installed', async () => {
    const chosen = await chooseVisionEngine(undefined, () => undefined, emptyEngineDir);

    expect(chosen.mode).toBe('declared');
  });

  it('uses declared labels when asked, without a word about the engine', async () => {
    const lines: string[] = [];

    const chosen = await chooseVisionEngine('declared', (line) => lines.push(line));

    expect(chosen.mode).toBe('declared');
    expect(lines).toEqual([]);
  });

  it('sees an engine folder without node_modules as not installed', () => {
    expect(isVisionEngineInstalled(emptyEngineDir)).toBe(false);
  });

  it('accepts only the two modes on the command line', () => {
    expect(['model', 'declared', 'rekognition', ''].map(isVisionMode)).toEqual([true, true, false, false]);
  });
});
