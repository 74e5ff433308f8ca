/**
 * The console's pages in Chromium, against one v4 app and one browser for the whole file: each page
 * gets a browser context of its own (its own signed-in user and storage), so the pages share only
 * the app's data, where every user and place has its own id.
 */
import type { Page } from 'playwright-core';
import { chromiumMissing, dropFiles } from '../../../local/console/browser';
import {
  approveErasureFromEmail,
  type ConsoleSession,
  createPlace,
  openConsoleSession,
  signIn,
} from '../../../local/console/session';
import { photo } from '../../../local/demo/photos';
import { declareLabels } from '../../../local/services';
import { TEST_APP_CONCURRENCY } from '../../helpers/local-app';

const missing = chromiumMissing();

/** The shortest side v4's Check Dimensions accepts (MinImageSide): a photo that passes, cheap to make and resize. */
const ACCEPTED = { width: 1000, height: 800 };

/** Signs in on the photo page as `userId` and creates a place through the form. */
async function signInAndCreatePlace(
  page: Page,
  consoleUrl: string,
  userId: string,
  place: { id: string; name: string; type: string },
): Promise<void> {
  await signIn(page, consoleUrl, userId);
  await createPlace(page, place);
}

describe('console pages in Chromium', () => {
  jest.setTimeout(90_000);
  if (missing) {
    it(`cannot run here: ${missing}`, () => {
      console.warn(`console browser tests skipped: ${missing}`);
    });
    return;
  }
  let session: ConsoleSession;

  beforeAll(async () => {
    session = await openConsoleSession('pages', {
      viewport: { width: 1400, height: 1000 },
      timeoutMs: 30_000,
      concurrency: TEST_APP_CONCURRENCY,
    });
  });

  afterAll(async () => {
    await session?.close();
  });

  describe('photo app', () => {
    let page: Page;

    beforeAll(async () => {
      page = await session.newPage();
      await signInAndCreatePlace(page, session.consoleUrl, 'user-photos', {
        id: 'browser-park',
        name: 'Browser Park',
        type: 'park',
      });
    });

    afterAll(async () => {
      await page?.context().close();
    });

    it('uploads a dropped photo through the API ticket and the browser’s own S3 POST, and shows it PROCESSED with its published tile', async () => {
      await dropFiles(page, '.drop', [
        { name: 'good.jpg', bytes: await photo(ACCEPTED.width, ACCEPTED.height) },
      ]);

      const row = page.locator('.upload', { hasText: 'good.jpg' });
      await row.getByText('✓ PROCESSED').waitFor();
      const tile = row.getByRole('img', { name: 'Published tile of good.jpg' });
      await tile.waitFor();
      // The tile's element appears before its picture has loaded: wait for the load (or its failure).
      const size = await tile.evaluate((element) => {
        const image = element as unknown as {
          complete: boolean;
          naturalWidth: number;
          naturalHeight: number;
          addEventListener(type: string, listener: () => void, options: { once: boolean }): void;
        };
        const loaded = () =>
          image.naturalWidth > 0 ? { width: image.naturalWidth, height: image.naturalHeight } : undefined;
        if (image.complete) return loaded();
        return new Promise<ReturnType<typeof loaded>>((resolve) => {
          image.addEventListener('load', () => resolve(loaded()), { once: true });
          image.addEventListener('error', () => resolve(undefined), { once: true });
        });
      });
      expect(size).toEqual({ width: 400, height: 400 });
    });

    it('shows a rejected upload with its reason and detail', async () => {
      const small = await photo(640, 480);
      await page
        .locator('#photo-files')
        .setInputFiles({ name: 'small.jpg', mimeType: 'image/jpeg', buffer: small });

      const row = page.locator('.upload', { hasText: 'small.jpg' });
      await row.getByText('✗ REJECTED').waitFor();
      await expect(row.locator('.reason').textContent()).resolves.toMatch(/^IMAGE_TOO_SMALL: .+/);
    });
  });

  describe('execution page', () => {
    let page: Page;

    beforeAll(async () => {
      page = await session.newPage();
    });

    afterAll(async () => {
      await page?.context().close();
    });

    it('highlights the path a v4 restaurant photo with people took and marks the state that rejected it', async () => {
      await signInAndCreatePlace(page, session.consoleUrl, 'user-executions', {
        id: 'browser-bistro',
        name: 'Browser Bistro',
        type: 'restaurant',
      });
      const people = await declareLabels(await photo(ACCEPTED.width, ACCEPTED.height), {
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

  describe('GDPR page', () => {
    let page: Page;

    beforeAll(async () => {
      page = await session.newPage();
    });

    afterAll(async () => {
      await page?.context().close();
    });

    it('requests erasure as the signed-in user, approves it from the rendered email with a console-minted approver token and shows the verified result', async () => {
      await signInAndCreatePlace(page, session.consoleUrl, 'user-erased', {
        id: 'gdpr-park',
        name: 'GDPR Park',
        type: 'park',
      });
      await page.locator('#photo-files').setInputFiles({
        name: 'mine.jpg',
        mimeType: 'image/jpeg',
        buffer: await photo(ACCEPTED.width, ACCEPTED.height),
      });
      await page.locator('.upload', { hasText: 'mine.jpg' }).getByText('✓ PROCESSED').waitFor();

      await page.getByRole('link', { name: 'GDPR' }).click();
      await page.getByRole('button', { name: 'Request erasure of user-erased’s data' }).click();
      await page.getByText('AWAITING_APPROVAL', { exact: false }).first().waitFor();
      await approveErasureFromEmail(page);

      await page.getByText('✓ COMPLETED').first().waitFor({ timeout: 60_000 });
      await page.getByRole('heading', { name: 'Verification result' }).waitFor();
      await page.getByRole('heading', { name: 'Notifications (SNS)' }).waitFor();
    });
  });
});
