/**
 * The v4 app offline with its console on a free port and a data directory of its own, and a
 * Chromium page to drive it: what the browser tests, `npm run screenshots` and the first-paint
 * measurement all start from.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { type LocalApp, startLocalApp } from '../runtime/app';
import { launchChromium } from './browser';

export interface ConsoleSession {
  app: LocalApp;
  consoleUrl: string;
  browser: Browser;
  /** The first page, opened with the session. */
  page: Page;
  /** Another page in a browser context of its own (no shared storage), with the same viewport and timeout. */
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

export async function openConsoleSession(
  name: string,
  options: {
    viewport: { width: number; height: number };
    timeoutMs: number;
    /** Function invocations at once (default: the runtime's, four per core). */
    concurrency?: number;
  },
): Promise<ConsoleSession> {
  const dataDir = mkdtempSync(join(tmpdir(), `console-${name}-`));
  // The app and the browser start side by side; when one fails, the other is closed again.
  const [started, launched] = await Promise.allSettled([
    startLocalApp({
      root: resolve(__dirname, '..', '..'),
      workflow: 'v4',
      dataDir,
      functionEnvironment: { POWERTOOLS_LOG_LEVEL: 'SILENT' },
      console: { port: 0 },
      ...(options.concurrency ? { concurrency: options.concurrency } : {}),
    }),
    launchChromium(),
  ]);
  const close = async () => {
    if (launched.status === 'fulfilled') await launched.value.close();
    if (started.status === 'fulfilled') await started.value.close();
    rmSync(dataDir, { recursive: true, force: true });
  };
  if (started.status === 'rejected' || launched.status === 'rejected') {
    await close();
    throw started.status === 'rejected' ? started.reason : (launched as PromiseRejectedResult).reason;
  }
  const app = started.value;
  const browser = launched.value;
  const newPage = async () => {
    const page = await browser.newPage({ viewport: options.viewport });
    page.setDefaultTimeout(options.timeoutMs);
    return page;
  };
  try {
    return { app, consoleUrl: app.console?.url ?? '', browser, page: await newPage(), newPage, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Signs in on the photo page as `userId`. */
export async function signIn(page: Page, consoleUrl: string, userId: string): Promise<void> {
  await page.goto(`${consoleUrl}/#/photos`);
  await page.getByLabel('User id').fill(userId);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Creates a place through the photo page's form and waits for its upload area. */
export async function createPlace(
  page: Page,
  place: { id: string; name: string; type: string },
): Promise<void> {
  await page.getByLabel('Id', { exact: true }).fill(place.id);
  await page.getByLabel('Name').fill(place.name);
  await page.getByLabel('Type').selectOption(place.type);
  await page.getByRole('button', { name: 'Create place' }).click();
  await page.getByRole('heading', { name: `Upload to ${place.id}` }).waitFor();
}

/**
 * Mints a token for approver-console on the GDPR page and returns it once the page has filled it in
 * (the page asks the console for it, so the field is empty until that request answers).
 */
export async function mintApproverToken(page: Page): Promise<string> {
  await page.getByRole('button', { name: 'Mint an approver token' }).click();
  const field = await page.getByLabel('Token of approver-console').elementHandle();
  // A function, not a string: the console's CSP forbids eval.
  await page.waitForFunction((input) => (input as unknown as { value: string }).value !== '', field);
  return page.getByLabel('Token of approver-console').inputValue();
}

/**
 * Follows the approval link of the email rendered on the GDPR page, as the approver would: the
 * approval page opens in a new tab, takes a console-minted approver token and approves. Returns
 * that tab once the decision's answer has loaded.
 */
export async function approveErasureFromEmail(page: Page): Promise<Page> {
  const approveLink = page.frameLocator('iframe.email').getByRole('link', { name: 'Approve erasure' });
  const [approval] = await Promise.all([page.waitForEvent('popup'), approveLink.click()]);
  const approverToken = await mintApproverToken(page);
  await approval.getByLabel(/approver access token/).fill(approverToken);
  await approval.getByRole('button', { name: 'Approve erasure' }).click();
  await approval.waitForLoadState();
  return approval;
}
