import { createHash } from 'node:crypto';
import { SFNClient } from '@aws-sdk/client-sfn';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import type { LinkDecision } from '../../../../functions/gdpr/approval-links';
import { SIGN_IN_SCRIPT } from '../../../../functions/gdpr/approval-pages';
import { fixture } from '../../../helpers/fixtures';
import {
  APPROVAL_ID,
  approvalItem,
  approvalKey,
  EXPIRES,
  GDPR_SECRET_ENV,
  handlerOf,
  signedLinkParameters,
  useFrozenDateAndGdprSecret,
} from './setup';

const dynamo = mockClient(DynamoDBDocumentClient);
const sfn = mockClient(SFNClient);
useFrozenDateAndGdprSecret();

type GetEvent = {
  rawQueryString: string;
  pathParameters: Record<string, string>;
  queryStringParameters?: Record<string, string>;
};

const handler = handlerOf(
  { ...GDPR_SECRET_ENV, APPROVER_SCOPE: 'happy-path/erasure-approver' },
  () => import('../../../../functions/gdpr/approval-page'),
);

beforeEach(() => {
  sfn.reset();
  dynamo.reset();
  givenApproval({});
});

function givenApproval(fields: Record<string, unknown>) {
  dynamo.on(GetCommand, { Key: approvalKey }).resolves({ Item: approvalItem(fields) });
}

/** The GET a link makes; the fixture's approve link, or one signed here. */
async function linkEvent(
  change: { decision?: LinkDecision; expires?: number; query?: Record<string, string> } = {},
) {
  const event = fixture<GetEvent>('gdpr/approval-page.json');
  if (change.decision || change.expires) {
    event.queryStringParameters = await signedLinkParameters(change);
  }
  if (change.query) event.queryStringParameters = { ...event.queryStringParameters, ...change.query };
  event.rawQueryString = new URLSearchParams(event.queryStringParameters).toString();
  return event;
}

function expectNothingChanged() {
  expect(dynamo).not.toHaveReceivedCommand(PutCommand);
  expect(dynamo).not.toHaveReceivedCommand(UpdateCommand);
  expect(dynamo).not.toHaveReceivedCommand(DeleteCommand);
  expect(sfn.calls()).toHaveLength(0);
}

function expectPageHeaders(result: APIGatewayProxyStructuredResultV2) {
  expect(result.headers).toEqual({
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
    'content-security-policy': `default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-${createHash('sha256').update(SIGN_IN_SCRIPT).digest('base64')}'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'`,
  });
}

