import {
  accessDeniedError,
  authorizationsFor,
  type EvaluationResult,
  IamPolicyError,
  integrationRequest,
  type ServiceRequest,
} from '../../../local/iam';

const WHERE = { region: 'eu-west-1', accountId: '123456789012' };
const request = (
  service: string,
  operation: string,
  params: Record<string, unknown>,
  facts?: ServiceRequest['facts'],
) =>
  authorizationsFor({ service, operation, params, ...WHERE, ...(facts ? { facts } : {}) }).map(
    ({ action, resource }) => [action, resource],
  );

describe('authorizationsFor: S3', () => {
  it.each([
    ['GetObject', { Bucket: 'b', Key: 'p/k.jpg' }, [['s3:GetObject', 'arn:aws:s3:::b/p/k.jpg']]],
    ['GetObject', { Bucket: 'b', Key: 'k', VersionId: 'v1' }, [['s3:GetObjectVersion', 'arn:aws:s3:::b/k']]],
    ['HeadObject', { Bucket: 'b', Key: 'k' }, [['s3:GetObject', 'arn:aws:s3:::b/k']]],
    ['HeadObject', { Bucket: 'b', Key: 'k', VersionId: 'v1' }, [['s3:GetObjectVersion', 'arn:aws:s3:::b/k']]],
    ['PutObject', { Bucket: 'b', Key: 'k' }, [['s3:PutObject', 'arn:aws:s3:::b/k']]],
    ['PostObject', { Bucket: 'b', Key: 'k' }, [['s3:PutObject', 'arn:aws:s3:::b/k']]],
    ['DeleteObject', { Bucket: 'b', Key: 'k' }, [['s3:DeleteObject', 'arn:aws:s3:::b/k']]],
    [
      'DeleteObject',
      { Bucket: 'b', Key: 'k', VersionId: 'v' },
      [['s3:DeleteObjectVersion', 'arn:aws:s3:::b/k']],
    ],
    ['ListObjectsV2', { Bucket: 'b', Prefix: 'p/' }, [['s3:ListBucket', 'arn:aws:s3:::b']]],
    ['ListObjectVersions', { Bucket: 'b', Prefix: 'p/' }, [['s3:ListBucketVersions', 'arn:aws:s3:::b']]],
    [
      'CopyObject',
      { Bucket: 'd', Key: 'k2', CopySource: 'b/k1?versionId=v' },
      [
        ['s3:GetObjectVersion', 'arn:aws:s3:::b/k1'],
        ['s3:PutObject', 'arn:aws:s3:::d/k2'],
      ],
    ],
  ])('maps %s %j to %j', (operation, params, expected) => {
    expect(request('s3', operation, params)).toEqual(expected);
  });

  it('authorizes DeleteObjects key by key, with s3:DeleteObjectVersion for a named version', () => {
    expect(
      request('s3', 'DeleteObjects', {
        Bucket: 'b',
        Delete: { Objects: [{ Key: 'a' }, { Key: 'b', VersionId: 'v' }] },
      }),
    ).toEqual([
      ['s3:DeleteObject', 'arn:aws:s3:::b/a'],
      ['s3:DeleteObjectVersion', 'arn:aws:s3:::b/b'],
    ]);
  });

  it('gives ListBucket its s3:prefix condition key', () => {
    expect(
      authorizationsFor({
        service: 's3',
        operation: 'ListObjectsV2',
        params: { Bucket: 'b', Prefix: 'p/' },
        ...WHERE,
      })[0]?.context,
    ).toEqual({
      's3:prefix': 'p/',
    });
  });
});

