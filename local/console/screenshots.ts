/**
 * `npm run screenshots`: runs the app offline (v4, declared-label vision) with its console in a
 * fresh data directory, uses it through Chromium as a person would, and saves each main page to
 * docs/console/<page>.png.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { photo } from '../demo/photos';
import { startLocalApp } from '../runtime/app';
import { declareLabels } from '../services';
import { chromiumMissing, launchChromium } from './browser';

const root = resolve(__dirname, '..', '..');
const target = join(root, 'docs', 'console');

async function upload(page: Page, name: string, bytes: Buffer, final: string): Promise<void> {
  await page.locator('#photo-files').setInputFiles({ name, mimeType: 'image/jpeg', buffer: bytes });
  await page.locator('.upload', { hasText: name }).getByText(final).waitFor();
}

async function createPlace(page: Page, id: string, name: string, type: string): Promise<void> {
  await page.getByLabel('Id', { exact: true }).fill(id);
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Type').selectOption(type);
  await page.getByRole('button', { name: 'Create place' }).click();
  await page.getByRole('heading', { name: `Upload to ${id}` }).waitFor();
}

async function main(): Promise<void> {
  const missing = chromiumMissing();
  if (missing) throw new Error(`cannot take screenshots: ${missing}`);
  const dataDir = mkdtempSync(join(tmpdir(), 'console-screenshots-'));
  const app = await startLocalApp({
    root,
    workflow: 'v4',
    dataDir,
    functionEnvironment: { POWERTOOLS_LOG_LEVEL: 'SILENT' },
    console: { port: 0 },
  });
  const browser = await launchChromium();
  try {
    const url = app.console?.url ?? '';
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.setDefaultTimeout(60_000);
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

    await page.goto(`${url}/#/photos`);
    await page.getByLabel('User id').fill('user-ana');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await createPlace(page, 'corner-bistro', 'Corner Bistro', 'restaurant');
    const people = await declareLabels(good, {
      labels: [{ name: 'Person', confidence: 98.7, instances: 2 }],
    });
    await upload(page, 'friends-at-dinner.jpg', people, '✗ REJECTED');
    await createPlace(page, 'central-park', 'Central Park', 'park');
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
    const email = page.frameLocator('iframe.email');
    await email.getByRole('link', { name: 'Approve erasure' }).waitFor();
    const [approval] = await Promise.all([
      page.waitForEvent('popup'),
      email.getByRole('link', { name: 'Approve erasure' }).click(),
    ]);
    await page.getByRole('button', { name: 'Mint an approver token' }).click();
    const approverToken = await page.getByLabel('Token of approver-console').inputValue();
    await approval.getByLabel(/approver access token/).fill(approverToken);
    await approval.getByRole('button', { name: 'Approve erasure' }).click();
    await approval.waitForLoadState();
    await approval.close();
    await page.getByRole('heading', { name: 'Notifications (SNS)' }).waitFor();
    await shoot('gdpr', 1200);

    await page.getByRole('link', { name: 'Outbox & events' }).click();
    await page.locator('iframe.email').first().waitFor();
    await page.getByRole('heading', { name: 'Events on the buses' }).waitFor();
    await page.locator('.messages li.card').nth(2).waitFor();
    await shoot('outbox');
  } finally {
    await browser.close();
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: Error) => {
  console.error(`screenshots failed: ${error.stack ?? error.message}`);
  process.exit(1);
});
