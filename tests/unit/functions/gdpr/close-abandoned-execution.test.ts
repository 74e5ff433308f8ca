import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { fixture } from '../../../helpers/fixtures';
import { handlerOf, REQUEST_ID } from './setup';

const dynamo = mockClient(DynamoDBDocumentClient);
const sns = mockClient(SNSClient);
const TOPIC = 'arn:aws:sns:us-east-1:123456789012:erasure-outcomes';
const USER_HASH = 'c'.repeat(64);
const requestKey = { pk: `ERASURE#${REQUEST_ID}`, sk: 'ERASURE' };

const handler = handlerOf(
  { OUTCOME_TOPIC_ARN: TOPIC },
  () => import('../../../../functions/gdpr/close-abandoned-execution'),
);

type StatusChange = { detail: { status: string; name: string } };

function givenRequest(fields: Record<string, unknown>) {
  dynamo.on(GetCommand, { Key: requestKey }).resolves({
    Item: {
      ...requestKey,
      entity: 'erasure-request',
      requestId: REQUEST_ID,
      requesterId: 'user-alice',
      userHash: USER_HASH,
      status: 'AWAITING_APPROVAL',
      createdAt: '2026-11-26T12:00:00.000Z',
      updatedAt: '2026-11-26T12:00:00.000Z',
      ...fields,
    },
  });
}

beforeEach(() => {
  dynamo.reset();
  sns.reset();
  dynamo.on(PutCommand).resolves({});
  dynamo.on(UpdateCommand).resolves({});
  dynamo.on(DeleteCommand).resolves({});
  sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
});

describe('an erasure execution ended outside the flow', () => {
  it.each([
    ['ABORTED', 'ExecutionAborted'],
    ['TIMED_OUT', 'ExecutionTimedOut'],
    ['FAILED', 'ExecutionFailed'],
  ])('closes the request stuck in AWAITING_APPROVAL when it ends %s, recording %s', async (status, error) => {
    givenRequest({});
    const event = fixture<StatusChange>('gdpr/close-abandoned-execution.json');
    event.detail.status = status;

    const result = await handler(event);

    expect(result).toEqual({ closedNow: true, status: 'FAILED' });
    expect(dynamo).toHaveReceivedCommandWith(PutCommand, {
      Item: expect.objectContaining({ entity: 'erasure-audit', outcome: 'FAILED', decision: 'NONE', error }),
    });
    expect(dynamo).toHaveReceivedCommandWith(UpdateCommand, {
      Key: requestKey,
      UpdateExpression: expect.stringContaining('REMOVE requesterId'),
      ExpressionAttributeValues: expect.objectContaining({ ':outcome': 'FAILED' }),
    });
  });

  it("releases the user's lock and lifts the upload hold, so a new request can be made", async () => {
    givenRequest({});

    await handler(fixture('gdpr/close-abandoned-execution.json'));

    expect(dynamo).toHaveReceivedCommandWith(DeleteCommand, {
      Key: { pk: `ERASURE_ACTIVE#${USER_HASH}`, sk: 'ERASURE_ACTIVE' },
      ExpressionAttributeValues: { ':requestId': REQUEST_ID },
    });
    expect(dynamo).toHaveReceivedCommandWith(DeleteCommand, {
      Key: { pk: 'UPLOAD_HOLD#user-alice', sk: 'UPLOAD_HOLD' },
      ExpressionAttributeValues: { ':requestId': REQUEST_ID },
    });
  });

  it('tells the outcome topic, with the reason and without user data', async () => {
    givenRequest({});

    await handler(fixture('gdpr/close-abandoned-execution.json'));

    expect(sns).toHaveReceivedCommandWith(PublishCommand, {
      TopicArn: TOPIC,
      Subject: 'Happy Path erasure request FAILED',
    });
    const message = String(sns.commandCalls(PublishCommand)[0]?.args[0].input.Message);
    expect(JSON.parse(message)).toMatchObject({
      requestId: REQUEST_ID,
      status: 'FAILED',
      error: 'ExecutionAborted',
    });
    expect(message).not.toContain('user-alice');
  });

  it('records the decision APPROVED for a request stopped while purging', async () => {
    givenRequest({ status: 'PURGING' });

    await handler(fixture('gdpr/close-abandoned-execution.json'));

    expect(dynamo).toHaveReceivedCommandWith(PutCommand, {
      Item: expect.objectContaining({ entity: 'erasure-audit', decision: 'APPROVED' }),
    });
  });

  it('leaves a request the flow closed itself as it is and publishes nothing again', async () => {
    givenRequest({ status: 'PARTIALLY_FAILED', requesterId: undefined });
    const event = fixture<StatusChange>('gdpr/close-abandoned-execution.json');
    event.detail.status = 'FAILED';

    const result = await handler(event);

    expect(result).toEqual({ closedNow: false, status: 'PARTIALLY_FAILED' });
    expect(dynamo).not.toHaveReceivedCommand(UpdateCommand);
    expect(dynamo).not.toHaveReceivedCommand(PutCommand);
    expect(sns).not.toHaveReceivedCommand(PublishCommand);
  });

  it('publishes nothing when another close won the race', async () => {
    givenRequest({});
    dynamo
      .on(UpdateCommand)
      .rejects(
        new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }),
      );

    const result = await handler(fixture('gdpr/close-abandoned-execution.json'));

    expect(result.closedNow).toBe(false);
    expect(sns).not.toHaveReceivedCommand(PublishCommand);
  });

  it('fails with InvalidTaskInputError for an execution whose name is not a request id', async () => {
    const event = fixture<StatusChange>('gdpr/close-abandoned-execution.json');
    event.detail.name = 'not-a-request';

    await expect(handler(event)).rejects.toMatchObject({ name: 'InvalidTaskInputError' });
    expect(dynamo).not.toHaveReceivedCommand(UpdateCommand);
  });
});
