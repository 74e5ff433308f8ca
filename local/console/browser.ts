/**
 * Debian's Chromium driven by playwright-core, for the console's browser tests and screenshots
 * (Playwright's own browser downloads are not used).
 */
import { existsSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Why the browser cannot run here, or undefined when it can. */
export function chromiumMissing(): string | undefined {
  return existsSync(CHROMIUM_PATH)
    ? undefined
    : `no Chromium at ${CHROMIUM_PATH} (apt-get install chromium, or set CHROMIUM_PATH)`;
}

export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
  });
}

/** Drops files on an element as a user's drag and drop does: a DataTransfer with File objects. */
export async function dropFiles(
  page: Page,
  selector: string,
  files: ReadonlyArray<{ name: string; bytes: Buffer; type?: string }>,
): Promise<void> {
  const payload = files.map((file) => ({
    name: file.name,
    type: file.type ?? 'image/jpeg',
    base64: file.bytes.toString('base64'),
  }));
  // Runs in the page, where DataTransfer exists (this project's TypeScript has no DOM types).
  const dataTransfer = await page.evaluateHandle((items) => {
    const scope = globalThis as unknown as {
      DataTransfer: new () => { items: { add(file: unknown): void } };
    };
    const transfer = new scope.DataTransfer();
    for (const item of items) {
      const bytes = Uint8Array.from(atob(item.base64), (char) => char.charCodeAt(0));
      transfer.items.add(new File([bytes], item.name, { type: item.type }));
    }
    return transfer;
  }, payload);
  await page.dispatchEvent(selector, 'dragover', { dataTransfer });
  await page.dispatchEvent(selector, 'drop', { dataTransfer });
}
