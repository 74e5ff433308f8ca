import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeExecutionCommand,
  ListExecutionsCommand,
  SFNClient,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import {
  approverToken,
  findLeftovers,
  GdprClient,
  submitDecision,
  waitForApprovalEmail,
} from '../../../local/demo/gdpr-scenario';
import { photo } from '../../../local/demo/photos';
import { placeIdOf } from '../../../local/demo/scenario';
import { type LocalApp, startLocalApp } from '../../../local/runtime/app';
import { readOutbox } from '../../../local/services';
import { TEST_APP_CONCURRENCY } from '../../helpers/local-app';

/**
 * Erasure against uploads and executions that escape the flow, offline: a photo posted with an
 * upload ticket issued before the erasure, after the purge completed, leaves nothing behind; no
 * ticket is issued while a request is open; an erasure execution stopped from outside closes its
 * request, so the user can ask again.
 */
jest.setTimeout(180_000);

const root = join(__dirname, '..', '..', '..');

interface Ticket {
  uploadId: string;
  url: string;
  fields: Record<string, string>;
}

async function requestTicket(app: LocalApp, userId: string) {
  const response = await fetch(`${app.api.url}/uploads/url?placeId=${placeIdOf('park')}`, {
    headers: { authorization: `Bearer ${app.token(userId)}` },
  });
  return { status: response.status, body: (await response.json()) as Ticket & { code?: string } };
}

async function post(ticket: Ticket, bytes: Buffer): Promise<number> {
  const form = new FormData();
  for (const [name, value] of Object.entries(ticket.fields)) form.append(name, value);
  form.append('file', new Blob([bytes], { type: 'image/jpeg' }), 'late.jpg');
  return (await fetch(ticket.url, { method: 'POST', body: form })).status;
}

/** Polls `check` until it returns true or the deadline passes; returns its last answer. */
async function eventually(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('GDPR erasure against late uploads and stopped executions, offline', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'e2e-gdpr-late-'));
  let app: LocalApp;

  beforeAll(async () => {
    app = await startLocalApp({
      root,
      workflow: 'v1',
      dataDir,
      functionEnvironment: { POWERTOOLS_LOG_LEVEL: 'SILENT' },
      concurrency: TEST_APP_CONCURRENCY,
    });
    const owner = new GdprClient(app.api.url, app.token('user-owner'));
    await owner.createPlace({
      id: placeIdOf('park'),
      name: 'Central Park',
      type: 'park',
      lat: 40.78,
      lng: -73.96,
    });
  });

  afterAll(async () => {
    await app?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('leaves nothing of the user when a ticket issued before the erasure is used after the purge completed', async () => {
    const erin = new GdprClient(app.api.url, app.token('user-erin'));
    const bytes = await photo(1000, 800);
    const processed = await erin.upload(placeIdOf('park'), bytes, 'first.jpg');
    await erin.waitForUpload(processed);
    const early = await requestTicket(app, 'user-erin');
    expect(early.status).toBe(201);

    const started = Date.now();
    const { requestId } = (await erin.requestErasure()).body;
    const email = await waitForApprovalEmail(dataDir, requestId, { after: started - 1000 });
    const duringRequest = await requestTicket(app, 'user-erin');
    expect([duringRequest.status, duringRequest.body.code]).toEqual([409, 'ERASURE_IN_PROGRESS']);
    expect((await submitDecision(email.approve, await approverToken(dataDir))).status).toBe(200);
    expect((await erin.waitForErasure(requestId, ['COMPLETED', 'PARTIALLY_FAILED', 'FAILED'])).status).toBe(
      'COMPLETED',
    );

    // The old ticket is still valid: S3 takes the photo, with the erased user's id in its metadata.
    expect(await post(early.body, bytes)).toBeLessThan(300);

    const uploads = [processed, early.body.uploadId];
    const gone = await eventually(async () => {
      const left = await findLeftovers(app, 'user-erin', uploads);
      return left.objectVersions.length === 0 && left.items.length === 0;
    });
    expect(await findLeftovers(app, 'user-erin', uploads)).toEqual({ objectVersions: [], items: [] });
    expect(gone).toBe(true);
  });

  it('closes a request whose execution was stopped from outside the flow, and lets the user ask again', async () => {
    const finn = new GdprClient(app.api.url, app.token('user-finn'));
    const uploadId = await finn.upload(placeIdOf('park'), await photo(900, 700), 'finn.jpg');
    await finn.waitForUpload(uploadId);
    const started = Date.now();
    const { requestId } = (await finn.requestErasure()).body;
    await waitForApprovalEmail(dataDir, requestId, { after: started - 1000 });

    const sfn = new SFNClient({});
    const stateMachineArn = String(
      app.runtime.stacks
        .flatMap((stack) => Object.entries(stack.resources))
        .find(([logicalId]) => logicalId === 'ErasureWorkflow')?.[1].physicalId,
    );
    const executions = await sfn.send(new ListExecutionsCommand({ stateMachineArn }));
    const execution = executions.executions?.find((candidate) => candidate.name === requestId);
    await sfn.send(new StopExecutionCommand({ executionArn: execution?.executionArn }));
    const stopped = await sfn.send(new DescribeExecutionCommand({ executionArn: execution?.executionArn }));
    expect(stopped.status).toBe('ABORTED');
    // The local Step Functions puts the status change on the default bus, as AWS does; the
    // erasure stack's rule hands it to the close function.
    const statusChanges = await eventually(
      async () =>
        app.runtime.buses
          .get('default')
          ?.listArchivedEvents()
          .some(
            (record) =>
              record.event['detail-type'] === 'Step Functions Execution Status Change' &&
              JSON.stringify(record.event.detail).includes('ABORTED'),
          ) ?? false,
    );
    expect(statusChanges).toBe(true);

    const closed = await finn.waitForErasure(requestId, ['FAILED'], 30_000);
    expect(closed.status).toBe('FAILED');
    const notified = await eventually(async () =>
      readOutbox(dataDir).some(
        (message) =>
          message.kind === 'sns' &&
          message.message.includes(requestId) &&
          message.message.includes('ExecutionAborted'),
      ),
    );
    expect(notified).toBe(true);
    const askedAgain = Date.now();
    const again = await finn.requestErasure();
    expect(again.status).toBe(202);
    expect(again.body.requestId).not.toBe(requestId);
    expect((await requestTicket(app, 'user-finn')).status).toBe(409);
    // The new request's flow has written its report and waits for a decision: nothing is in flight at teardown.
    await waitForApprovalEmail(dataDir, again.body.requestId, { after: askedAgain - 1000 });
    sfn.destroy();
  });
});
