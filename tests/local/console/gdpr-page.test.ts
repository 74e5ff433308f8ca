import { chromiumMissing } from '../../../local/console/browser';
import { photo } from '../../../local/demo/photos';
import { type ConsoleSession, openConsole, signInAndCreatePlace } from './console-app';

const missing = chromiumMissing();

describe('console GDPR page in Chromium', () => {
  jest.setTimeout(90_000);
  if (missing) {
    it(`cannot run here: ${missing}`, () => {
      console.warn(`console browser tests skipped: ${missing}`);
    });
    return;
  }
  let session: ConsoleSession;

  beforeAll(async () => {
    session = await openConsole('gdpr');
  });

  afterAll(async () => {
    await session?.close();
  });

  it('requests erasure as the signed-in user, approves it from the rendered email with a console-minted approver token and shows the verified result', async () => {
    const { page, consoleUrl } = session;
    await signInAndCreatePlace(page, consoleUrl, { id: 'gdpr-park', name: 'GDPR Park', type: 'park' });
    await page.locator('#photo-files').setInputFiles({
      name: 'mine.jpg',
      mimeType: 'image/jpeg',
      buffer: await photo(1600, 1200),
    });
    await page.locator('.upload', { hasText: 'mine.jpg' }).getByText('✓ PROCESSED').waitFor();

    await page.getByRole('link', { name: 'GDPR' }).click();
    await page.getByRole('button', { name: 'Request erasure of user-browser’s data' }).click();
    await page.getByText('AWAITING_APPROVAL', { exact: false }).first().waitFor();
    const email = page.frameLocator('iframe.email');
    const [approvalPage] = await Promise.all([
      page.waitForEvent('popup'),
      email.getByRole('link', { name: 'Approve erasure' }).click(),
    ]);
    await page.getByRole('button', { name: 'Mint an approver token' }).click();
    const approverToken = await page.getByLabel('Token of approver-console').inputValue();
    await approvalPage.getByLabel(/approver access token/).fill(approverToken);
    await approvalPage.getByRole('button', { name: 'Approve erasure' }).click();
    await approvalPage.waitForLoadState();

    await page.getByText('✓ COMPLETED').first().waitFor({ timeout: 60_000 });
    await page.getByRole('heading', { name: 'Verification result' }).waitFor();
    await page.getByRole('heading', { name: 'Notifications (SNS)' }).waitFor();
  });
});
