import { chromiumMissing } from '../../../local/console/browser';
import { photo } from '../../../local/demo/photos';
import { declareLabels } from '../../../local/services';
import { type ConsoleSession, openConsole, signInAndCreatePlace } from './console-app';

const missing = chromiumMissing();

describe('console execution page in Chromium', () => {
  jest.setTimeout(90_000);
  if (missing) {
    it(`cannot run here: ${missing}`, () => {
      console.warn(`console browser tests skipped: ${missing}`);
    });
    return;
  }
  let session: ConsoleSession;

  beforeAll(async () => {
    session = await openConsole('execution');
  });

  afterAll(async () => {
    await session?.close();
  });

  it('highlights the path a v4 restaurant photo with people took and marks the state that rejected it', async () => {
    const { page, consoleUrl } = session;
    await signInAndCreatePlace(page, consoleUrl, {
      id: 'browser-bistro',
      name: 'Browser Bistro',
      type: 'restaurant',
    });
    const people = await declareLabels(await photo(1600, 1200), {
      labels: [{ name: 'Person', confidence: 98.7, instances: 2 }],
    });
    await page
      .locator('#photo-files')
      .setInputFiles({ name: 'people.jpg', mimeType: 'image/jpeg', buffer: people });
    const row = page.locator('.upload', { hasText: 'people.jpg' });
    await row.getByText('✗ REJECTED').waitFor();
    const uploadId = await row.getAttribute('data-upload-id');

    await page.getByRole('link', { name: 'Executions' }).click();
    const execution = page.getByRole('row', { name: new RegExp(String(uploadId)) });
    await execution.getByText('REJECTED PEOPLE_NOT_ALLOWED').waitFor();
    await execution.getByRole('link').click();
    await page.locator('.graph g.hp-rejecting').waitFor();

    const entered = await page
      .locator('.graph g.hp-entered')
      .evaluateAll((groups) => groups.map((group) => group.getAttribute('data-state')));
    const path = await page.locator('.path li button').allTextContents();
    expect(new Set(entered)).toEqual(new Set(path));
    expect(path).toEqual(expect.arrayContaining(['Get place type', 'Detect people', 'Record rejection']));
    expect(path).not.toContain('Moderate');
    await expect(page.locator('.graph g.hp-rejecting').getAttribute('data-state')).resolves.toBe(
      'Detect people',
    );
    await expect(page.locator('.graph g.hp-rejecting .hp-marker').textContent()).resolves.toMatch(
      /^⊘ rejected here/,
    );

    await page.locator('.graph g.hp-rejecting').focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: /^Detect people/ }).waitFor();
    await expect(page.locator('.detail pre').nth(1).textContent()).resolves.toContain('PEOPLE_NOT_ALLOWED');
  });
});
