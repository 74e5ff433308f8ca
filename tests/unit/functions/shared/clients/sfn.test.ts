import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { singleAttemptConfig } from '#clients/sfn';

describe('the single-attempt Step Functions client', () => {
  let server: Server;
  let endpoint: string;

  beforeAll(async () => {
    // Accepts the connection and never answers, like a call lost on the way back.
    server = createServer(() => undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('gives up on a call that is never answered after its request timeout, once', async () => {
    const client = new SFNClient({
      ...singleAttemptConfig,
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
    });

    // Without throwOnRequestTimeout the call would hang on past this test's own timeout.
    await expect(
      client.send(new SendTaskSuccessCommand({ taskToken: 't', output: '{}' })),
    ).rejects.toMatchObject({
      name: 'TimeoutError',
    });
  }, 15_000);
});
