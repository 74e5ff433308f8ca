import { chromiumMissing, dropFiles } from '../../../local/console/browser';
import { photo } from '../../../local/demo/photos';
import { type ConsoleSession, openConsole, signInAndCreatePlace } from './console-app';

const missing = chromiumMissing();

describe('console photo app in Chromium', () => {
  jest.setTimeout(90_000);
  if (missing) {
    it(`cannot run here: ${missing}`, () => {
      console.warn(`console browser tests skipped: ${missing}`);
    });
    return;
  }
  let session: ConsoleSession;

  beforeAll(async () => {
    session = await openConsole('photos');
    await signInAndCreatePlace(session.page, session.consoleUrl, {
      id: 'browser-park',
      name: 'Browser Park',
      type: 'park',
    });
  });

  afterAll(async () => {
    await session?.close();
  });

  it('uploads a dropped photo through the API ticket and the browser’s own S3 POST, and shows it PROCESSED with its published tile', async () => {
    const { page } = session;
    await dropFiles(page, '.drop', [{ name: 'good.jpg', bytes: await photo(1600, 1200) }]);

    const row = page.locator('.upload', { hasText: 'good.jpg' });
    await row.getByText('✓ PROCESSED').waitFor();
    const tile = row.getByRole('img', { name: 'Published tile of good.jpg' });
    await tile.waitFor();
    const size = await tile.evaluate((element) => {
      const image = element as unknown as { complete: boolean; naturalWidth: number; naturalHeight: number };
      return image.complete ? { width: image.naturalWidth, height: image.naturalHeight } : undefined;
    });
    expect(size).toEqual({ width: 400, height: 400 });
  });

  it('shows a rejected upload with its reason and detail', async () => {
    const { page } = session;
    const small = await photo(640, 480);
    await page
      .locator('#photo-files')
      .setInputFiles({ name: 'small.jpg', mimeType: 'image/jpeg', buffer: small });

    const row = page.locator('.upload', { hasText: 'small.jpg' });
    await row.getByText('✗ REJECTED').waitFor();
    await expect(row.locator('.reason').textContent()).resolves.toMatch(/^IMAGE_TOO_SMALL: .+/);
  });
});
