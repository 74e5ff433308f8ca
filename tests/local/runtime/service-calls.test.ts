import { callService, unsupportedServiceReason } from '../../../local/runtime/service-calls';
import { UnsupportedIntegrationError } from '../../../local/stepfunctions/integrations';

describe('service integrations of the local runtime', () => {
  it('names the services it can call when asked about one it cannot', () => {
    // Act
    const reason = unsupportedServiceReason('sqs', 'SendMessage');
    // Assert
    expect(reason).toMatch(
      /^the local runtime has no integration for the service 'sqs' \(it has dynamodb, s3, /,
    );
  });

  it('knows the actions of the services it can call', () => {
    // Act / Assert
    expect(unsupportedServiceReason('dynamodb', 'PutItem')).toBeUndefined();
    expect(unsupportedServiceReason('dynamodb', 'FlyToTheMoon')).toBe(
      "the service 'dynamodb' has no action FlyToTheMoon",
    );
  });

  it('rejects a call to an unsupported service with UnsupportedIntegrationError, not a service error', async () => {
    // Act
    const call = callService('sqs', 'SendMessage', { QueueUrl: 'q', MessageBody: 'hi' });
    // Assert
    await expect(call).rejects.toBeInstanceOf(UnsupportedIntegrationError);
    await expect(call).rejects.toThrow("no integration for the service 'sqs'");
  });
});
