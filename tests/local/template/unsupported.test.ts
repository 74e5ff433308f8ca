import { TemplateError } from '../../../local/template';
import { errorOf, resolveYaml } from './helpers';

function bucketNamed(value: string) {
  return () =>
    resolveYaml(
      `Resources:\n  UploadBucket:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketName: ${value}\n`,
    );
}

describe('constructs the local runtime cannot resolve', () => {
  it.each([
    ['!Cidr ["10.0.0.0/16", 4, 8]', 'Fn::Cidr'],
    ['!Transform {Name: AWS::Include, Parameters: {Location: s3://x}}', 'Fn::Transform'],
    ['{"Fn::ToJsonString": {a: 1}}', 'Fn::ToJsonString'],
    ['{"Fn::Length": [1, 2]}', 'Fn::Length'],
    ['{"Fn::Unknown": x}', 'Fn::Unknown'],
  ])('fails on %s naming file, resource and property', (value, fn) => {
    const error = errorOf(bucketNamed(value));

    expect(error).toBeInstanceOf(TemplateError);
    expect(error.message).toBe(
      `templates/test.yaml: Resources.UploadBucket.Properties.BucketName: ${fn} is not supported by the local runtime`,
    );
    expect(error).toMatchObject({ fileName: 'templates/test.yaml', logicalId: 'UploadBucket', line: 2 });
  });

  it('fails on an unsupported function nested inside a supported one', () => {
    expect(errorOf(bucketNamed('!Join ["-", [a, !Cidr ["10.0.0.0/16", 4, 8]]]')).message).toBe(
      'templates/test.yaml: Resources.UploadBucket.Properties.BucketName[1]: Fn::Cidr is not supported by the local runtime',
    );
  });

  it('fails on transforms other than the SAM transform', () => {
    const error = errorOf(() =>
      resolveYaml(
        'Transform: [AWS::Serverless-2016-10-31, AWS::LanguageExtensions]\nResources:\n  B: {Type: AWS::S3::Bucket}\n',
      ),
    );

    expect(error.message).toBe(
      'templates/test.yaml: Transform: transform AWS::LanguageExtensions is not supported by the local runtime',
    );
  });

  it('fails on Fn::ForEach blocks', () => {
    const error = errorOf(() =>
      resolveYaml(
        'Resources:\n  B:\n    Type: AWS::S3::Bucket\n    Properties:\n      Tags: []\n      Fn::ForEach::Tag: [T, [a], {}]\n',
      ),
    );

    expect(error.message).toBe(
      'templates/test.yaml: Resources.B.Properties.Fn::ForEach::Tag: Fn::ForEach::Tag is not supported by the local runtime',
    );
  });

  it('fails on an unknown pseudo parameter', () => {
    expect(errorOf(bucketNamed('!Ref AWS::Moon')).message).toBe(
      'templates/test.yaml: Resources.UploadBucket.Properties.BucketName: pseudo parameter AWS::Moon is not supported by the local runtime',
    );
  });

  it('fails on resources that reference each other in a circle', () => {
    const error = errorOf(() =>
      resolveYaml(`
Resources:
  A: {Type: AWS::SNS::Topic, Properties: {DisplayName: !GetAtt B.QueueName}}
  B: {Type: AWS::SQS::Queue, Properties: {Tags: [{Key: t, Value: !Ref A}]}}
`),
    );

    expect(error.message).toBe(
      'templates/test.yaml: Resources.A: circular dependency between resources: A → B → A',
    );
  });

  it('fails on a circle through DependsOn', () => {
    const error = errorOf(() =>
      resolveYaml(`
Resources:
  A: {Type: AWS::SNS::Topic, DependsOn: B}
  B: {Type: AWS::SNS::Topic, Properties: {DisplayName: !Sub "\${A}"}}
`),
    );

    expect(error.message).toContain('circular dependency between resources: A → B → A');
  });

  it('fails on a DependsOn naming no resource', () => {
    expect(
      errorOf(() => resolveYaml('Resources:\n  A: {Type: AWS::SNS::Topic, DependsOn: [Ghost]}\n')).message,
    ).toBe("templates/test.yaml: Resources.A.DependsOn: DependsOn 'Ghost': no such resource");
  });

  it('fails on a template section CloudFormation does not know', () => {
    expect(errorOf(() => resolveYaml('Resource:\n  A: {Type: AWS::SNS::Topic}\n')).message).toBe(
      "templates/test.yaml: Resource: 'Resource' is not a template section",
    );
  });

  it('fails on an output whose value is a list', () => {
    const error = errorOf(() =>
      resolveYaml('Resources:\n  A: {Type: AWS::SNS::Topic}\nOutputs:\n  Zones: {Value: !GetAZs ""}\n'),
    );

    expect(error.message).toBe(
      'templates/test.yaml: Outputs.Zones.Value: an output Value must resolve to a string (use Fn::Join for lists)',
    );
  });
});
