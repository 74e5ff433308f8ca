/**
 * `npm run screenshots`: runs the app offline (v4, declared-label vision) with its console in a
 * fresh data directory, uses it through Chromium as a person would, and saves each main page to
 * docs/console/<page>.png.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { photo } from '../demo/photos';
import { declareLabels } from '../services';
import { chromiumMissing } from './browser';
import { approveErasureFromEmail, createPlace, openConsoleSession, signIn } from './session';

const root = resolve(__dirname, '..', '..');
const target = join(root, 'docs', 'console');

async function upload(page: Page, name: string, bytes: Buffer, final: string): Promise<void> {
  await page.locator('#photo-files').setInputFiles({ name, mimeType: 'image/jpeg', buffer: bytes });
  await page.locator('.upload', { hasText: name }).getByText(final).waitFor();
}

async function main(): Promise<void> {
  const missing = chromiumMissing();
  if (missing) throw new Error(`cannot take screenshots: ${missing}`);
  const session = await openConsoleSession('screenshots', {
    viewport: { width: 1400, height: 900 },
    timeoutMs: 60_000,
  });
  try {
    const { consoleUrl: url, page } = session;
    const shoot = async (name: string, height = 900) => {
      await page.setViewportSize({ width: 1400, height });
      await page.evaluate(() =>
        (globalThis as unknown as { scrollTo(x: number, y: number): void }).scrollTo(0, 0),
      );
      await page.screenshot({ path: join(target, `${name}.png`) });
      console.log(`docs/console/${name}.png`);
    };
    mkdirSync(target, { recursive: true });
    const good = await photo(1600, 1200);

    await signIn(page, url, 'user-ana');
    await createPlace(page, { id: 'corner-bistro', name: 'Corner Bistro', type: 'restaurant' });
    const people = await declareLabels(good, {
      labels: [{ name: 'Person', confidence: 98.7, instances: 2 }],
    });
    await upload(page, 'friends-at-dinner.jpg', people, '✗ REJECTED');
    await createPlace(page, { id: 'central-park', name: 'Central Park', type: 'park' });
    await upload(page, 'meadow.jpg', good, '✓ PROCESSED');
    await upload(page, 'thumbnail.jpg', await photo(640, 480), '✗ REJECTED');
    await upload(page, 'lake.jpg', await photo(1800, 1200), '✓ PROCESSED');
    await page.locator('.gallery img').first().waitFor();
    await shoot('photo-app');

    await page.getByRole('link', { name: 'Executions' }).click();
    await page.locator('table.list tbody tr').nth(3).waitFor();
    await shoot('executions');
    await page
      .getByRole('row', { name: /PEOPLE_NOT_ALLOWED/ })
      .getByRole('link')
      .click();
    await page.locator('.graph g.hp-rejecting').waitFor();
    await page.locator('.graph g.hp-rejecting').click();
    await page.getByRole('heading', { name: /^Detect people/ }).waitFor();
    await shoot('execution', 1300);

    await page.getByRole('link', { name: 'GDPR' }).click();
    await page.getByRole('button', { name: /^Request erasure/ }).click();
    await (await approveErasureFromEmail(page)).close();
    await page.getByRole('heading', { name: 'Notifications (SNS)' }).waitFor();
    await shoot('gdpr', 1200);

    await page.getByRole('link', { name: 'Outbox & events' }).click();
    await page.locator('iframe.email').first().waitFor();
    await page.getByRole('heading', { name: 'Events on the buses' }).waitFor();
    await page.locator('.messages li.card').nth(2).waitFor();
    await shoot('outbox');
  } finally {
    await session.close();
  }
}

main().catch((error: Error) => {
  console.error(`screenshots failed: ${error.stack ?? error.message}`);
  process.exit(1);
});
