import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { SESClient, SendEmailCommand } from '@aws-sdk/client-ses';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { verifyApprovalLink } from '../../../../functions/gdpr/approval-links';
import { fixture } from '../../../helpers/fixtures';
import { GDPR_SECRET_ENV, gdprKeys, handlerOf, NOW, useFrozenDateAndGdprSecret } from './setup';

const dynamo = mockClient(DynamoDBDocumentClient);
const ses = mockClient(SESClient);
useFrozenDateAndGdprSecret();

const REQUEST_ID = '7d2c4b1e-3f6a-4c8d-9e0f-1a2b3c4d5e6f';
const APPROVAL_ID = 'q3Vx9kT2mN8pR4sW7yZ1bA';
const requestKey = { pk: `ERASURE#${REQUEST_ID}`, sk: 'ERASURE' };
const approvalKey = (approvalId: string) => ({ pk: `APPROVAL#${approvalId}`, sk: 'APPROVAL' });

/** The approval may be renewed while PENDING, or decided but never confirmed as delivered. */
const RENEWABLE = 'attribute_exists(pk) AND (#status = :pending OR attribute_exists(deliveryUnconfirmedAt))';

const conditionFailed = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

type TaskInput = {
  requestId: string;
  phase: 'FIRST' | 'REMINDER';
  taskToken: string;
  decisionWindowSeconds: number;
  report: { reportKey: string; reportSha256: string; counts: Record<string, number>; total: number };
};

const handler = handlerOf(
  {
    ...GDPR_SECRET_ENV,
    SENDER_EMAIL: 'approvals@happy-path.example.com',
    APPROVER_EMAIL: 'dpo@happy-path.example.com',
    APPROVAL_BASE_URL: 'https://api.happy-path.example.com/',
  },
  () => import('../../../../functions/gdpr/request-approval'),
);

beforeEach(() => {
  ses.reset();
  ses.on(SendEmailCommand).resolves({ MessageId: 'message-1' });
  dynamo.reset();
  dynamo.on(PutCommand).resolves({});
  dynamo.on(UpdateCommand).resolves({});
  givenRequest({});
});

/** The request record as the intake wrote it (with the raw user id, as while the request is open). */
function givenRequest(fields: Record<string, unknown>) {
  dynamo.on(GetCommand, { Key: requestKey }).resolves({
    Item: {
      ...requestKey,
      entity: 'erasure-request',
      requestId: REQUEST_ID,
      requesterId: 'user-alice',
      userHash: 'a'.repeat(64),
      status: 'REQUESTED',
      createdAt: '2026-11-26T11:58:00.000Z',
      updatedAt: '2026-11-26T11:59:00.000Z',
      ...fields,
    },
  });
}

function sentEmail() {
  const calls = ses.commandCalls(SendEmailCommand);
  expect(calls).toHaveLength(1);
  const message = calls[0]?.args[0].input.Message;
  return {
    subject: message?.Subject?.Data ?? '',
    text: message?.Body?.Text?.Data ?? '',
    html: message?.Body?.Html?.Data ?? '',
  };
}

function linksIn(text: string): URL[] {
  return [...text.matchAll(/https:\/\/\S+/g)].map((match) => new URL(match[0]));
}

async function verify(url: URL) {
  const keys = await gdprKeys();
  return verifyApprovalLink(
    keys.linkSigning,
    {
      approvalId: decodeURIComponent(url.pathname.split('/').at(-1) ?? ''),
      decision: url.searchParams.get('decision'),
      expires: url.searchParams.get('expires'),
      signature: url.searchParams.get('signature'),
    },
    NOW,
  );
}

