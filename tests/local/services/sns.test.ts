import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { readOutbox, type SnsOutboxMessage } from '../../../local/services';
import {
  ACCOUNT_ID,
  clientConfig,
  REGION,
  type RunningServices,
  rejectionOf,
  startServices,
} from './harness';

const TOPIC_ARN = `arn:aws:sns:${REGION}:${ACCOUNT_ID}:moderation-alerts`;
const FIFO_TOPIC_ARN = `arn:aws:sns:${REGION}:${ACCOUNT_ID}:ordered.fifo`;

describe('SNS stand-in', () => {
  let services: RunningServices;
  let sns: SNSClient;

  beforeAll(async () => {
    services = await startServices({
      topics: [
        { arn: TOPIC_ARN, name: 'moderation-alerts' },
        { arn: FIFO_TOPIC_ARN, name: 'ordered.fifo' },
      ],
    });
    sns = new SNSClient(clientConfig(services.endpoint));
  });

  afterAll(async () => {
    sns.destroy();
    await services.close();
  });

  const lastNotification = () => readOutbox(services.dataDir).at(-1) as SnsOutboxMessage;

  it('saves a published message with its subject and attributes to the outbox', async () => {
    const result = await sns.send(
      new PublishCommand({
        TopicArn: TOPIC_ARN,
        Subject: 'Photo flagged',
        Message: 'Review https://app.test/review/42',
        MessageAttributes: {
          photoId: { DataType: 'String', StringValue: '42' },
          score: { DataType: 'Number', StringValue: '91.5' },
          thumb: { DataType: 'Binary', BinaryValue: Buffer.from([1, 2, 3]) },
        },
      }),
    );

    expect(lastNotification()).toEqual({
      kind: 'sns',
      id: result.MessageId,
      sentAt: expect.any(String),
      topicArn: TOPIC_ARN,
      subject: 'Photo flagged',
      message: 'Review https://app.test/review/42',
      messageAttributes: {
        photoId: { DataType: 'String', StringValue: '42' },
        score: { DataType: 'Number', StringValue: '91.5' },
        thumb: { DataType: 'Binary', BinaryValue: Buffer.from([1, 2, 3]).toString('base64') },
      },
      messageGroupId: null,
      messageDeduplicationId: null,
      links: ['https://app.test/review/42'],
    });
  });

  it('prints the topic, subject, message and its links', async () => {
    services.logLines.length = 0;

    await sns.send(
      new PublishCommand({ TopicArn: TOPIC_ARN, Subject: 'Hello', Message: 'Open https://app.test/a' }),
    );

    expect(services.logLines).toEqual(
      expect.arrayContaining([
        `  Topic:   ${TOPIC_ARN}`,
        '  Subject: Hello',
        '  Open https://app.test/a',
        'https://app.test/a',
      ]),
    );
  });

  it('answers NotFoundException for a topic that was not declared', async () => {
    const error = await rejectionOf(
      sns.send(new PublishCommand({ TopicArn: `arn:aws:sns:${REGION}:${ACCOUNT_ID}:nope`, Message: 'x' })),
    );

    expect(error.name).toBe('NotFoundException');
    expect(error.message).toBe('Topic does not exist');
  });

  it('answers InvalidParameterException for an empty message', async () => {
    const error = await rejectionOf(sns.send(new PublishCommand({ TopicArn: TOPIC_ARN, Message: '' })));

    expect(error.name).toBe('InvalidParameterException');
    expect(error.message).toBe('Invalid parameter: Empty message');
  });

  it('answers InvalidParameterException for a subject with a line break', async () => {
    const error = await rejectionOf(
      sns.send(new PublishCommand({ TopicArn: TOPIC_ARN, Subject: 'two\nlines', Message: 'x' })),
    );

    expect(error.name).toBe('InvalidParameterException');
    expect(error.message).toBe('Invalid parameter: Subject');
  });

  it('answers InvalidParameterValueException for an attribute without a value', async () => {
    const error = await rejectionOf(
      sns.send(
        new PublishCommand({
          TopicArn: TOPIC_ARN,
          Message: 'x',
          MessageAttributes: { empty: { DataType: 'String', StringValue: '' } },
        }),
      ),
    );

    expect(error.name).toBe('InvalidParameterValueException');
  });

  it('requires a MessageGroupId on a FIFO topic and returns a sequence number', async () => {
    const missingGroup = await rejectionOf(
      sns.send(new PublishCommand({ TopicArn: FIFO_TOPIC_ARN, Message: 'x' })),
    );

    const first = await sns.send(
      new PublishCommand({ TopicArn: FIFO_TOPIC_ARN, Message: 'a', MessageGroupId: 'g' }),
    );
    const second = await sns.send(
      new PublishCommand({ TopicArn: FIFO_TOPIC_ARN, Message: 'b', MessageGroupId: 'g' }),
    );

    expect(missingGroup.name).toBe('InvalidParameterException');
    expect(first.SequenceNumber).toMatch(/^\d{20}$/);
    expect(BigInt(second.SequenceNumber ?? '0')).toBeGreaterThan(BigInt(first.SequenceNumber ?? '0'));
  });
});
