import { TemplateError } from '../../../local/template';
import { errorOf, resolveYaml } from './helpers';

const TEMPLATE = `
Parameters:
  Env: {Type: String, Default: dev}
  Regions: {Type: CommaDelimitedList, Default: "eu-west-1,us-east-1"}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  IsDev: !Not [!Condition IsProd]
  InFirstRegion: !Equals [!Select [0, !Ref Regions], !Ref AWS::Region]
  DevInFirstRegion: !And [!Condition IsDev, !Condition InFirstRegion]
  ProdOrFirstRegion: !Or [!Condition IsProd, !Condition InFirstRegion, !Equals [a, b]]
Resources:
  Archive:
    Type: AWS::S3::Bucket
    Condition: IsProd
  Uploads:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !If [IsProd, prod-uploads, dev-uploads]
      Tags:
        - !If [IsProd, {Key: archive, Value: !Ref Archive}, !Ref AWS::NoValue]
Outputs:
  ArchiveName:
    Condition: IsProd
    Value: !Ref Archive
  UploadsName:
    Value: !Ref Uploads
`;

describe('conditions', () => {
  it('evaluates Fn::Equals, Fn::Not, Fn::And, Fn::Or and Condition', () => {
    const stack = resolveYaml(TEMPLATE);

    expect(stack.conditions).toEqual({
      IsProd: false,
      IsDev: true,
      InFirstRegion: true,
      DevInFirstRegion: true,
      ProdOrFirstRegion: true,
    });
  });

  it('drops resources and outputs whose condition is false', () => {
    const stack = resolveYaml(TEMPLATE);

    expect(Object.keys(stack.resources)).toEqual(['Uploads']);
    expect(Object.keys(stack.outputs)).toEqual(['UploadsName']);
  });

  it('picks the Fn::If branch and skips references in the other branch', () => {
    const stack = resolveYaml(TEMPLATE);

    expect(stack.resources.Uploads?.properties).toEqual({ BucketName: 'dev-uploads', Tags: [] });
  });

  it('keeps conditional resources when their condition holds', () => {
    const stack = resolveYaml(TEMPLATE, { parameterOverrides: { Env: 'prod' } });

    expect(stack.resources.Archive).toMatchObject({ condition: 'IsProd', type: 'AWS::S3::Bucket' });
    expect(stack.resources.Uploads?.properties.Tags).toEqual([
      { Key: 'archive', Value: stack.resources.Archive?.physicalId },
    ]);
    expect(stack.outputs.ArchiveName?.value).toBe(stack.resources.Archive?.physicalId);
  });

  it('compares numbers and strings as CloudFormation does', () => {
    const stack = resolveYaml(`
Parameters:
  Count: {Type: Number, Default: 3}
Conditions:
  IsThree: !Equals [!Ref Count, 3]
Resources:
  B: {Type: AWS::S3::Bucket}
`);

    expect(stack.conditions.IsThree).toBe(true);
  });

  it('fails on a Ref to a resource whose condition is false', () => {
    const error = errorOf(() =>
      resolveYaml(
        TEMPLATE.replace('BucketName: !If [IsProd, prod-uploads, dev-uploads]', 'BucketName: !Ref Archive'),
      ),
    );

    expect(error).toBeInstanceOf(TemplateError);
    expect(error.message).toBe(
      "templates/test.yaml: Resources.Uploads.Properties.BucketName: Ref to 'Archive', which is not created because condition 'IsProd' is false",
    );
  });

  it('fails on an undeclared condition', () => {
    const error = errorOf(() => resolveYaml(TEMPLATE.replace('!If [IsProd, prod', '!If [IsStaging, prod')));

    expect(error.message).toBe(
      "templates/test.yaml: Resources.Uploads.Properties.BucketName: condition 'IsStaging' is not declared in Conditions",
    );
  });

  it('fails on conditions that refer to each other in a circle', () => {
    const error = errorOf(() =>
      resolveYaml(`
Conditions:
  A: !Not [!Condition B]
  B: !Not [!Condition A]
Resources:
  Bucket: {Type: AWS::S3::Bucket}
`),
    );

    expect(error.message).toBe('templates/test.yaml: Conditions.A: circular condition: A → B → A');
  });

  it('fails when a condition refers to a resource', () => {
    const error = errorOf(() =>
      resolveYaml(`
Conditions:
  HasBucket: !Equals [!Ref Bucket, x]
Resources:
  Bucket: {Type: AWS::S3::Bucket}
`),
    );

    expect(error.message).toBe(
      "templates/test.yaml: Conditions.HasBucket: conditions can only use parameters and pseudo parameters, not resource 'Bucket'",
    );
  });

  it('fails when a condition function is used outside Conditions', () => {
    const error = errorOf(() =>
      resolveYaml(
        'Resources:\n  B:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketName: !Equals [a, a]\n',
      ),
    );

    expect(error.message).toBe(
      'templates/test.yaml: Resources.B.Properties.BucketName: Fn::Equals can only be used in the Conditions section',
    );
  });
});
