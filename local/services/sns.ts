import { randomUUID } from 'node:crypto';
import { ServiceError } from './errors';
import { findLinks } from './links';
import { formatSnsForLog } from './log-format';
import { nextSendTime, type SnsMessageAttribute, type SnsOutboxMessage, writeOutboxMessage } from './outbox';
import { type QueryActionHandler, type QueryParams, readEntryMap } from './query-protocol';

/** SNS Publish to declared topics, delivered to the local outbox (no subscriptions are served). */

export const SNS_XML_NAMESPACE = 'http://sns.amazonaws.com/doc/2010-03-31/';

export interface TopicDeclaration {
  arn: string;
  name: string;
}

export interface SnsOptions {
  dataDir: string;
  topics: TopicDeclaration[];
  log: (line: string) => void;
}

const MAX_MESSAGE_BYTES = 256 * 1024;
const MAX_SUBJECT_LENGTH = 100;

export function createSnsHandler(options: SnsOptions): QueryActionHandler {
  let fifoSequence = 0n;
  return async (action, params) => {
    if (action !== 'Publish') {
      throw new ServiceError('InvalidAction', `The action ${action} is not valid for this web service.`);
    }
    const message = readPublish(params, options.topics);
    writeOutboxMessage(options.dataDir, message);
    for (const line of formatSnsForLog(message)) options.log(line);
    if (!message.topicArn.endsWith('.fifo')) return { MessageId: message.id };
    fifoSequence += 1n;
    return { MessageId: message.id, SequenceNumber: fifoSequence.toString().padStart(20, '0') };
  };
}

function readPublish(params: QueryParams, topics: TopicDeclaration[]): SnsOutboxMessage {
  if (params.get('PhoneNumber')) {
    throw new ServiceError(
      'InvalidParameter',
      'Invalid parameter: PhoneNumber Reason: the local stand-in only publishes to topics',
    );
  }
  const topicArn = params.get('TopicArn') || params.get('TargetArn');
  if (!topicArn) {
    throw new ServiceError(
      'InvalidParameter',
      'Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter',
    );
  }
  if (!topics.some((topic) => topic.arn === topicArn))
    throw new ServiceError('NotFound', 'Topic does not exist', 404);
  const message = params.get('Message');
  if (!message) throw new ServiceError('InvalidParameter', 'Invalid parameter: Empty message');
  if (Buffer.byteLength(message) > MAX_MESSAGE_BYTES) {
    throw new ServiceError('InvalidParameter', 'Invalid parameter: Message too long');
  }
  if (params.get('MessageStructure') === 'json') validateJsonStructure(message);
  const subject = params.get('Subject') ?? null;
  if (subject !== null) validateSubject(subject);
  const messageGroupId = params.get('MessageGroupId') || null;
  if (topicArn.endsWith('.fifo') && !messageGroupId) {
    throw new ServiceError(
      'InvalidParameter',
      'Invalid parameter: The MessageGroupId parameter is required for FIFO topics',
    );
  }
  const sentAt = nextSendTime();
  return {
    kind: 'sns',
    id: randomUUID(),
    sentAt: sentAt.toISOString(),
    topicArn,
    subject,
    message,
    messageAttributes: readMessageAttributes(params),
    messageGroupId,
    messageDeduplicationId: params.get('MessageDeduplicationId') || null,
    links: findLinks(message),
  };
}

/** Subjects are ASCII text without line breaks, 1 to 100 characters, as SNS requires. */
function validateSubject(subject: string): void {
  if (subject.length === 0 || subject.length > MAX_SUBJECT_LENGTH || !/^[\x20-\x7e]*$/.test(subject)) {
    throw new ServiceError('InvalidParameter', 'Invalid parameter: Subject');
  }
}

function validateJsonStructure(message: string): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch {
    throw new ServiceError(
      'InvalidParameter',
      'Invalid parameter: Message Structure - JSON message body failed to parse',
    );
  }
  if (
    typeof parsed !== 'object' ||
    parsed === null ||
    typeof (parsed as { default?: unknown }).default !== 'string'
  ) {
    throw new ServiceError(
      'InvalidParameter',
      'Invalid parameter: Message Structure - No default entry in JSON message body',
    );
  }
}

function readMessageAttributes(params: QueryParams): Record<string, SnsMessageAttribute> {
  const attributes: Record<string, SnsMessageAttribute> = {};
  for (const [name, fields] of readEntryMap(params, 'MessageAttributes')) {
    const dataType = fields.get('DataType');
    if (!dataType) {
      throw new ServiceError(
        'ParameterValueInvalid',
        `The message attribute '${name}' must contain a non-empty data type.`,
      );
    }
    const baseType = dataType.split('.')[0];
    const stringValue = fields.get('StringValue');
    const binaryValue = fields.get('BinaryValue');
    const value = baseType === 'Binary' ? binaryValue : stringValue;
    if (!value) {
      throw new ServiceError(
        'ParameterValueInvalid',
        `The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${dataType}'.`,
      );
    }
    if (baseType !== 'String' && baseType !== 'Number' && baseType !== 'Binary') {
      throw new ServiceError(
        'ParameterValueInvalid',
        `The message attribute '${name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.`,
      );
    }
    if (baseType === 'Number' && !Number.isFinite(Number(value))) {
      throw new ServiceError(
        'ParameterValueInvalid',
        `Could not cast message attribute '${name}' value to number.`,
      );
    }
    attributes[name] =
      baseType === 'Binary'
        ? { DataType: dataType, BinaryValue: value }
        : { DataType: dataType, StringValue: value };
  }
  return attributes;
}
