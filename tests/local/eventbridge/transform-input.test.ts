import { EventBridgeApiError } from '../../../local/eventbridge/errors';
import {
  type TransformContext,
  transformInput,
  validateTargetInput,
} from '../../../local/eventbridge/transform-input';
import type { EventBridgeEvent } from '../../../local/eventbridge/types';

/** The example event of the EventBridge input transformation guide. */
const event: EventBridgeEvent = {
  version: '0',
  id: '7bf73129-1428-4cd3-a780-95db273d1602',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '123456789012',
  time: '2015-11-11T21:29:54Z',
  region: 'us-east-1',
  resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111'],
  detail: { 'instance-id': 'i-0123456789', state: 'RUNNING' },
};

const context: TransformContext = {
  ruleName: 'example',
  ruleArn: 'arn:aws:events:us-east-2:123456789012:rule/example',
  ingestionTime: '2015-11-11T21:29:55.123Z',
};

const inputPathsMap = { timestamp: '$.time', instance: '$.detail.instance-id', state: '$.detail.state' };

function transformWith(inputTemplate: string, pathsMap: Record<string, string> = inputPathsMap): string {
  return transformInput({ inputTransformer: { inputPathsMap: pathsMap, inputTemplate } }, event, context);
}

describe('transformInput', () => {
  test('sends the whole event as JSON when no input is configured', () => {
    // Act
    const input = transformInput({}, event, context);
    // Assert
    expect(JSON.parse(input)).toEqual(event);
  });

  test('sends a constant Input unchanged', () => {
    // Act
    const input = transformInput({ input: '{"fixed":true}' }, event, context);
    // Assert
    expect(input).toBe('{"fixed":true}');
  });

  test('sends the part of the event selected by InputPath', () => {
    // Act
    const input = transformInput({ inputPath: '$.detail' }, event, context);
    // Assert
    expect(JSON.parse(input)).toEqual({ 'instance-id': 'i-0123456789', state: 'RUNNING' });
  });

  test('sends null when InputPath selects nothing', () => {
    // Act
    const input = transformInput({ inputPath: '$.detail.missing' }, event, context);
    // Assert
    expect(input).toBe('null');
  });

  test('fills a quoted string template with raw text', () => {
    // Act
    const input = transformWith('"instance <instance> is in <state>"');
    // Assert
    expect(input).toBe('"instance i-0123456789 is in RUNNING"');
  });

  test('quotes string values placed as JSON values', () => {
    // Act
    const input = transformWith('{"instance" : <instance>, "state": <state>}');
    // Assert
    expect(JSON.parse(input)).toEqual({ instance: 'i-0123456789', state: 'RUNNING' });
  });

  test('mixes variables inside strings, as values and among constants', () => {
    // Arrange
    const template =
      '{"instance": <instance>, "state": [9, <state>, true], "status": "instance \\"<instance>\\" is in <state>"}';
    // Act
    const input = transformWith(template);
    // Assert
    expect(JSON.parse(input)).toEqual({
      instance: 'i-0123456789',
      state: [9, 'RUNNING', true],
      status: 'instance "i-0123456789" is in RUNNING',
    });
  });

  test('keeps numbers, objects and arrays as JSON values', () => {
    // Arrange
    const pathsMap = { detail: '$.detail', resources: '$.resources', version: '$.version' };
    // Act
    const input = transformWith('{"d": <detail>, "r": <resources>}', pathsMap);
    // Assert
    expect(JSON.parse(input)).toEqual({ d: event.detail, r: event.resources });
  });

  test('removes the quotes of an object placed inside a string', () => {
    // Act
    const input = transformWith('{"text": "Detail is <detail>"}', { detail: '$.detail' });
    // Assert
    expect(JSON.parse(input)).toEqual({ text: 'Detail is {instance-id:i-0123456789,state:RUNNING}' });
  });

  test('escapes quotes of a string value inside a JSON string so the result stays JSON', () => {
    // Arrange
    const quoted = { ...event, detail: { note: 'say "hi"' } };
    // Act
    const input = transformInput(
      { inputTransformer: { inputPathsMap: { note: '$.detail.note' }, inputTemplate: '{"n": "<note>"}' } },
      quoted,
      context,
    );
    // Assert
    expect(JSON.parse(input)).toEqual({ n: 'say "hi"' });
  });

  test('substitutes null for a missing path used as a JSON value and nothing inside a string', () => {
    // Act
    const input = transformWith('{"a": <gone>, "b": "x<gone>y"}', { gone: '$.detail.missing' });
    // Assert
    expect(JSON.parse(input)).toEqual({ a: null, b: 'xy' });
  });

  test('treats a template that is not JSON as plain text', () => {
    // Act
    const input = transformWith('Instance <instance> is <state>, missing: <gone>.', {
      ...inputPathsMap,
      gone: '$.nothing',
    });
    // Assert
    expect(input).toBe('Instance i-0123456789 is RUNNING, missing: .');
  });

  test('collects every match of a wildcard path into a list', () => {
    // Arrange
    const listed = { ...event, detail: { items: [{ id: 'a' }, { id: 'b' }] } };
    // Act
    const input = transformInput(
      {
        inputTransformer: { inputPathsMap: { ids: '$.detail.items[*].id' }, inputTemplate: '{"ids": <ids>}' },
      },
      listed,
      context,
    );
    // Assert
    expect(JSON.parse(input)).toEqual({ ids: ['a', 'b'] });
  });

  test('fills the predefined rule, event and ingestion-time variables', () => {
    // Arrange
    const template =
      '{"ruleArn": <aws.events.rule-arn>, "ruleName": <aws.events.rule-name>, "at": <aws.events.event.ingestion-time>, "original": <aws.events.event>, "full": <aws.events.event.json>}';
    // Act
    const input = JSON.parse(transformWith(template, {}));
    // Assert
    const { detail: _detail, ...withoutDetail } = event;
    expect(input).toEqual({
      ruleArn: context.ruleArn,
      ruleName: 'example',
      at: context.ingestionTime,
      original: withoutDetail,
      full: event,
    });
  });

  test('fills a predefined variable inside a string', () => {
    // Act
    const input = transformWith('"<aws.events.rule-name> triggered"', {});
    // Assert
    expect(input).toBe('"example triggered"');
  });

  test('leaves an undefined placeholder as written', () => {
    // Act
    const input = transformWith('"<unknown> stays"', {});
    // Assert
    expect(input).toBe('"<unknown> stays"');
  });
});

describe('validateTargetInput', () => {
  test.each([
    ['more than one input option', { input: '{}', inputPath: '$.detail' }, /Only one of/],
    ['an Input that is not JSON', { input: 'not json' }, /Input must be valid JSON/],
    ['an InputPath that is not a JSONPath', { inputPath: 'detail' }, /JSONPath/],
    [
      'a variable named like a predefined one',
      { inputTransformer: { inputPathsMap: { 'aws.events.rule-name': '$.id' }, inputTemplate: '""' } },
      /cannot redefine/,
    ],
  ])('rejects %s', (_name, target, reason) => {
    // Act
    const validate = () => validateTargetInput(target);
    // Assert
    expect(validate).toThrow(EventBridgeApiError);
    expect(validate).toThrow(reason);
  });
});
