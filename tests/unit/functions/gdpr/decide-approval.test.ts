import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  InvalidToken,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  SFNClient,
  TaskDoesNotExist,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { logger } from '#shared/logger';
import type { LinkDecision } from '../../../../functions/gdpr/approval-links';
import { hashUserId } from '../../../../functions/gdpr/gdpr-keys';
import { fixture } from '../../../helpers/fixtures';
import {
  APPROVAL_ID,
  approvalItem,
  approvalKey,
  EXPIRES,
  GDPR_SECRET_ENV,
  gdprKeys,
  handlerOf,
  NOW,
  REPORT_SHA,
  signedLinkParameters,
  TOKEN,
  useFrozenDateAndGdprSecret,
} from './setup';

const dynamo = mockClient(DynamoDBDocumentClient);
const sfn = mockClient(SFNClient);
useFrozenDateAndGdprSecret();

const APPROVER_SCOPE = 'happy-path/erasure-approver';
/** The keyed hash of the fixture's signed-in approver (sub approver-dana), set before each test. */
let APPROVER = '';
beforeEach(async () => {
  APPROVER = hashUserId(await gdprKeys(), 'approver-dana');
});
const conditionFailed = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

type PostEvent = { body?: string; isBase64Encoded: boolean; pathParameters: Record<string, string> };

const handler = handlerOf(
  { ...GDPR_SECRET_ENV, APPROVER_SCOPE },
  () => import('../../../../functions/gdpr/decide-approval'),
);

beforeEach(() => {
  sfn.reset();
  sfn.on(SendTaskSuccessCommand).resolves({});
  sfn.on(SendTaskFailureCommand).resolves({});
  dynamo.reset();
  givenApproval({});
  // The conditional write succeeds and answers with the item as it now is.
  dynamo.on(UpdateCommand).callsFake((input: { ExpressionAttributeValues: Record<string, string> }) => ({
    Attributes: { ...approvalItem({}), status: input.ExpressionAttributeValues[':decision'] },
  }));
});

afterEach(() => {
  jest.restoreAllMocks();
});

function givenApproval(fields: Record<string, unknown>) {
  dynamo.on(GetCommand, { Key: approvalKey }).resolves({ Item: approvalItem(fields) });
}

/** The confirmation form's POST (base64-encoded, as API Gateway passes form bodies). */
async function formEvent(
  change: {
    decision?: LinkDecision;
    expires?: number;
    fields?: Record<string, string>;
    base64?: boolean;
  } = {},
) {
  const event = fixture<PostEvent>('gdpr/decide-approval.json');
  const form = new URLSearchParams(Buffer.from(event.body ?? '', 'base64').toString('utf8'));
  if (change.decision || change.expires) {
    for (const [name, value] of Object.entries(await signedLinkParameters(change))) form.set(name, value);
  }
  for (const [name, value] of Object.entries(change.fields ?? {})) form.set(name, value);
  const text = form.toString();
  const base64 = change.base64 ?? true;
  event.body = base64 ? Buffer.from(text).toString('base64') : text;
  event.isBase64Encoded = base64;
  return event;
}

function expectNoDecisionSent() {
  expect(sfn).not.toHaveReceivedCommand(SendTaskSuccessCommand);
  expect(sfn).not.toHaveReceivedCommand(SendTaskFailureCommand);
}

describe('approver sign-in', () => {
  type JwtEvent = {
    requestContext: { authorizer?: { jwt: { claims: Record<string, string>; scopes: string[] | null } } };
  };

  it('answers 401 without a signed-in approver, before reading or writing anything', async () => {
    const event = (await formEvent()) as unknown as JwtEvent;
    delete event.requestContext.authorizer;

    const result = await handler(event);

    expect(result.statusCode).toBe(401);
    expect(result.body).toContain('Approver sign-in required');
    expect(dynamo).not.toHaveReceivedCommand(GetCommand);
    expect(dynamo).not.toHaveReceivedCommand(UpdateCommand);
    expect(sfn).not.toHaveReceivedCommand(SendTaskSuccessCommand);
  });

  it('answers 403 to a signed-in user without the approver scope, even with a valid signed link', async () => {
    const event = (await formEvent()) as unknown as JwtEvent;
    event.requestContext.authorizer = {
      jwt: { claims: { sub: 'user-mallory', scope: 'photos/write' }, scopes: null },
    };

    const result = await handler(event);

    expect(result.statusCode).toBe(403);
    expect(result.body).toContain('Not an approver');
    expect(dynamo).not.toHaveReceivedCommand(UpdateCommand);
    expect(sfn).not.toHaveReceivedCommand(SendTaskSuccessCommand);
  });

  it("records the approver's keyed hash, never the raw id, on the approval and in the decision", async () => {
    await handler(await formEvent());

    expect(APPROVER).toMatch(/^[0-9a-f]{64}$/);
    expect(dynamo).toHaveReceivedCommandWith(UpdateCommand, {
      ExpressionAttributeValues: expect.objectContaining({ ':approverHash': APPROVER }),
    });
    const written = JSON.stringify([...dynamo.calls(), ...sfn.calls()].map((call) => call.args[0].input));
    expect(written).not.toContain('approver-dana');
  });
});