describe('request approval (first email)', () => {
  it('creates a PENDING approval holding the task token, with a conditional put', async () => {
    const input = fixture<TaskInput>('gdpr/request-approval.json');

    const result = await handler(input);

    expect(result.approvalId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(dynamo).toHaveReceivedCommandWith(PutCommand, {
      TableName: 'app-table',
      Item: {
        ...approvalKey(result.approvalId),
        entity: 'approval',
        approvalId: result.approvalId,
        requestId: REQUEST_ID,
        taskToken: input.taskToken,
        reportSha256: input.report.reportSha256,
        counts: input.report.counts,
        expiresAt: '2026-12-03T12:00:00.000Z',
        status: 'PENDING',
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
  });

  it('records the approval id and AWAITING_APPROVAL on the request', async () => {
    const result = await handler(fixture('gdpr/request-approval.json'));

    expect(dynamo).toHaveReceivedCommandWith(UpdateCommand, {
      TableName: 'app-table',
      Key: requestKey,
      ExpressionAttributeValues: {
        ':approvalId': result.approvalId,
        ':awaiting': 'AWAITING_APPROVAL',
        ':now': NOW.toISOString(),
      },
    });
  });

  it('emails the approver a summary with signed approve and reject links that expire with the window', async () => {
    const input = fixture<TaskInput>('gdpr/request-approval.json');

    const { approvalId } = await handler(input);

    expect(ses).toHaveReceivedCommandWith(SendEmailCommand, {
      Source: 'approvals@happy-path.example.com',
      Destination: { ToAddresses: ['dpo@happy-path.example.com'] },
    });
    const email = sentEmail();
    expect(email.subject).toContain(REQUEST_ID);
    for (const expected of [
      `Request: ${REQUEST_ID}`,
      'Uploaded originals: 3',
      'Tiles: 2',
      'Scaled copies: 2',
      'Object versions (of the objects above, all deleted): 9',
      'Upload records: 3',
      'Photo records: 2',
      'Uploads in progress (their photos are deleted too if they arrive): 1',
      'Total: 12',
      `Report SHA-256: ${input.report.reportSha256}`,
      `reports/${REQUEST_ID}/report.json`,
      '2026-12-03 12:00:00 UTC',
    ]) {
      expect(email.text).toContain(expected);
    }
    const links = linksIn(email.text);
    expect(links.map((link) => link.searchParams.get('decision'))).toEqual(['approve', 'reject']);
    for (const link of links) {
      expect(link.origin + link.pathname).toBe(
        `https://api.happy-path.example.com/gdpr/approvals/${approvalId}`,
      );
      expect(link.searchParams.get('expires')).toBe(String(Date.parse('2026-12-03T12:00:00Z') / 1000));
      expect((await verify(link)).valid).toBe(true);
    }
  });

  it('puts the same summary and links in the HTML body, escaped', async () => {
    const input = fixture<TaskInput>('gdpr/request-approval.json');

    await handler(input);

    const email = sentEmail();
    const [approve, reject] = linksIn(email.text);
    expect(email.html).toContain(`href="${approve?.href.replaceAll('&', '&#38;')}"`);
    expect(email.html).toContain(`href="${reject?.href.replaceAll('&', '&#38;')}"`);
    expect(email.html).toContain(input.report.reportSha256);
    expect(email.html).toContain('2026-12-03 12:00:00 UTC');
    expect(email.html).toContain('<td><code>12</code></td>');
  });

  it('never puts the task token, the user id or an email address of the user in the email', async () => {
    const input = fixture<TaskInput>('gdpr/request-approval.json');

    await handler(input);

    const { subject, text, html } = sentEmail();
    for (const part of [subject, text, html]) {
      expect(part).not.toContain(input.taskToken);
      expect(part).not.toContain(encodeURIComponent(input.taskToken));
      expect(part).not.toContain('user-alice');
      expect(part).not.toContain('a'.repeat(64));
      expect(part).not.toMatch(/ChIJ|\.jpg/);
    }
  });

  it('reuses the approval of a retried invocation and only replaces its token and window', async () => {
    givenRequest({ approvalId: APPROVAL_ID, status: 'AWAITING_APPROVAL' });
    const input = { ...fixture<TaskInput>('gdpr/request-approval.json'), taskToken: 'token-of-the-retry' };

    const result = await handler(input);

    expect(result.approvalId).toBe(APPROVAL_ID);
    expect(dynamo).not.toHaveReceivedCommand(PutCommand);
    expect(dynamo).toHaveReceivedCommandWith(UpdateCommand, {
      Key: approvalKey(APPROVAL_ID),
      ConditionExpression: RENEWABLE,
      ExpressionAttributeValues: expect.objectContaining({
        ':token': 'token-of-the-retry',
        ':expiresAt': '2026-12-03T12:00:00.000Z',
      }),
    });
    const links = linksIn(sentEmail().text);
    expect(links.every((link) => link.pathname.endsWith(`/${APPROVAL_ID}`))).toBe(true);
  });

  it('fails with ErasureRequestNotFoundError and sends nothing when the request does not exist', async () => {
    dynamo.on(GetCommand, { Key: requestKey }).resolves({});

    await expect(handler(fixture('gdpr/request-approval.json'))).rejects.toMatchObject({
      name: 'ErasureRequestNotFoundError',
    });
    expect(dynamo).not.toHaveReceivedCommand(PutCommand);
    expect(ses).not.toHaveReceivedCommand(SendEmailCommand);
  });

  it('fails with InvalidTaskInputError when the task token is missing', async () => {
    const input: Partial<TaskInput> = fixture<TaskInput>('gdpr/request-approval.json');
    delete input.taskToken;

    await expect(handler(input)).rejects.toMatchObject({ name: 'InvalidTaskInputError' });
    expect(ses).not.toHaveReceivedCommand(SendEmailCommand);
  });

  it('fails, so Step Functions retries, when SES refuses the email', async () => {
    ses.on(SendEmailCommand).rejects(Object.assign(new Error('Throttling'), { name: 'Throttling' }));

    await expect(handler(fixture('gdpr/request-approval.json'))).rejects.toMatchObject({
      name: 'Throttling',
    });
  });
});

describe('request approval (reminder)', () => {
  const reminder = (): TaskInput => ({
    ...fixture<TaskInput>('gdpr/request-approval.json'),
    phase: 'REMINDER',
    taskToken: 'token-of-the-reminder',
    decisionWindowSeconds: 86_400,
  });

  beforeEach(() => {
    givenRequest({ approvalId: APPROVAL_ID, status: 'AWAITING_APPROVAL' });
  });

  it('replaces the timed-out token, extends the window and records the reminder, only while PENDING', async () => {
    await handler(reminder());

    expect(dynamo).toHaveReceivedCommandWith(UpdateCommand, {
      TableName: 'app-table',
      Key: approvalKey(APPROVAL_ID),
      ConditionExpression: RENEWABLE,
      ExpressionAttributeValues: expect.objectContaining({
        ':token': 'token-of-the-reminder',
        ':expiresAt': '2026-11-27T12:00:00.000Z',
        ':remindedAt': NOW.toISOString(),
        ':pending': 'PENDING',
      }),
    });
    expect(dynamo).not.toHaveReceivedCommand(PutCommand);
    expect(dynamo).not.toHaveReceivedCommandWith(UpdateCommand, { Key: requestKey });
  });

  it('asks again, back to PENDING, a decision whose delivery Step Functions never confirmed', async () => {
    await handler(reminder());

    expect(dynamo).toHaveReceivedCommandWith(UpdateCommand, {
      Key: approvalKey(APPROVAL_ID),
      UpdateExpression:
        'SET taskToken = :token, expiresAt = :expiresAt, reportSha256 = :sha, #counts = :counts, #status = :pending, remindedAt = :remindedAt REMOVE deliveryUnconfirmedAt, decidedAt, approverHash',
      ConditionExpression: RENEWABLE,
    });
    expect(ses).toHaveReceivedCommand(SendEmailCommand);
  });

  it('re-sends the email marked as a reminder, with links valid until the new expiry', async () => {
    await handler(reminder());

    const email = sentEmail();
    expect(email.subject).toMatch(
      /^Reminder: .*7d2c4b1e-3f6a-4c8d-9e0f-1a2b3c4d5e6f.*expires at 2026-11-27 12:00:00 UTC/,
    );
    expect(email.text).toMatch(/^Reminder: .*expire at 2026-11-27 12:00:00 UTC/);
    const links = linksIn(email.text);
    expect(links).toHaveLength(2);
    for (const link of links) {
      expect(link.searchParams.get('expires')).toBe(String(Date.parse('2026-11-27T12:00:00Z') / 1000));
      expect((await verify(link)).valid).toBe(true);
    }
  });

  it('fails with ApprovalNotPendingError and sends no email when the approval is already decided', async () => {
    dynamo.on(UpdateCommand, { Key: approvalKey(APPROVAL_ID) }).rejects(conditionFailed());
    dynamo.on(GetCommand, { Key: approvalKey(APPROVAL_ID) }).resolves({ Item: { status: 'APPROVED' } });

    await expect(handler(reminder())).rejects.toMatchObject({ name: 'ApprovalNotPendingError' });
    expect(ses).not.toHaveReceivedCommand(SendEmailCommand);
  });

  it('fails with ApprovalNotFoundError when the request has no approval', async () => {
    givenRequest({ status: 'AWAITING_APPROVAL' });

    await expect(handler(reminder())).rejects.toMatchObject({ name: 'ApprovalNotFoundError' });
    expect(ses).not.toHaveReceivedCommand(SendEmailCommand);
  });

  it('fails with ApprovalNotFoundError when the approval item is missing', async () => {
    dynamo.on(UpdateCommand, { Key: approvalKey(APPROVAL_ID) }).rejects(conditionFailed());
    dynamo.on(GetCommand, { Key: approvalKey(APPROVAL_ID) }).resolves({});

    await expect(handler(reminder())).rejects.toMatchObject({ name: 'ApprovalNotFoundError' });
  });
});
