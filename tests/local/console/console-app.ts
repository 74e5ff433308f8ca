import type { Page } from 'playwright-core';
import { type ConsoleSession, createPlace, openConsoleSession, signIn } from '../../../local/console/session';
import { TEST_APP_CONCURRENCY } from '../../helpers/local-app';

export type { ConsoleSession };

/** The v4 app with its console and a browser page, as every browser test of the console uses it. */
export function openConsole(name: string): Promise<ConsoleSession> {
  return openConsoleSession(name, {
    viewport: { width: 1400, height: 1000 },
    timeoutMs: 30_000,
    concurrency: TEST_APP_CONCURRENCY,
  });
}

/** Signs in on the photo page and creates a place through the form. */
export async function signInAndCreatePlace(
  page: Page,
  consoleUrl: string,
  place: { id: string; name: string; type: string },
): Promise<void> {
  await signIn(page, consoleUrl, 'user-browser');
  await createPlace(page, place);
}