describe('approval page (GET)', () => {
  it('shows a confirmation page whose one form posts the signed approve decision back to the same path', async () => {
    const event = await linkEvent();

    const result = await handler(event);

    expect(result.statusCode).toBe(200);
    expectPageHeaders(result);
    const body = result.body ?? '';
    expect(body.match(/<form /g)).toHaveLength(1);
    expect(body).toContain(`<form method="post" action="${APPROVAL_ID}">`);
    expect(body).toContain('<input type="hidden" name="decision" value="approve">');
    expect(body).toContain(`<input type="hidden" name="expires" value="${EXPIRES}">`);
    expect(body).toContain(
      `<input type="hidden" name="signature" value="${event.queryStringParameters?.signature}">`,
    );
    expect(body).toContain('<button type="submit">Approve erasure</button>');
  });

  it('summarises the request on the page: id, counts, total, report hash and expiry, never the token', async () => {
    const result = await handler(await linkEvent());

    const body = result.body ?? '';
    for (const expected of [
      '7d2c4b1e-3f6a-4c8d-9e0f-1a2b3c4d5e6f',
      'Uploaded originals',
      '<td><code>12</code></td>',
      '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
      '2026-12-03 12:00:00 UTC',
    ]) {
      expect(body).toContain(expected);
    }
    expect(body).not.toContain('AQCEAAAA');
  });

  it('asks for the approver sign-in: a token field the script sends as a bearer token, never as a form field', async () => {
    const body = (await handler(await linkEvent())).body ?? '';

    expect(body).toContain('<input type="password" name="token"');
    expect(body).toContain('<code>happy-path/erasure-approver</code>');
    expect(SIGN_IN_SCRIPT).toContain("fields.delete('token')");
    expect(SIGN_IN_SCRIPT).toContain("authorization: 'Bearer ' + token");
  });

  it('shows object versions and uploads in progress apart, outside the total of what exists', async () => {
    givenApproval({
      counts: {
        original: 2,
        tile: 1,
        scaled: 1,
        'object-version': 5,
        'upload-record': 3,
        'upload-in-progress': 1,
      },
    });

    const body = (await handler(await linkEvent())).body ?? '';

    expect(body).toMatch(/Object versions[^<]*<\/th><td><code>5<\/code>/);
    expect(body).toMatch(/Uploads in progress[^<]*<\/th><td><code>1<\/code>/);
    expect(body).toMatch(/Total<\/th><td><code>7<\/code>/);
  });

  it('answers 400 naming a query parameter a link does not carry, and reads nothing', async () => {
    const result = await handler(await linkEvent({ query: { foo: '1' } }));

    expect(result.statusCode).toBe(400);
    expect(result.body).toContain('Unknown query parameter: foo');
    expect(dynamo).not.toHaveReceivedCommand(GetCommand);
  });

  it('shows a "Reject erasure" form for a reject link', async () => {
    const result = await handler(await linkEvent({ decision: 'reject' }));

    expect(result.statusCode).toBe(200);
    expect(result.body).toContain('<input type="hidden" name="decision" value="reject">');
    expect(result.body).toContain('<button type="submit">Reject erasure</button>');
    expect(result.body).not.toContain('Approve erasure');
  });

  it('reads the approval consistently and changes nothing', async () => {
    await handler(await linkEvent());

    expect(dynamo).toHaveReceivedCommandWith(GetCommand, {
      TableName: 'app-table',
      Key: approvalKey,
      ConsistentRead: true,
    });
    expectNothingChanged();
  });

  it('changes nothing when both links are fetched again and again, as mail scanners do', async () => {
    for (let round = 0; round < 3; round += 1) {
      expect((await handler(await linkEvent({ decision: 'approve' }))).statusCode).toBe(200);
      expect((await handler(await linkEvent({ decision: 'reject' }))).statusCode).toBe(200);
    }

    expect(dynamo).toHaveReceivedCommandTimes(GetCommand, 6);
    expectNothingChanged();
  });

  it('escapes every value it shows', async () => {
    givenApproval({ requestId: '<script>alert(1)</script>', counts: { '<b>kind</b>': 1 } });

    const result = await handler(await linkEvent());

    // The only script is the page's own sign-in script, the one the CSP hash allows.
    expect(result.body?.split('<script>')).toHaveLength(2);
    expect(result.body).toContain(`<script>${SIGN_IN_SCRIPT}</script>`);
    expect(result.body).not.toContain('<b>');
    expect(result.body).toContain('&#60;script&#62;alert(1)&#60;/script&#62;');
  });

  it.each([
    ['an approve link turned into a reject link', { decision: 'reject' }],
    ['an expiry pushed back', { expires: String(EXPIRES + 86_400) }],
    ['a changed signature', { signature: `B${'A'.repeat(41)}E` }],
    ['a missing signature', { signature: '' }],
    ['an unknown decision', { decision: 'delete' }],
  ])('answers 403 to a link with %s, before reading the table', async (_, query) => {
    const result = await handler(await linkEvent({ query }));

    expect(result.statusCode).toBe(403);
    expectPageHeaders(result);
    expect(result.body).toContain('This link is not valid');
    expect(dynamo.calls()).toHaveLength(0);
    expectNothingChanged();
  });

  it('answers 403 to a link for another approval id with the same signature', async () => {
    const event = await linkEvent();
    event.pathParameters = { approvalId: 'AAAAAAAAAAAAAAAAAAAAAA' };

    const result = await handler(event);

    expect(result.statusCode).toBe(403);
    expectNothingChanged();
  });

  it('answers 403 to an event without path or query parameters', async () => {
    const result = await handler({ version: '2.0', rawPath: '/gdpr/approvals/' });

    expect(result.statusCode).toBe(403);
  });

  it('answers 410 to an authentic link after its expiry', async () => {
    jest.setSystemTime(new Date(EXPIRES * 1000 + 1000));

    const result = await handler(await linkEvent());

    expect(result.statusCode).toBe(410);
    expectPageHeaders(result);
    expect(result.body).toContain('This link has expired');
    expectNothingChanged();
  });

  it("answers 410 when the approval's window has closed before the link's expiry", async () => {
    givenApproval({ expiresAt: '2026-11-26T11:00:00.000Z' });

    const result = await handler(await linkEvent());

    expect(result.statusCode).toBe(410);
    expectNothingChanged();
  });

  it('answers 404 to an authentic link for an approval that does not exist', async () => {
    dynamo.on(GetCommand, { Key: approvalKey }).resolves({});

    const result = await handler(await linkEvent());

    expect(result.statusCode).toBe(404);
    expectPageHeaders(result);
    expect(result.body).toContain('Unknown approval');
  });

  it.each(['APPROVED', 'REJECTED'])('answers 409 when the approval is already %s', async (status) => {
    givenApproval({ status, decidedAt: '2026-11-26T11:30:00.000Z', approver: 'dpo@happy-path.example.com' });

    const result = await handler(await linkEvent());

    expect(result.statusCode).toBe(409);
    expectPageHeaders(result);
    expect(result.body).toContain('already been decided');
    expect(result.body).not.toContain('<form');
    expectNothingChanged();
  });

  it('answers 500 with a page that reveals nothing when the table cannot be read', async () => {
    dynamo.on(GetCommand).rejects(new Error('connect ECONNREFUSED 10.0.0.1:443'));

    const result = await handler(await linkEvent());

    expect(result.statusCode).toBe(500);
    expectPageHeaders(result);
    expect(result.body).not.toContain('ECONNREFUSED');
  });
});
