import { bucketNameProblem, type ResourceModel, TemplateError } from '../../../local/template';
import { errorOf, resolveYaml } from './helpers';

describe('defaultResourceModel', () => {
  it('generates deterministic, valid lower-case bucket names', () => {
    const text = 'Resources:\n  UploadBucket: {Type: AWS::S3::Bucket}\n';
    const first = resolveYaml(text, { stackName: 'Happy-Path-Backend-With-A-Really-Long-Stack-Name-Indeed' });
    const second = resolveYaml(text, {
      stackName: 'Happy-Path-Backend-With-A-Really-Long-Stack-Name-Indeed',
    });
    const name = String(first.resources.UploadBucket?.physicalId);

    expect(name).toBe(second.resources.UploadBucket?.physicalId);
    expect(name).toMatch(/^happy-path-backend-.*-uploadbucket-[a-z0-9]{12}$/);
    expect(name.length).toBeLessThanOrEqual(63);
    expect(bucketNameProblem(name)).toBeUndefined();
  });

  it('gives different stacks different generated names', () => {
    const text = 'Resources:\n  UploadBucket: {Type: AWS::S3::Bucket}\n';

    expect(resolveYaml(text, { stackName: 'a' }).resources.UploadBucket?.physicalId).not.toBe(
      resolveYaml(text, { stackName: 'b' }).resources.UploadBucket?.physicalId,
    );
  });

  it.each([
    ['ab', 'must be 3 to 63 characters long'],
    ['Upper', 'may only contain lower-case letters, digits, dots and hyphens'],
    ['-abc', 'must begin and end with a letter or digit'],
    ['a..b', 'must not contain two adjacent dots'],
    ['192.168.1.1', 'must not look like an IP address'],
    ['xn--abc', 'must not start with a reserved prefix'],
  ])('finds bucket name %s invalid', (name, problem) => {
    expect(bucketNameProblem(name)).toBe(problem);
  });

  it('rejects an invalid BucketName given in the template', () => {
    const error = errorOf(() =>
      resolveYaml('Resources:\n  B:\n    Type: AWS::S3::Bucket\n    Properties: {BucketName: Bad_Name}\n'),
    );

    expect(error).toBeInstanceOf(TemplateError);
    expect(error.message).toContain("Resources.B: BucketName 'Bad_Name' is not a valid S3 bucket name");
  });

  it('gives realistic Ref and Fn::GetAtt values for the types the app uses', () => {
    const stack = resolveYaml(`
Resources:
  Photos: {Type: AWS::S3::Bucket, Properties: {BucketName: photos}}
  Table: {Type: AWS::DynamoDB::Table, Properties: {TableName: app, StreamSpecification: {StreamViewType: NEW_IMAGE}}}
  Bus: {Type: AWS::Events::EventBus, Properties: {Name: app-bus}}
  Rule: {Type: AWS::Events::Rule, Properties: {Name: on-upload, EventBusName: !Ref Bus}}
  Fn: {Type: AWS::Serverless::Function, Properties: {FunctionName: resize}}
  Layer: {Type: AWS::Serverless::LayerVersion, Properties: {LayerName: sdk}}
  Flow: {Type: AWS::Serverless::StateMachine, Properties: {Name: v1}}
  Machine: {Type: AWS::StepFunctions::StateMachine, Properties: {StateMachineName: v2}}
  Topic: {Type: AWS::SNS::Topic, Properties: {TopicName: news}}
  Queue: {Type: AWS::SQS::Queue, Properties: {QueueName: jobs}}
  Logs: {Type: AWS::Logs::LogGroup, Properties: {LogGroupName: /app/logs}}
  Param: {Type: AWS::SSM::Parameter, Properties: {Name: /app/x, Type: String, Value: v}}
  Api: {Type: AWS::Serverless::HttpApi}
  Cdn: {Type: AWS::CloudFront::Distribution}
  Oac: {Type: AWS::CloudFront::OriginAccessControl}
  Secret: {Type: AWS::SecretsManager::Secret, Properties: {Name: app/secret}}
  Key: {Type: AWS::KMS::Key}
  Alarm: {Type: AWS::CloudWatch::Alarm, Properties: {AlarmName: failures}}
Outputs:
  BucketArn: {Value: !GetAtt Photos.Arn}
  BucketDomain: {Value: !GetAtt Photos.DomainName}
  BucketWebsite: {Value: !GetAtt Photos.WebsiteURL}
  TableArn: {Value: !GetAtt Table.Arn}
  TableStream: {Value: !GetAtt Table.StreamArn}
  BusArn: {Value: !GetAtt Bus.Arn}
  RuleRef: {Value: !Ref Rule}
  RuleArn: {Value: !GetAtt Rule.Arn}
  FnArn: {Value: !GetAtt Fn.Arn}
  FnRoleArn: {Value: !GetAtt FnRole.Arn}
  LayerRef: {Value: !Ref Layer}
  FlowRef: {Value: !Ref Flow}
  FlowName: {Value: !GetAtt Flow.Name}
  MachineRef: {Value: !Ref Machine}
  TopicRef: {Value: !Ref Topic}
  QueueRef: {Value: !Ref Queue}
  QueueArn: {Value: !GetAtt Queue.Arn}
  LogsArn: {Value: !GetAtt Logs.Arn}
  ParamRef: {Value: !Ref Param}
  ApiEndpoint: {Value: !GetAtt Api.ApiEndpoint}
  CdnDomain: {Value: !GetAtt Cdn.DomainName}
  OacRef: {Value: !Ref Oac}
  SecretRef: {Value: !Ref Secret}
  KeyArn: {Value: !GetAtt Key.Arn}
  AlarmRef: {Value: !Ref Alarm}
  AlarmArn: {Value: !GetAtt Alarm.Arn}
`);
    const values = Object.fromEntries(
      Object.entries(stack.outputs).map(([name, output]) => [name, output.value]),
    );

    expect(values).toMatchObject({
      BucketArn: 'arn:aws:s3:::photos',
      BucketDomain: 'photos.s3.amazonaws.com',
      BucketWebsite: 'http://photos.s3-website-eu-west-1.amazonaws.com',
      TableArn: 'arn:aws:dynamodb:eu-west-1:123456789012:table/app',
      BusArn: 'arn:aws:events:eu-west-1:123456789012:event-bus/app-bus',
      RuleRef: 'app-bus|on-upload',
      RuleArn: 'arn:aws:events:eu-west-1:123456789012:rule/app-bus/on-upload',
      FnArn: 'arn:aws:lambda:eu-west-1:123456789012:function:resize',
      LayerRef: 'arn:aws:lambda:eu-west-1:123456789012:layer:sdk:1',
      MachineRef: 'arn:aws:states:eu-west-1:123456789012:stateMachine:v2',
      TopicRef: 'arn:aws:sns:eu-west-1:123456789012:news',
      QueueRef: 'https://sqs.eu-west-1.amazonaws.com/123456789012/jobs',
      QueueArn: 'arn:aws:sqs:eu-west-1:123456789012:jobs',
      LogsArn: 'arn:aws:logs:eu-west-1:123456789012:log-group:/app/logs:*',
      ParamRef: '/app/x',
      AlarmRef: 'failures',
      AlarmArn: 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:failures',
    });
    expect(values.TableStream).toMatch(/^arn:aws:dynamodb:eu-west-1:123456789012:table\/app\/stream\//);
    expect(values.FnRoleArn).toMatch(/^arn:aws:iam::123456789012:role\/happy-FnRole-[A-Z0-9]{12}$/);
    expect(values.FlowRef).toBe('arn:aws:states:eu-west-1:123456789012:stateMachine:v1');
    expect(values.FlowName).toBe(values.FlowRef?.split(':').pop());
    expect(values.ApiEndpoint).toMatch(/^https:\/\/[a-z0-9]{10}\.execute-api\.eu-west-1\.amazonaws\.com$/);
    expect(values.CdnDomain).toMatch(/^d[a-z0-9]{13}\.cloudfront\.net$/);
    expect(values.OacRef).toMatch(/^E[A-Z0-9]{13}$/);
    expect(values.SecretRef).toMatch(
      /^arn:aws:secretsmanager:eu-west-1:123456789012:secret:app\/secret-[a-z0-9]{6}$/,
    );
    expect(values.KeyArn).toMatch(/^arn:aws:kms:eu-west-1:123456789012:key\/[0-9a-f-]{36}$/);
  });

  it('generates a function name from stack and logical id when none is given', () => {
    const stack = resolveYaml('Resources:\n  ResizeFunction: {Type: AWS::Serverless::Function}\n');

    expect(stack.resources.ResizeFunction?.physicalId).toMatch(/^happy-ResizeFunction-[A-Z0-9]{12}$/);
  });

  it('honours physical names built from intrinsics', () => {
    const stack = resolveYaml(`
Resources:
  Source: {Type: AWS::S3::Bucket, Properties: {BucketName: !Sub "\${AWS::StackName}-source"}}
  Copy: {Type: AWS::S3::Bucket, Properties: {BucketName: !Sub "\${Source}-copy"}}
`);

    expect(stack.resources.Copy?.physicalId).toBe('happy-source-copy');
  });

  it('fails on Fn::GetAtt StreamArn of a table without a stream', () => {
    const error = errorOf(() =>
      resolveYaml(
        'Resources:\n  T: {Type: AWS::DynamoDB::Table}\nOutputs:\n  S: {Value: !GetAtt T.StreamArn}\n',
      ),
    );

    expect(error.message).toBe(
      'templates/test.yaml: Outputs.S.Value: Fn::GetAtt T.StreamArn needs a StreamSpecification on the table',
    );
  });

  it('fails on an attribute the model does not know', () => {
    const error = errorOf(() =>
      resolveYaml(
        'Resources:\n  B: {Type: AWS::S3::Bucket}\n  P: {Type: AWS::SSM::Parameter, Properties: {Value: !GetAtt B.Nope}}\n',
      ),
    );

    expect(error.message).toBe(
      'templates/test.yaml: Resources.P.Properties.Value: Fn::GetAtt B.Nope: attribute Nope of AWS::S3::Bucket is not supported by the local runtime',
    );
  });

  it('fails on a resource type the model does not know', () => {
    const error = errorOf(() => resolveYaml('Resources:\n  Db: {Type: AWS::RDS::DBInstance}\n'));

    expect(error.message).toBe(
      'templates/test.yaml: Resources.Db.Type: resource type AWS::RDS::DBInstance is not supported by the local runtime',
    );
  });

  it('accepts a custom resource model', () => {
    const model: ResourceModel = {
      'AWS::RDS::DBInstance': { ref: (r) => `db-${r.logicalId}`, attributes: {} },
    };

    const stack = resolveYaml('Resources:\n  Db: {Type: AWS::RDS::DBInstance}\n', { resourceModel: model });

    expect(stack.resources.Db?.physicalId).toBe('db-Db');
  });
});