describe('decide approval (POST)', () => {
  it('approves: records APPROVED conditionally, then resumes the execution with the approver and report hash', async () => {
    const result = await handler(await formEvent());

    expect(result.statusCode).toBe(200);
    expect(result.headers?.['content-type']).toBe('text/html; charset=utf-8');
    expect(result.body).toContain('Erasure approved — the purge has started');
    expect(dynamo).toHaveReceivedCommandWith(UpdateCommand, {
      TableName: 'app-table',
      Key: approvalKey,
      UpdateExpression:
        'SET #status = :decision, decidedAt = :decidedAt, approverHash = :approverHash, deliveryUnconfirmedAt = :decidedAt',
      ConditionExpression: 'attribute_exists(pk) AND #status = :pending AND expiresAt > :now',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':decision': 'APPROVED',
        ':decidedAt': NOW.toISOString(),
        ':approverHash': APPROVER,
        ':pending': 'PENDING',
        ':now': NOW.toISOString(),
      },
      ReturnValues: 'ALL_NEW',
    });
    expect(sfn).toHaveReceivedCommandWith(SendTaskSuccessCommand, { taskToken: TOKEN });
    const output = sfn.commandCalls(SendTaskSuccessCommand)[0]?.args[0].input.output ?? '';
    expect(JSON.parse(output)).toEqual({
      decision: 'APPROVED',
      approverHash: APPROVER,
      reportSha256: REPORT_SHA,
      decidedAt: NOW.toISOString(),
    });
    expect(sfn).not.toHaveReceivedCommand(SendTaskFailureCommand);
  });

  it('sends the token the conditional write returned (a reminder may have replaced the one first read)', async () => {
    dynamo
      .on(UpdateCommand)
      .resolves({ Attributes: approvalItem({ status: 'APPROVED', taskToken: 'newer-token' }) });

    await handler(await formEvent());

    expect(sfn).toHaveReceivedCommandWith(SendTaskSuccessCommand, { taskToken: 'newer-token' });
  });

  it('rejects: records REJECTED and fails the waiting task with ErasureRejected', async () => {
    const result = await handler(await formEvent({ decision: 'reject' }));

    expect(result.statusCode).toBe(200);
    expect(result.body).toContain('Erasure rejected — nothing will be deleted');
    expect(dynamo).toHaveReceivedCommandWith(UpdateCommand, {
      ExpressionAttributeValues: expect.objectContaining({ ':decision': 'REJECTED' }),
    });
    expect(sfn).toHaveReceivedCommandWith(SendTaskFailureCommand, {
      taskToken: TOKEN,
      error: 'ErasureRejected',
      cause: JSON.stringify({ approverHash: APPROVER, decidedAt: NOW.toISOString() }),
    });
    expect(sfn).not.toHaveReceivedCommand(SendTaskSuccessCommand);
  });

  it('reads a form body that is not base64-encoded', async () => {
    const result = await handler(await formEvent({ base64: false }));

    expect(result.statusCode).toBe(200);
    expect(sfn).toHaveReceivedCommand(SendTaskSuccessCommand);
  });

  it('answers 409 to a replayed form without writing or calling Step Functions', async () => {
    givenApproval({ status: 'APPROVED', decidedAt: '2026-11-26T11:59:00.000Z', approverHash: APPROVER });

    const result = await handler(await formEvent());

    expect(result.statusCode).toBe(409);
    expect(result.body).toContain('already been decided');
    expect(dynamo).not.toHaveReceivedCommand(UpdateCommand);
    expectNoDecisionSent();
  });

  it('answers 409 to the reject link of an approval already approved', async () => {
    givenApproval({ status: 'APPROVED' });

    const result = await handler(await formEvent({ decision: 'reject' }));

    expect(result.statusCode).toBe(409);
    expectNoDecisionSent();
  });

  it('answers 409 without calling Step Functions when another decision wins the race after the read', async () => {
    dynamo
      .on(GetCommand, { Key: approvalKey })
      .resolvesOnce({ Item: approvalItem({}) })
      .resolves({
        Item: approvalItem({ status: 'REJECTED' }),
      });
    dynamo.on(UpdateCommand).rejects(conditionFailed());

    const result = await handler(await formEvent());

    expect(result.statusCode).toBe(409);
    expectNoDecisionSent();
  });

  it('answers 410 to an expired link without touching the table or Step Functions', async () => {
    jest.setSystemTime(new Date(EXPIRES * 1000));

    const result = await handler(await formEvent());

    expect(result.statusCode).toBe(410);
    expect(dynamo.calls()).toHaveLength(0);
    expectNoDecisionSent();
  });

  it('answers 410 when the approval window has closed, without writing or calling Step Functions', async () => {
    givenApproval({ expiresAt: '2026-11-26T11:59:59.999Z' });

    const result = await handler(await formEvent());

    expect(result.statusCode).toBe(410);
    expect(dynamo).not.toHaveReceivedCommand(UpdateCommand);
    expectNoDecisionSent();
  });

  it.each([
    ['a decision changed from reject to approve', { decision: 'approve' }, 'reject'],
    ['an expiry pushed back', { expires: String(EXPIRES + 3600) }, undefined],
    ['a forged signature', { signature: `B${'A'.repeat(41)}E` }, undefined],
    ['no signature', { signature: '' }, undefined],
  ] as const)(
    'answers 403 to a form with %s, before any table access or Step Functions call',
    async (_, fields, signedAs) => {
      const event = await formEvent(signedAs ? { decision: signedAs } : {});
      const form = new URLSearchParams(Buffer.from(event.body ?? '', 'base64').toString('utf8'));
      for (const [name, value] of Object.entries(fields)) form.set(name, value);
      event.body = Buffer.from(form.toString()).toString('base64');

      const result = await handler(event);

      expect(result.statusCode).toBe(403);
      expect(dynamo.calls()).toHaveLength(0);
      expectNoDecisionSent();
    },
  );

  it('answers 403 to a POST without a body', async () => {
    const event = fixture<PostEvent>('gdpr/decide-approval.json');
    delete event.body;

    const result = await handler(event);

    expect(result.statusCode).toBe(403);
    expectNoDecisionSent();
  });

  it('answers 403 to an oversized form body', async () => {
    const result = await handler(await formEvent({ fields: { padding: 'x'.repeat(5000) } }));

    expect(result.statusCode).toBe(403);
    expectNoDecisionSent();
  });

  it('answers 404 for an approval that does not exist, without writing', async () => {
    dynamo.on(GetCommand, { Key: approvalKey }).resolves({});

    const result = await handler(await formEvent());

    expect(result.statusCode).toBe(404);
    expect(dynamo).not.toHaveReceivedCommand(UpdateCommand);
    expectNoDecisionSent();
  });

  it.each([
    ['TaskTimedOut', () => new TaskTimedOut({ message: 'Task Timed Out', $metadata: {} })],
    ['TaskDoesNotExist', () => new TaskDoesNotExist({ message: 'Task does not exist', $metadata: {} })],
    ['InvalidToken', () => new InvalidToken({ message: 'Invalid token', $metadata: {} })],
  ])(
    'answers 410 and takes the decision back to PENDING when Step Functions answers the first call %s',
    async (_, error) => {
      sfn.on(SendTaskSuccessCommand).rejects(error());

      const result = await handler(await formEvent());

      expect(result.statusCode).toBe(410);
      expect(sfn).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 1);
      expect(result.body).toContain('The approval window has closed');
      expect(dynamo).toHaveReceivedCommandWith(UpdateCommand, {
        Key: approvalKey,
        UpdateExpression: 'SET #status = :pending REMOVE decidedAt, approverHash, deliveryUnconfirmedAt',
        ConditionExpression: '#status = :decision AND decidedAt = :decidedAt',
        ExpressionAttributeValues: {
          ':pending': 'PENDING',
          ':decision': 'APPROVED',
          ':decidedAt': NOW.toISOString(),
        },
      });
    },
  );

  it('answers 503 and takes the decision back when Step Functions throttles', async () => {
    sfn
      .on(SendTaskFailureCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $fault: 'client' }));

    const result = await handler(await formEvent({ decision: 'reject' }));

    expect(result.statusCode).toBe(503);
    expect(result.body).toContain('try again');
    expect(dynamo).toHaveReceivedCommandTimes(UpdateCommand, 2);
    expect(dynamo).toHaveReceivedNthSpecificCommandWith(2, UpdateCommand, {
      Key: approvalKey,
      ConditionExpression: '#status = :decision AND decidedAt = :decidedAt',
      ExpressionAttributeValues: {
        ':pending': 'PENDING',
        ':decision': 'REJECTED',
        ':decidedAt': NOW.toISOString(),
      },
    });
  });

  it('still answers 503 when the decision was already changed by someone else before it could be taken back', async () => {
    sfn
      .on(SendTaskSuccessCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $fault: 'client' }));
    dynamo
      .on(UpdateCommand)
      .resolvesOnce({ Attributes: approvalItem({ status: 'APPROVED' }) })
      .rejects(conditionFailed());

    const result = await handler(await formEvent());

    expect(result.statusCode).toBe(503);
  });

  describe('when Step Functions may have taken the decision without answering', () => {
    const timedOut = () => Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
    const serverError = () =>
      Object.assign(new Error('Internal failure'), { name: 'InternalServerError', $fault: 'server' });
    const invalidToken = () => new InvalidToken({ message: 'Invalid Token', $metadata: {} });
    const takeBack = {
      UpdateExpression: 'SET #status = :pending REMOVE decidedAt, approverHash, deliveryUnconfirmedAt',
    };
    /** The decision was written marked unconfirmed, and nothing cleared the mark. */
    const expectKeptUnconfirmed = (decision: 'APPROVED' | 'REJECTED') => {
      expect(dynamo).toHaveReceivedCommandWith(UpdateCommand, {
        Key: approvalKey,
        UpdateExpression: expect.stringContaining('deliveryUnconfirmedAt = :decidedAt'),
        ExpressionAttributeValues: expect.objectContaining({
          ':decision': decision,
          ':decidedAt': NOW.toISOString(),
        }),
      });
      expect(dynamo).not.toHaveReceivedCommandWith(UpdateCommand, {
        UpdateExpression: 'REMOVE deliveryUnconfirmedAt',
      });
    };

    it.each([
      ['a timeout', timedOut],
      ['a server error', serverError],
    ])(
      'keeps the decision, marks it unconfirmed and answers 503 when %s is followed by InvalidToken (the first call may have gone through)',
      async (_, lost) => {
        sfn.on(SendTaskSuccessCommand).rejectsOnce(lost()).rejects(invalidToken());

        const result = await handler(await formEvent());

        expect(result.statusCode).toBe(503);
        expect(result.body).toContain('Your decision has been recorded');
        expect(result.body).toContain('Do not submit it again');
        expect(sfn).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 2);
        expect(dynamo).not.toHaveReceivedCommandWith(UpdateCommand, takeBack);
        expectKeptUnconfirmed('APPROVED');
      },
    );

    it('keeps the decision when a timeout is followed by TaskTimedOut, rejecting as well as approving', async () => {
      sfn
        .on(SendTaskFailureCommand)
        .rejectsOnce(timedOut())
        .rejects(new TaskTimedOut({ message: 'Task Timed Out', $metadata: {} }));

      const result = await handler(await formEvent({ decision: 'reject' }));

      expect(result.statusCode).toBe(503);
      expect(dynamo).not.toHaveReceivedCommandWith(UpdateCommand, takeBack);
      expectKeptUnconfirmed('REJECTED');
    });

    it('keeps the decision after three attempts that all time out', async () => {
      sfn.on(SendTaskSuccessCommand).rejects(timedOut());

      const result = await handler(await formEvent());

      expect(result.statusCode).toBe(503);
      expect(sfn).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 3);
      expect(dynamo).not.toHaveReceivedCommandWith(UpdateCommand, takeBack);
      expectKeptUnconfirmed('APPROVED');
    });

    it('answers 200 when the call is repeated after a lost answer and goes through', async () => {
      sfn.on(SendTaskSuccessCommand).rejectsOnce(serverError()).resolves({});

      const result = await handler(await formEvent());

      expect(result.statusCode).toBe(200);
      expect(sfn).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 2);
      expect(dynamo).not.toHaveReceivedCommandWith(UpdateCommand, takeBack);
      expect(dynamo).toHaveReceivedCommandWith(UpdateCommand, {
        UpdateExpression: 'REMOVE deliveryUnconfirmedAt',
      });
    });

    it('records the decision as unconfirmed before sending it, so an invocation killed mid-delivery leaves it for the reminder', async () => {
      sfn.on(SendTaskSuccessCommand).callsFake(() => new Promise(() => undefined));

      void handler(await formEvent());
      await new Promise((resolve) => setTimeout(resolve, 50));

      expect(sfn).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 1);
      expect(dynamo).toHaveReceivedCommandTimes(UpdateCommand, 1);
      expect(dynamo).toHaveReceivedCommandWith(UpdateCommand, {
        UpdateExpression: expect.stringContaining('deliveryUnconfirmedAt = :decidedAt'),
      });
    });

    it('counts a 5xx whose parser marked it a client fault as unconfirmed, not refused', async () => {
      const mislabelled = Object.assign(new Error('Internal failure'), {
        name: 'InternalFailure',
        $fault: 'client',
        $metadata: { httpStatusCode: 500 },
      });
      sfn.on(SendTaskSuccessCommand).rejects(mislabelled);

      const result = await handler(await formEvent());

      expect(result.statusCode).toBe(503);
      expect(result.body).toContain('Your decision has been recorded');
      expect(dynamo).not.toHaveReceivedCommandWith(UpdateCommand, takeBack);
    });

    it('answers 503, keeping the decision as recorded, without a further write that could fail', async () => {
      sfn.on(SendTaskSuccessCommand).rejects(timedOut());
      dynamo
        .on(UpdateCommand)
        .resolvesOnce({ Attributes: approvalItem({ status: 'APPROVED' }) })
        .rejects(
          Object.assign(new Error('Throughput exceeded'), { name: 'ProvisionedThroughputExceededException' }),
        );

      const result = await handler(await formEvent());

      expect(result.statusCode).toBe(503);
      expect(result.body).toContain('Your decision has been recorded');
      expect(dynamo).not.toHaveReceivedCommandWith(UpdateCommand, takeBack);
      expect(dynamo).toHaveReceivedCommandTimes(UpdateCommand, 1);
    });
  });

  it('answers 410 without calling Step Functions when the window closes between the read and the write', async () => {
    dynamo
      .on(GetCommand, { Key: approvalKey })
      .resolvesOnce({ Item: approvalItem({}) })
      .resolves({
        Item: approvalItem({ expiresAt: NOW.toISOString() }),
      });
    dynamo.on(UpdateCommand).rejects(conditionFailed());

    const result = await handler(await formEvent());

    expect(result.statusCode).toBe(410);
    expectNoDecisionSent();
  });

  it('logs the approval and request ids, never the token, the signature or an email address', async () => {
    const logged: unknown[] = [];
    for (const method of ['info', 'warn', 'error', 'appendKeys'] as const) {
      jest.spyOn(logger, method).mockImplementation((...args: unknown[]) => {
        logged.push(args);
      });
    }
    sfn
      .on(SendTaskSuccessCommand)
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    const event = await formEvent();
    const signature =
      new URLSearchParams(Buffer.from(event.body ?? '', 'base64').toString()).get('signature') ?? '';

    await handler(event);
    await handler(event);

    const text = JSON.stringify(logged);
    expect(text).toContain(APPROVAL_ID);
    expect(text).toContain('7d2c4b1e-3f6a-4c8d-9e0f-1a2b3c4d5e6f');
    expect(text).not.toContain('AQCEAAAA');
    expect(text).not.toContain(signature);
    expect(text).not.toContain('@');
  });

  it('lets the approver decide after a throttled attempt was taken back', async () => {
    sfn
      .on(SendTaskSuccessCommand)
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));

    const first = await handler(await formEvent());
    const second = await handler(await formEvent());

    expect([first.statusCode, second.statusCode]).toEqual([503, 200]);
    expect(sfn).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 2);
  });
});
