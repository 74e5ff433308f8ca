import type { IncomingHttpHeaders } from 'node:http';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SESClient, SendEmailCommand } from '@aws-sdk/client-ses';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { identifyService } from '../../../local/services';
import { clientConfig, type RunningServices, startServices } from './harness';

describe('services router', () => {
  let services: RunningServices;

  beforeAll(async () => {
    services = await startServices();
  });

  afterAll(async () => {
    await services.close();
  });

  const post = (headers: Record<string, string>, body: string) =>
    fetch(`${services.endpoint}/`, { method: 'POST', headers, body });

  it('identifies the service from X-Amz-Target or the SigV4 credential scope', () => {
    const scope = (service: string) => ({
      authorization: `AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=00`,
    });

    expect(identifyService({ 'x-amz-target': 'RekognitionService.DetectLabels' })).toBe('rekognition');
    expect(identifyService({ 'x-amz-target': 'AmazonSSM.GetParameter' })).toBe('ssm');
    expect(identifyService({ 'x-amz-target': 'AWSEvents.PutEvents' })).toBeUndefined();
    expect(identifyService(scope('ses'))).toBe('ses');
    expect(identifyService(scope('sns'))).toBe('sns');
    expect(identifyService(scope('s3'))).toBeUndefined();
  });

  it('identifies requests the real SDK clients send', async () => {
    const seenHeaders: IncomingHttpHeaders[] = [];
    const recorder = http.createServer((req, res) => {
      seenHeaders.push(req.headers);
      res.writeHead(500).end();
    });
    await new Promise<void>((resolve) => recorder.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(recorder.address() as AddressInfo).port}`;
    const clients = [
      new SESClient(clientConfig(endpoint)),
      new SNSClient(clientConfig(endpoint)),
      new SecretsManagerClient(clientConfig(endpoint)),
    ] as const;

    await Promise.allSettled([
      clients[0].send(new SendEmailCommand({ Source: 'a@x.test', Destination: {}, Message: undefined })),
      clients[1].send(new PublishCommand({ TopicArn: 'arn:aws:sns:us-east-1:1:t', Message: 'm' })),
      clients[2].send(new GetSecretValueCommand({ SecretId: 'x' })),
    ]);
    for (const client of clients) client.destroy();
    await new Promise((resolve) => recorder.close(resolve));

    expect(seenHeaders.map(identifyService).sort()).toEqual(['secretsmanager', 'ses', 'sns']);
  });

  it('answers an unknown JSON target with UnknownOperationException', async () => {
    const response = await post(
      { 'x-amz-target': 'AWSEvents.PutEvents', 'content-type': 'application/x-amz-json-1.1' },
      '{}',
    );

    expect(response.status).toBe(400);
    expect(response.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
    expect(((await response.json()) as { __type: string }).__type).toBe('UnknownOperationException');
  });

  it('answers a body that is not JSON with SerializationException', async () => {
    const response = await post({ 'x-amz-target': 'AmazonSSM.GetParameter' }, '{oops');

    expect(response.status).toBe(400);
    expect(((await response.json()) as { __type: string }).__type).toBe('SerializationException');
  });

  it('answers an unknown query action with an InvalidAction error document', async () => {
    const response = await post(
      { 'content-type': 'application/x-www-form-urlencoded' },
      'Action=DeleteTopic&Version=2010-03-31',
    );

    expect(response.status).toBe(400);
    expect(await response.text()).toContain('<Code>InvalidAction</Code>');
  });
});
