import { fromCloudFormationTarget } from '../../../local/eventbridge/cloudformation-target';

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
});
