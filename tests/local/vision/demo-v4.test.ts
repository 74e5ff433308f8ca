import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DemoPhoto, modelDemoPhotos } from '../../../local/demo/photos';
import { runDemo } from '../../../local/demo/scenario';
import { type LocalApp, startLocalApp } from '../../../local/runtime/app';
import { ModelVisionEngine } from '../../../local/vision/model-engine';
import { isVisionEngineInstalled } from '../../../local/vision/packages';
import { TEST_APP_CONCURRENCY } from '../../helpers/local-app';
import { recordAuthorizations, refusals, undeclaredActions } from '../iam/recorded-authorizations';

/**
 * `npm run demo -- --workflow v4 --vision model`, end to end offline: the real people photo is
 * rejected at the restaurant, the real flower and the real group at the park are accepted, every
 * generated photo ends as with declared labels. Skips itself (the one allowed skip) without
 * local/vision-engine installed; CI installs it.
 */
const installed = isVisionEngineInstalled();
const maybe = installed ? describe : describe.skip;
if (!installed) {
  console.warn('SKIPPED: demo v4 with the model engine — run npm run local:vision:install');
}

maybe(`demo v4 with the model vision engine${installed ? '' : ' (SKIPPED: engine not installed)'}`, () => {
  jest.setTimeout(120_000);
  const dataDir = mkdtempSync(join(tmpdir(), 'e2e-vision-v4-'));
  let app: LocalApp;
  let vision: ModelVisionEngine;
  let photos: DemoPhoto[];
  const authorizations = recordAuthorizations();

  beforeAll(async () => {
    photos = await modelDemoPhotos();
    vision = await ModelVisionEngine.load();
    app = await startLocalApp({
      root: join(__dirname, '..', '..', '..'),
      workflow: 'v4',
      dataDir,
      vision,
      functionEnvironment: { POWERTOOLS_LOG_LEVEL: 'SILENT' },
      onAuthorization: authorizations.onAuthorization,
      concurrency: TEST_APP_CONCURRENCY,
    });
  });

  afterAll(async () => {
    await app?.close();
    await vision?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('rejects the real people photo at the restaurant and accepts the real photos without people there', async () => {
    const rows = await runDemo({
      apiUrl: app.api.url,
      token: app.token('user-vision'),
      version: 'v4',
      photos,
    });

    const outcomes = rows.map((row) => [row.file, row.actual.status, row.actual.reason]);
    expect(outcomes).toEqual(rows.map((row) => [row.file, row.expected.status, row.expected.reason]));
    expect(outcomes).toEqual(
      expect.arrayContaining([
        ['real-people.jpg', 'REJECTED', 'PEOPLE_NOT_ALLOWED'],
        ['real-flower.jpg', 'PROCESSED', undefined],
        ['real-group.jpg', 'PROCESSED', undefined],
      ]),
    );
  });

  it("makes only calls the templates' roles allow, each declared in the static call list of tests/local/iam", () => {
    expect(authorizations.records.length).toBeGreaterThan(0);
    expect(refusals(authorizations.records)).toEqual([]);
    expect(undeclaredActions(authorizations.records, app.runtime.stacks)).toEqual([]);
  });
});
