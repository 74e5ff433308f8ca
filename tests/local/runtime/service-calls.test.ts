import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
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

  it("signs a call with the credentials it is given (a state machine role's), a client per key", async () => {
    // Arrange
    const seen: IncomingHttpHeaders[] = [];
    const server = createServer((request, response) => {
      seen.push(request.headers);
      request.resume();
      request.on('end', () => {
        response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
        response.end('{"TableNames":[]}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const previous = process.env.AWS_ENDPOINT_URL_DYNAMODB;
    process.env.AWS_ENDPOINT_URL_DYNAMODB = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      // Act
      for (const [accessKeyId, sessionToken] of [
        ['ASIAMACHINEONE', 'token-one'],
        ['ASIAMACHINETWO', 'token-two'],
      ] as const) {
        await callService('dynamodb', 'ListTables', {}, undefined, {
          accessKeyId,
          secretAccessKey: 'secret',
          sessionToken,
        });
      }
    } finally {
      if (previous === undefined) delete process.env.AWS_ENDPOINT_URL_DYNAMODB;
      else process.env.AWS_ENDPOINT_URL_DYNAMODB = previous;
      await new Promise((resolve) => server.close(resolve));
    }
    // Assert
    expect(seen.map((headers) => /Credential=([A-Z]+)\//.exec(String(headers.authorization))?.[1])).toEqual([
      'ASIAMACHINEONE',
      'ASIAMACHINETWO',
    ]);
    expect(seen.map((headers) => headers['x-amz-security-token'])).toEqual(['token-one', 'token-two']);
  });

  it('rejects a call to an unsupported service with UnsupportedIntegrationError, not a service error', async () => {
    // Act
    const call = callService('sqs', 'SendMessage', { QueueUrl: 'q', MessageBody: 'hi' });
    // Assert
    await expect(call).rejects.toBeInstanceOf(UnsupportedIntegrationError);
    await expect(call).rejects.toThrow("no integration for the service 'sqs'");
  });
});
