import * as fs from 'node:fs';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, GetParametersCommand, SSMClient } from '@aws-sdk/client-ssm';
import { type SecretDeclaration, secretsFilePath } from '../../../local/services';
import {
  ACCOUNT_ID,
  clientConfig,
  makeDataDir,
  REGION,
  type RunningServices,
  rejectionOf,
  startServices,
} from './harness';

const secretArn = (name: string) => `arn:aws:secretsmanager:${REGION}:${ACCOUNT_ID}:secret:${name}-AbC123`;

const SECRETS: SecretDeclaration[] = [
  {
    arn: secretArn('signing-key'),
    name: 'signing-key',
    generate: { passwordLength: 48, excludePunctuation: true, excludeCharacters: 'abc' },
  },
  {
    arn: secretArn('db-credentials'),
    name: 'db-credentials',
    generate: {
      secretStringTemplate: '{"username":"app"}',
      generateStringKey: 'password',
      passwordLength: 20,
    },
  },
  { arn: secretArn('api-token'), name: 'api-token', secretString: 'fixed-token' },
];

describe('Secrets Manager stand-in', () => {
  const dataDir = makeDataDir();
  let services: RunningServices;
  let secrets: SecretsManagerClient;

  beforeAll(async () => {
    services = await startServices({ dataDir, secrets: SECRETS });
    secrets = new SecretsManagerClient(clientConfig(services.endpoint));
  });

  afterAll(async () => {
    secrets.destroy();
    await services.close();
  });

  const secretStringOf = async (secretId: string) =>
    (await secrets.send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString;

  it('generates a password that follows the declared spec', async () => {
    const value = await secretStringOf('signing-key');

    expect(value).toMatch(/^[A-Za-z0-9]{48}$/);
    expect(value).not.toMatch(/[abc]/);
  });

  it('puts a generated password into the template under the generate key', async () => {
    const value = JSON.parse((await secretStringOf('db-credentials')) ?? '{}');

    expect(value.username).toBe('app');
    expect(value.password).toHaveLength(20);
  });

  it('finds a secret by name, full ARN and ARN without the random suffix', async () => {
    const byName = await secrets.send(new GetSecretValueCommand({ SecretId: 'api-token' }));
    const byArn = await secretStringOf(secretArn('api-token'));
    const byPartialArn = await secretStringOf(
      `arn:aws:secretsmanager:${REGION}:${ACCOUNT_ID}:secret:api-token`,
    );

    expect(byName).toMatchObject({
      ARN: secretArn('api-token'),
      Name: 'api-token',
      SecretString: 'fixed-token',
      VersionStages: ['AWSCURRENT'],
    });
    expect(byName.CreatedDate).toBeInstanceOf(Date);
    expect(byArn).toBe('fixed-token');
    expect(byPartialArn).toBe('fixed-token');
  });

  it('answers ResourceNotFoundException for an unknown secret', async () => {
    const error = await rejectionOf(secrets.send(new GetSecretValueCommand({ SecretId: 'missing' })));

    expect(error.name).toBe('ResourceNotFoundException');
    expect(error.message).toBe("Secrets Manager can't find the specified secret.");
  });

  it('keeps generated values across a restart on the same data directory', async () => {
    const before = await secrets.send(new GetSecretValueCommand({ SecretId: 'signing-key' }));
    const restarted = await startServices({ dataDir, secrets: SECRETS });
    const restartedClient = new SecretsManagerClient(clientConfig(restarted.endpoint));

    const after = await restartedClient.send(new GetSecretValueCommand({ SecretId: 'signing-key' }));
    restartedClient.destroy();
    await restarted.close();

    expect(after.SecretString).toBe(before.SecretString);
    expect(after.VersionId).toBe(before.VersionId);
    expect(
      JSON.parse(fs.readFileSync(secretsFilePath(dataDir), 'utf8')).secrets['signing-key'].secretString,
    ).toBe(before.SecretString);
  });

  it('generates different values in different data directories', async () => {
    const other = await startServices({ secrets: SECRETS });
    const otherClient = new SecretsManagerClient(clientConfig(other.endpoint));

    const elsewhere = await otherClient.send(new GetSecretValueCommand({ SecretId: 'signing-key' }));
    otherClient.destroy();
    await other.close();

    expect(elsewhere.SecretString).not.toBe(await secretStringOf('signing-key'));
  });
});

describe('SSM Parameter Store stand-in', () => {
  let services: RunningServices;
  let ssm: SSMClient;

  beforeAll(async () => {
    services = await startServices({
      parameters: [
        { name: '/app/bucket', value: 'photos', type: 'String' },
        { name: '/app/sizes', value: 'small,large', type: 'StringList' },
        { name: '/app/api-key', value: 'sekret', type: 'SecureString' },
      ],
    });
    ssm = new SSMClient(clientConfig(services.endpoint));
  });

  afterAll(async () => {
    ssm.destroy();
    await services.close();
  });

  it('returns a parameter with its type, version and ARN', async () => {
    const { Parameter } = await ssm.send(new GetParameterCommand({ Name: '/app/bucket' }));

    expect(Parameter).toMatchObject({
      Name: '/app/bucket',
      Type: 'String',
      Value: 'photos',
      Version: 1,
      ARN: `arn:aws:ssm:${REGION}:${ACCOUNT_ID}:parameter/app/bucket`,
      DataType: 'text',
    });
    expect(Parameter?.LastModifiedDate).toBeInstanceOf(Date);
  });

  it('reveals a SecureString only WithDecryption', async () => {
    const hidden = await ssm.send(new GetParameterCommand({ Name: '/app/api-key' }));
    const shown = await ssm.send(new GetParameterCommand({ Name: '/app/api-key', WithDecryption: true }));

    expect(hidden.Parameter?.Value).not.toContain('sekret');
    expect(shown.Parameter?.Value).toBe('sekret');
  });

  it('finds a parameter by ARN and by version selector', async () => {
    const byArn = await ssm.send(
      new GetParameterCommand({ Name: `arn:aws:ssm:${REGION}:${ACCOUNT_ID}:parameter/app/sizes` }),
    );
    const byVersion = await ssm.send(new GetParameterCommand({ Name: '/app/sizes:1' }));

    expect(byArn.Parameter?.Value).toBe('small,large');
    expect(byVersion.Parameter).toMatchObject({ Name: '/app/sizes', Selector: ':1', Value: 'small,large' });
  });

  it('answers ParameterNotFound for an unknown parameter', async () => {
    const error = await rejectionOf(ssm.send(new GetParameterCommand({ Name: '/app/missing' })));

    expect(error.name).toBe('ParameterNotFound');
  });

  it('lists unknown names of GetParameters under InvalidParameters', async () => {
    const result = await ssm.send(
      new GetParametersCommand({ Names: ['/app/bucket', '/app/missing', '/app/sizes'] }),
    );

    expect(result.Parameters?.map((parameter) => parameter.Name)).toEqual(['/app/bucket', '/app/sizes']);
    expect(result.InvalidParameters).toEqual(['/app/missing']);
  });
});
