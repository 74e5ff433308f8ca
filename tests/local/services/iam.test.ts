/**
 * The services port as the runtime serves it: the IAM guard in front of the SES, SNS, Secrets
 * Manager, SSM, Rekognition and CloudFront stand-ins, and of the EventBridge and Step Functions
 * APIs (answered here by a stand-in that records what reached it).
 */
import fs from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { CloudFrontClient, CreateInvalidationCommand } from '@aws-sdk/client-cloudfront';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DetectLabelsCommand, RekognitionClient } from '@aws-sdk/client-rekognition';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SESClient, SendEmailCommand } from '@aws-sdk/client-ses';
import { SendTaskSuccessCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { Credentials } from '../../../local/iam';
import {
  createCloudFrontHandler,
  createServicesHandler,
  DeclaredLabelsVisionEngine,
  guarded,
  isCloudFrontRequest,
  replayed,
  runtimeFacts,
} from '../../../local/services';
import {
  ACCOUNT_ID,
  type AccessFixture,
  ADMIN,
  accessFixture,
  DISTRIBUTION_ID,
  PARAMETER,
  REGION,
  SENDER,
  TOPIC_ARN,
} from '../iam/access-fixture';
import { rejectionOf } from './harness';

const TASK_TOKEN = `AQ${Buffer.alloc(48, 7).toString('base64')}`;

interface Running {
  fixture: AccessFixture;
  /** X-Amz-Target of each EventBridge and Step Functions call that got past the guard. */
  reached: string[];
  config(credentials: Credentials): {
    endpoint: string;
    region: string;
    credentials: Credentials;
    maxAttempts: 1;
  };
  close(): Promise<void>;
}

async function start(options: { enforce?: boolean } = {}): Promise<Running> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'services-iam-'));
  const fixture = accessFixture(dataDir, options);
  const secrets = [{ arn: fixture.secretArn, name: 'iam-api-key', secretString: 's3cr3t' }];
  const services = createServicesHandler({
    dataDir,
    region: REGION,
    accountId: ACCOUNT_ID,
    topics: [{ arn: TOPIC_ARN, name: 'iam-alerts' }],
    secrets,
    parameters: [{ name: PARAMETER, value: 'hello', type: 'String' }],
    vision: new DeclaredLabelsVisionEngine(),
    log: () => undefined,
  });
  const cloudFront = createCloudFrontHandler({ distributionIds: [DISTRIBUTION_ID], log: () => undefined });
  const reached: string[] = [];
  const answer = (request: IncomingMessage, response: ServerResponse, body: Buffer) => {
    const target = String(request.headers['x-amz-target'] ?? '');
    if (isCloudFrontRequest(request)) cloudFront(request, response, body.toString('utf8'));
    else if (target.startsWith('AWSEvents.') || target.startsWith('AWSStepFunctions.')) {
      reached.push(target);
      const result = target.endsWith('PutEvents')
        ? { FailedEntryCount: 0, Entries: [{ EventId: '1' }] }
        : target.endsWith('StartExecution')
          ? {
              executionArn: `${fixture.stateMachineArn.replace(':stateMachine:', ':execution:')}:run`,
              startDate: 1,
            }
          : {};
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' }).end(JSON.stringify(result));
    } else replayed(services)(request, response, body);
  };
  const server: Server = createServer(
    guarded(
      {
        access: fixture.access,
        region: REGION,
        accountId: ACCOUNT_ID,
        facts: runtimeFacts({
          stateMachineOfTaskToken: (token) => (token === TASK_TOKEN ? fixture.stateMachineArn : undefined),
          secrets,
        }),
        log: () => undefined,
      },
      answer,
    ),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    fixture,
    reached,
    config: (credentials) => ({ endpoint, region: REGION, credentials, maxAttempts: 1 }),
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const denial = (error: Error & Record<string, unknown>) => [
  error.name,
  (error.$metadata as { httpStatusCode?: number }).httpStatusCode,
];

describe('the services port with IAM enforced', () => {
  let running: Running;
  let reader: Credentials;
  let nobody: Credentials;
  let who: { reader: string; nobody: string };

  beforeAll(async () => {
    running = await start();
    reader = running.fixture.readerCredentials;
    nobody = running.fixture.nobodyCredentials;
    who = { reader: running.fixture.reader.sessionArn, nobody: running.fixture.nobody.sessionArn };
  });
  afterAll(() => running.close());

  const publish = (credentials: Credentials) =>
    new SNSClient(running.config(credentials)).send(
      new PublishCommand({ TopicArn: TOPIC_ARN, Message: 'hi' }),
    );

  it('lets a role publish to the topic it is allowed, and the administrator too', async () => {
    await expect(publish(reader)).resolves.toMatchObject({ MessageId: expect.any(String) });
    await expect(publish(ADMIN)).resolves.toMatchObject({ MessageId: expect.any(String) });
  });

  it('refuses an SNS Publish with AuthorizationError 403 naming principal, action and topic', async () => {
    const error = await rejectionOf(publish(nobody));

    expect(denial(error)).toEqual(['AuthorizationErrorException', 403]);
    expect(error.message).toBe(
      `User: ${who.nobody} is not authorized to perform: sns:Publish on resource: ${TOPIC_ARN} because no identity-based policy allows the sns:Publish action`,
    );
  });

  it('lets a role send email from its allowed identity and refuses another sender with AccessDenied 403', async () => {
    const ses = new SESClient(running.config(reader));
    const send = (source: string) =>
      ses.send(
        new SendEmailCommand({
          Source: source,
          Destination: { ToAddresses: ['approver@example.com'] },
          Message: { Subject: { Data: 'Hi' }, Body: { Text: { Data: 'Hello' } } },
        }),
      );

    await expect(send(SENDER)).resolves.toMatchObject({ MessageId: expect.any(String) });
    const error = await rejectionOf(send('other@example.com'));

    expect(denial(error)).toEqual(['AccessDenied', 403]);
    expect(error.message).toContain(
      `ses:SendEmail on resource: arn:aws:ses:${REGION}:${ACCOUNT_ID}:identity/other@example.com`,
    );
  });

  it('authorizes a secret named by name on its full ARN', async () => {
    const get = (credentials: Credentials) =>
      new SecretsManagerClient(running.config(credentials)).send(
        new GetSecretValueCommand({ SecretId: 'iam-api-key' }),
      );

    await expect(get(reader)).resolves.toMatchObject({ SecretString: 's3cr3t' });
    const error = await rejectionOf(get(nobody));

    expect(denial(error)).toEqual(['AccessDeniedException', 400]);
    expect(error.message).toContain(
      `secretsmanager:GetSecretValue on resource: ${running.fixture.secretArn}`,
    );
  });

  it('lets a role read a parameter under its allowed path and refuses a role without ssm:GetParameter', async () => {
    const get = (credentials: Credentials) =>
      new SSMClient(running.config(credentials)).send(new GetParameterCommand({ Name: PARAMETER }));

    await expect(get(reader)).resolves.toMatchObject({ Parameter: { Value: 'hello' } });
    const error = await rejectionOf(get(nobody));

    expect(denial(error)).toEqual(['AccessDeniedException', 400]);
    expect(error.message).toContain(
      `ssm:GetParameter on resource: arn:aws:ssm:${REGION}:${ACCOUNT_ID}:parameter/iam/greeting`,
    );
  });

  it('refuses Rekognition DetectLabels to a role without it, on resource *', async () => {
    const error = await rejectionOf(
      new RekognitionClient(running.config(nobody)).send(
        new DetectLabelsCommand({ Image: { Bytes: Buffer.from('not an image') } }),
      ),
    );

    expect(denial(error)).toEqual(['AccessDeniedException', 400]);
    expect(error.message).toContain('rekognition:DetectLabels on resource: *');
  });

  it('lets a role invalidate a distribution it is allowed and refuses one without the permission with AccessDenied 403', async () => {
    const invalidate = (credentials: Credentials) =>
      new CloudFrontClient(running.config(credentials)).send(
        new CreateInvalidationCommand({
          DistributionId: DISTRIBUTION_ID,
          InvalidationBatch: {
            CallerReference: `ref-${credentials.accessKeyId}`,
            Paths: { Quantity: 1, Items: ['/a.jpg'] },
          },
        }),
      );

    await expect(invalidate(reader)).resolves.toMatchObject({ Invalidation: { Status: 'Completed' } });
    const error = await rejectionOf(invalidate(nobody));

    expect(denial(error)).toEqual(['AccessDenied', 403]);
    expect(error.message).toContain(
      `cloudfront:CreateInvalidation on resource: arn:aws:cloudfront::${ACCOUNT_ID}:distribution/${DISTRIBUTION_ID}`,
    );
  });

  it('refuses PutEvents on the default bus to a role without events:PutEvents, and lets the allowed role through', async () => {
    const put = (credentials: Credentials) =>
      new EventBridgeClient(running.config(credentials)).send(
        new PutEventsCommand({ Entries: [{ Source: 'app', DetailType: 'test', Detail: '{}' }] }),
      );

    await put(reader);
    const error = await rejectionOf(put(nobody));

    expect(denial(error)).toEqual(['AccessDeniedException', 400]);
    expect(error.message).toContain(
      `events:PutEvents on resource: arn:aws:events:${REGION}:${ACCOUNT_ID}:event-bus/default`,
    );
    expect(running.reached.filter((target) => target === 'AWSEvents.PutEvents')).toHaveLength(1);
  });

  it("authorizes SendTaskSuccess on the state machine the task token's execution belongs to", async () => {
    const succeed = (credentials: Credentials) =>
      new SFNClient(running.config(credentials)).send(
        new SendTaskSuccessCommand({ taskToken: TASK_TOKEN, output: '{}' }),
      );

    await succeed(reader);
    const error = await rejectionOf(succeed(nobody));

    expect(denial(error)).toEqual(['AccessDeniedException', 400]);
    expect(error.message).toContain(`states:SendTaskSuccess on resource: ${running.fixture.stateMachineArn}`);
  });

  it('hands a SendTaskSuccess whose token no execution waits on to Step Functions, which answers it', async () => {
    const unknownToken = `AQ${Buffer.alloc(48, 9).toString('base64')}`;

    await new SFNClient(running.config(nobody)).send(
      new SendTaskSuccessCommand({ taskToken: unknownToken, output: '{}' }),
    );

    expect(running.reached.at(-1)).toBe('AWSStepFunctions.SendTaskSuccess');
  });

  it('refuses StartExecution to a role without states:StartExecution on the state machine', async () => {
    const error = await rejectionOf(
      new SFNClient(running.config(nobody)).send(
        new StartExecutionCommand({ stateMachineArn: running.fixture.stateMachineArn, input: '{}' }),
      ),
    );

    expect(denial(error)).toEqual(['AccessDeniedException', 400]);
    expect(error.message).toContain(
      `User: ${who.nobody} is not authorized to perform: states:StartExecution`,
    );
  });

  it('refuses an unknown key and a wrong secret with the query services’ InvalidClientTokenId and SignatureDoesNotMatch', async () => {
    const unknown = await rejectionOf(publish({ accessKeyId: 'AKIDNOBODYGAVE', secretAccessKey: 'x' }));
    const wrongSecret = await rejectionOf(publish({ ...reader, secretAccessKey: 'not-the-secret' }));

    expect([...denial(unknown), unknown.message]).toEqual([
      'InvalidClientTokenId',
      403,
      'The security token included in the request is invalid.',
    ]);
    expect(denial(wrongSecret)).toEqual(['SignatureDoesNotMatch', 403]);
  });

  it('refuses a role key with another session token, or none, with the JSON services’ UnrecognizedClientException', async () => {
    const { sessionToken: _token, ...withoutToken } = reader;
    const get = (credentials: Credentials) =>
      new SSMClient(running.config(credentials)).send(new GetParameterCommand({ Name: PARAMETER }));

    const wrong = await rejectionOf(get({ ...reader, sessionToken: 'another-token' }));
    const missing = await rejectionOf(get(withoutToken));

    expect(denial(wrong)).toEqual(['UnrecognizedClientException', 400]);
    expect(denial(missing)).toEqual(['UnrecognizedClientException', 400]);
  });

  it('refuses an Authorization header without its Signature with IncompleteSignature 400', async () => {
    const { endpoint } = running.config(reader);
    const response = await fetch(endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-amz-date': '20261206T120000Z',
        authorization: `AWS4-HMAC-SHA256 Credential=${reader.accessKeyId}/20261206/${REGION}/sns/aws4_request, SignedHeaders=host;x-amz-date`,
      },
      body: `Action=Publish&Version=2010-03-31&TopicArn=${encodeURIComponent(TOPIC_ARN)}&Message=hi`,
    });
    const text = await response.text();

    expect(response.status).toBe(400);
    expect(text).toContain('<Code>IncompleteSignature</Code>');
    expect(text).toContain('Authorization header requires &apos;Signature&apos; parameter.');
  });

  it('refuses an unsigned query request with MissingAuthenticationToken 403', async () => {
    const { endpoint } = running.config(reader);
    const response = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `Action=Publish&Version=2010-03-31&TopicArn=${encodeURIComponent(TOPIC_ARN)}&Message=hi`,
    });

    expect(response.status).toBe(403);
    expect(await response.text()).toContain('<Code>MissingAuthenticationToken</Code>');
  });
});

describe('the services port with IAM enforcement off', () => {
  let running: Running;

  beforeAll(async () => {
    running = await start({ enforce: false });
  });
  afterAll(() => running.close());

  it('lets a role publish where its policy does not allow it, and still refuses a wrong secret', async () => {
    const publish = (credentials: Credentials) =>
      new SNSClient(running.config(credentials)).send(
        new PublishCommand({ TopicArn: TOPIC_ARN, Message: 'hi' }),
      );
    const nobody = running.fixture.nobodyCredentials;

    await expect(publish(nobody)).resolves.toMatchObject({ MessageId: expect.any(String) });
    const error = await rejectionOf(publish({ ...nobody, secretAccessKey: 'not-the-secret' }));

    expect(denial(error)).toEqual(['SignatureDoesNotMatch', 403]);
  });
});
