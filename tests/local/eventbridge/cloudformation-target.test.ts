import {
  type CloudFormationTarget,
  fromCloudFormationTarget,
  UnsupportedTargetPropertyError,
} from '../../../local/eventbridge/cloudformation-target';

describe('fromCloudFormationTarget', () => {
  test('converts a template target with an input transformer and retry policy', () => {
    // Arrange
    const target = {
      Id: 'Resize',
      Arn: 'arn:aws:lambda:us-east-1:123456789012:function:resize',
      InputTransformer: { InputPathsMap: { key: '$.detail.key' }, InputTemplate: '{"key": <key>}' },
      RetryPolicy: { MaximumRetryAttempts: 4 },
    };
    // Act
    const converted = fromCloudFormationTarget(target);
    // Assert
    expect(converted).toEqual({
      id: 'Resize',
      arn: 'arn:aws:lambda:us-east-1:123456789012:function:resize',
      inputTransformer: { inputPathsMap: { key: '$.detail.key' }, inputTemplate: '{"key": <key>}' },
      retryPolicy: { maximumRetryAttempts: 4 },
    });
  });

  test('keeps a constant Input and leaves unset options out', () => {
    // Act
    const converted = fromCloudFormationTarget({ Id: 'T', Arn: 'arn:t', Input: '{"a":1}' });
    // Assert
    expect(converted).toEqual({ id: 'T', arn: 'arn:t', input: '{"a":1}' });
  });

  test('keeps a DeadLetterConfig queue ARN and accepts (ignores) RoleArn, as IAM is not enforced locally', () => {
    // Act
    const converted = fromCloudFormationTarget({
      Id: 'T',
      Arn: 'arn:t',
      RoleArn: 'arn:aws:iam::123456789012:role/events',
      DeadLetterConfig: { Arn: 'arn:aws:sqs:us-east-1:123456789012:dlq' },
    });
    // Assert
    expect(converted).toEqual({
      id: 'T',
      arn: 'arn:t',
      deadLetterConfig: { arn: 'arn:aws:sqs:us-east-1:123456789012:dlq' },
    });
  });

  test.each([
    ['a target parameter block', { SqsParameters: { MessageGroupId: 'g' } }, 'SqsParameters'],
    [
      'an unknown InputTransformer field',
      { InputTransformer: { InputTemplate: '"x"', InputPaths: {} } },
      'InputTransformer.InputPaths',
    ],
    ['an unknown RetryPolicy field', { RetryPolicy: { MaxAttempts: 1 } }, 'RetryPolicy.MaxAttempts'],
  ])('refuses %s instead of silently dropping it', (_name, extra, property) => {
    // Arrange
    const target = { Id: 'T', Arn: 'arn:t', ...extra } as unknown as CloudFormationTarget;
    // Act
    const convert = () => fromCloudFormationTarget(target);
    // Assert
    expect(convert).toThrow(UnsupportedTargetPropertyError);
    expect(convert).toThrow(expect.objectContaining({ property }));
  });
});
