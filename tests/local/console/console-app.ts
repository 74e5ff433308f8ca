import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../../../local/console/browser';
import { type LocalApp, startLocalApp } from '../../../local/runtime/app';

export const root = join(__dirname, '..', '..', '..');

/** The v4 app with its console on a free port, a data directory of its own, and a browser page. */
export interface ConsoleSession {
  app: LocalApp;
  consoleUrl: string;
  browser: Browser;
  page: Page;
  close(): Promise<void>;
}

export async function openConsole(name: string): Promise<ConsoleSession> {
  const dataDir = mkdtempSync(join(tmpdir(), `console-${name}-`));
  const app = await startLocalApp({
    root,
    workflow: 'v4',
    dataDir,
    functionEnvironment: { POWERTOOLS_LOG_LEVEL: 'SILENT' },
    console: { port: 0 },
  });
  const browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.setDefaultTimeout(30_000);
  return {
    app,
    consoleUrl: app.console?.url ?? '',
    browser,
    page,
    close: async () => {
      await browser.close();
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Signs in on the photo page and creates a place through the form. */
export async function signInAndCreatePlace(
  page: Page,
  consoleUrl: string,
  place: { id: string; name: string; type: string },
): Promise<void> {
  await page.goto(`${consoleUrl}/#/photos`);
  await page.getByLabel('User id').fill('user-browser');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByLabel('Id', { exact: true }).fill(place.id);
  await page.getByLabel('Name').fill(place.name);
  await page.getByLabel('Type').selectOption(place.type);
  await page.getByRole('button', { name: 'Create place' }).click();
  await page.getByRole('heading', { name: `Upload to ${place.id}` }).waitFor();
}