describe('authorizationsFor: the other services the functions call', () => {
  it.each([
    [
      'dynamodb',
      'GetItem',
      { TableName: 't' },
      [['dynamodb:GetItem', 'arn:aws:dynamodb:eu-west-1:123456789012:table/t']],
    ],
    [
      'dynamodb',
      'Query',
      { TableName: 't' },
      [['dynamodb:Query', 'arn:aws:dynamodb:eu-west-1:123456789012:table/t']],
    ],
    [
      'dynamodb',
      'Query',
      { TableName: 't', IndexName: 'ByUser' },
      [['dynamodb:Query', 'arn:aws:dynamodb:eu-west-1:123456789012:table/t/index/ByUser']],
    ],
    [
      'dynamodb',
      'BatchWriteItem',
      { RequestItems: { t: [], u: [] } },
      [
        ['dynamodb:BatchWriteItem', 'arn:aws:dynamodb:eu-west-1:123456789012:table/t'],
        ['dynamodb:BatchWriteItem', 'arn:aws:dynamodb:eu-west-1:123456789012:table/u'],
      ],
    ],
    [
      'events',
      'PutEvents',
      { Entries: [{ EventBusName: 'bus' }, { EventBusName: 'bus' }, {}] },
      [
        ['events:PutEvents', 'arn:aws:events:eu-west-1:123456789012:event-bus/bus'],
        ['events:PutEvents', 'arn:aws:events:eu-west-1:123456789012:event-bus/default'],
      ],
    ],
    [
      'states',
      'StartExecution',
      { stateMachineArn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:m' },
      [['states:StartExecution', 'arn:aws:states:eu-west-1:123456789012:stateMachine:m']],
    ],
    [
      'states',
      'DescribeExecution',
      { executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:m:e' },
      [['states:DescribeExecution', 'arn:aws:states:eu-west-1:123456789012:execution:m:e']],
    ],
    ['rekognition', 'DetectLabels', { Image: { Bytes: 'x' } }, [['rekognition:DetectLabels', '*']]],
    [
      'rekognition',
      'DetectModerationLabels',
      { Image: { S3Object: { Bucket: 'b', Name: 'k', Version: 'v' } } },
      [
        ['rekognition:DetectModerationLabels', '*'],
        ['s3:GetObjectVersion', 'arn:aws:s3:::b/k'],
      ],
    ],
    [
      'ses',
      'SendEmail',
      { Source: 'Happy Path <no-reply@example.com>' },
      [['ses:SendEmail', 'arn:aws:ses:eu-west-1:123456789012:identity/no-reply@example.com']],
    ],
    [
      'sns',
      'Publish',
      { TopicArn: 'arn:aws:sns:eu-west-1:123456789012:t' },
      [['sns:Publish', 'arn:aws:sns:eu-west-1:123456789012:t']],
    ],
    [
      'secretsmanager',
      'GetSecretValue',
      { SecretId: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:s-AbC123' },
      [['secretsmanager:GetSecretValue', 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:s-AbC123']],
    ],
    [
      'ssm',
      'GetParameter',
      { Name: '/app/JwtIssuer' },
      [['ssm:GetParameter', 'arn:aws:ssm:eu-west-1:123456789012:parameter/app/JwtIssuer']],
    ],
    [
      'cloudfront',
      'CreateInvalidation',
      { DistributionId: 'E123' },
      [['cloudfront:CreateInvalidation', 'arn:aws:cloudfront::123456789012:distribution/E123']],
    ],
    [
      'lambda',
      'Invoke',
      { FunctionName: 'fn', Qualifier: 'live' },
      [['lambda:InvokeFunction', 'arn:aws:lambda:eu-west-1:123456789012:function:fn:live']],
    ],
  ])('maps %s %s %j to %j', (service, operation, params, expected) => {
    expect(request(service, operation, params)).toEqual(expected);
  });

  it('authorizes SendTaskSuccess on the state machine its task token belongs to', () => {
    const machine = 'arn:aws:states:eu-west-1:123456789012:stateMachine:erasure';
    expect(
      request('states', 'SendTaskSuccess', { taskToken: 't' }, { taskStateMachineArn: machine }),
    ).toEqual([['states:SendTaskSuccess', machine]]);
    expect(() => request('states', 'SendTaskSuccess', { taskToken: 't' })).toThrow(IamPolicyError);
  });

  it('names the SES domain identity when the sender is verified through its domain', () => {
    expect(request('ses', 'SendEmail', { Source: 'a@example.com' }, { sesIdentity: 'example.com' })).toEqual([
      ['ses:SendEmail', 'arn:aws:ses:eu-west-1:123456789012:identity/example.com'],
    ]);
  });

  it('gives SendEmail its ses:FromAddress and ses:Recipients condition keys', () => {
    const [authorization] = authorizationsFor({
      service: 'ses',
      operation: 'SendEmail',
      params: {
        Source: 'a@example.com',
        Destination: { ToAddresses: ['b@example.com'], CcAddresses: ['c@example.com'] },
      },
      ...WHERE,
    });
    expect(authorization?.context).toEqual({
      'ses:FromAddress': 'a@example.com',
      'ses:Recipients': ['b@example.com', 'c@example.com'],
    });
  });

  it('refuses to guess a secret ARN from a name, and an operation it has no mapping for', () => {
    expect(() => request('secretsmanager', 'GetSecretValue', { SecretId: 'name' })).toThrow(
      "secretsmanager:GetSecretValue on 'name' needs the secret's full ARN (facts.secretArn)",
    );
    expect(() => request('s3', 'PutBucketAcl', { Bucket: 'b' })).toThrow(
      's3:PutBucketAcl has no authorization mapping',
    );
  });
});

describe('integrationRequest: state machine Tasks', () => {
  it.each([
    [
      'arn:aws:states:::dynamodb:updateItem',
      { TableName: 't' },
      [['dynamodb:UpdateItem', 'arn:aws:dynamodb:eu-west-1:123456789012:table/t']],
    ],
    [
      'arn:aws:states:::dynamodb:getItem',
      { TableName: 't' },
      [['dynamodb:GetItem', 'arn:aws:dynamodb:eu-west-1:123456789012:table/t']],
    ],
    [
      'arn:aws:states:::events:putEvents',
      { Entries: [{ EventBusName: 'bus' }] },
      [['events:PutEvents', 'arn:aws:events:eu-west-1:123456789012:event-bus/bus']],
    ],
    [
      'arn:aws:states:::sns:publish',
      { TopicArn: 'arn:aws:sns:eu-west-1:123456789012:t' },
      [['sns:Publish', 'arn:aws:sns:eu-west-1:123456789012:t']],
    ],
    [
      'arn:aws:states:::lambda:invoke.waitForTaskToken',
      { FunctionName: 'arn:aws:lambda:eu-west-1:123456789012:function:f' },
      [['lambda:InvokeFunction', 'arn:aws:lambda:eu-west-1:123456789012:function:f']],
    ],
    [
      'arn:aws:lambda:eu-west-1:123456789012:function:f',
      {},
      [['lambda:InvokeFunction', 'arn:aws:lambda:eu-west-1:123456789012:function:f']],
    ],
  ])('maps %s %j to %j', (resource, parameters, expected) => {
    expect(
      authorizationsFor(integrationRequest(resource, parameters, WHERE)).map((a) => [a.action, a.resource]),
    ).toEqual(expected);
  });
});

describe('accessDeniedError', () => {
  const implicit: EvaluationResult = { decision: 'ImplicitDeny', deniedBy: 'identity-based', reason: '' };
  const session = 'arn:aws:sts::123456789012:assumed-role/r/s';

  it('answers S3 with AccessDenied (403) and the resource in quotes', () => {
    expect(accessDeniedError('s3', session, 's3:GetObject', 'arn:aws:s3:::b/k', implicit)).toEqual({
      code: 'AccessDenied',
      statusCode: 403,
      message:
        'User: arn:aws:sts::123456789012:assumed-role/r/s is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::b/k" because no identity-based policy allows the s3:GetObject action',
    });
  });

  it('answers the JSON services with AccessDeniedException (400), SNS with AuthorizationError (403)', () => {
    const explicit: EvaluationResult = { decision: 'ExplicitDeny', deniedBy: 'identity-based', reason: '' };
    expect(accessDeniedError('states', session, 'states:StartExecution', 'arn:m', explicit)).toEqual({
      code: 'AccessDeniedException',
      statusCode: 400,
      message:
        'User: arn:aws:sts::123456789012:assumed-role/r/s is not authorized to perform: states:StartExecution on resource: arn:m with an explicit deny in an identity-based policy',
    });
    expect(accessDeniedError('sns', session, 'sns:Publish', 'arn:t', implicit).code).toBe(
      'AuthorizationError',
    );
  });
});
