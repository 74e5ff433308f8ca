// biome-ignore-all lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub uses ${Name} placeholders in plain strings
import { TemplateError } from '../../../local/template';
import { errorOf, resolveYaml } from './helpers';

/** Resolves `value` (YAML) as the Value of a parameter-carrying SSM parameter resource. */
function resolveValue(value: string, extra = ''): unknown {
  const stack = resolveYaml(`
Parameters:
  Env:
    Type: String
    Default: dev
  Names:
    Type: CommaDelimitedList
    Default: "alpha, beta ,gamma"
  Index:
    Type: Number
    Default: 1
Mappings:
  Sizes:
    dev:
      Memory: 256
      Zones: [a, b]
Resources:
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: photos-bucket
  Subject:
    Type: AWS::SSM::Parameter
    Properties:
      Value: ${value}
${extra}`);
  return stack.resources.Subject?.properties.Value;
}

describe('intrinsic functions', () => {
  it('resolves Ref to a parameter, a list parameter and a resource', () => {
    expect(resolveValue('!Ref Env')).toBe('dev');
    expect(resolveValue('!Ref Names')).toEqual(['alpha', 'beta', 'gamma']);
    expect(resolveValue('!Ref Bucket')).toBe('photos-bucket');
  });

  it('returns Number parameters as strings, as CloudFormation does', () => {
    expect(resolveValue('!Ref Index')).toBe('1');
  });

  it.each([
    ['AWS::Region', 'eu-west-1'],
    ['AWS::AccountId', '123456789012'],
    ['AWS::StackName', 'happy'],
    ['AWS::Partition', 'aws'],
    ['AWS::URLSuffix', 'amazonaws.com'],
  ])('resolves the pseudo parameter %s', (name, expected) => {
    expect(resolveValue(`!Ref ${name}`)).toBe(expected);
  });

  it('gives AWS::StackId the stack ARN', () => {
    expect(resolveValue('!Ref AWS::StackId')).toMatch(
      /^arn:aws:cloudformation:eu-west-1:123456789012:stack\/happy\/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });

  it('resolves Fn::GetAtt in both forms, with an attribute name from a Ref', () => {
    expect(resolveValue('!GetAtt Bucket.Arn')).toBe('arn:aws:s3:::photos-bucket');
    expect(resolveValue('!GetAtt [Bucket, RegionalDomainName]')).toBe(
      'photos-bucket.s3.eu-west-1.amazonaws.com',
    );
  });

  it('takes the Fn::GetAtt attribute name from a Ref', () => {
    const stack = resolveYaml(`
Parameters:
  Attr: {Type: String, Default: TopicArn}
Resources:
  Topic: {Type: AWS::SNS::Topic, Properties: {TopicName: news}}
  P: {Type: AWS::SSM::Parameter, Properties: {Value: {"Fn::GetAtt": [Topic, {Ref: Attr}]}}}
`);

    expect(stack.resources.P?.properties.Value).toBe('arn:aws:sns:eu-west-1:123456789012:news');
  });

  it('substitutes parameters, resources, attributes and pseudo parameters in Fn::Sub', () => {
    expect(resolveValue('!Sub "${Env}/${Bucket}/${Bucket.Arn}/${AWS::Region}"')).toBe(
      'dev/photos-bucket/arn:aws:s3:::photos-bucket/eu-west-1',
    );
  });

  it('keeps ${!Literal} as a literal ${Literal} in Fn::Sub', () => {
    expect(resolveValue('!Sub "${!Env}-${Env}"')).toBe('${Env}-dev');
  });

  it('prefers the variable map of Fn::Sub and resolves intrinsics inside it', () => {
    expect(resolveValue('!Sub ["${Env}-${Suffix}", {Env: override, Suffix: !Select [2, !Ref Names]}]')).toBe(
      'override-gamma',
    );
  });

  it('joins lists, including lists produced by other functions', () => {
    expect(resolveValue('!Join [",", [a, !Ref Env, 3]]')).toBe('a,dev,3');
    expect(resolveValue('!Join ["|", !Ref Names]')).toBe('alpha|beta|gamma');
    expect(resolveValue('!Join ["", []]')).toBe('');
  });

  it('selects by index, also with an index from a Number parameter', () => {
    expect(resolveValue('!Select [0, !Ref Names]')).toBe('alpha');
    expect(resolveValue('!Select [!Ref Index, [x, y]]')).toBe('y');
  });

  it('splits strings', () => {
    expect(resolveValue('!Split [":", "a:b::c"]')).toEqual(['a', 'b', '', 'c']);
  });

  it('finds values in Mappings with keys from parameters', () => {
    expect(resolveValue('!FindInMap [Sizes, !Ref Env, Memory]')).toBe(256);
    expect(resolveValue('!FindInMap [Sizes, dev, Zones]')).toEqual(['a', 'b']);
  });

  it('uses the DefaultValue of Fn::FindInMap when the key is missing', () => {
    expect(resolveValue('!FindInMap [Sizes, prod, Memory, {DefaultValue: 128}]')).toBe(128);
  });

  it('encodes Fn::Base64 as UTF-8 base64', () => {
    expect(resolveValue('!Base64 "héllo ${x}"')).toBe(Buffer.from('héllo ${x}', 'utf8').toString('base64'));
  });

  it('reads Fn::ImportValue from the given imports', () => {
    const stack = resolveYaml(
      'Resources:\n  P:\n    Type: AWS::SSM::Parameter\n    Properties:\n      Value: !ImportValue {"Fn::Sub": "${AWS::Region}-bus"}\n',
      { imports: new Map([['eu-west-1-bus', 'app-bus']]) },
    );

    expect(stack.resources.P?.properties.Value).toBe('app-bus');
    expect(stack.importedNames).toEqual(['eu-west-1-bus']);
  });

  it('returns three fixed zones for Fn::GetAZs', () => {
    expect(resolveValue("!GetAZs ''")).toEqual(['eu-west-1a', 'eu-west-1b', 'eu-west-1c']);
    expect(resolveValue('!GetAZs {Ref: AWS::Region}')).toEqual(['eu-west-1a', 'eu-west-1b', 'eu-west-1c']);
  });

  it('resolves deeply nested functions', () => {
    const value = resolveValue(
      '!Base64 {"Fn::Join": ["-", [!Select [1, !Split [",", !Join [",", !Ref Names]]], !Sub "${Bucket}", !FindInMap [Sizes, !Ref Env, Memory]]]}',
    );

    expect(Buffer.from(String(value), 'base64').toString('utf8')).toBe('beta-photos-bucket-256');
  });

  it('removes properties and list elements that resolve to AWS::NoValue', () => {
    const stack = resolveYaml(`
Resources:
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Ref AWS::NoValue
      Tags:
        - !Ref AWS::NoValue
        - Key: kept
          Value: yes
`);

    expect(stack.resources.Bucket?.properties).toEqual({ Tags: [{ Key: 'kept', Value: 'yes' }] });
  });

  it('fails when Fn::Select is out of range', () => {
    const error = errorOf(() => resolveValue('!Select [5, [a]]'));

    expect(error).toBeInstanceOf(TemplateError);
    expect(error.message).toBe(
      'templates/test.yaml: Resources.Subject.Properties.Value: Fn::Select index 5 is out of range for a list of 1',
    );
  });

  it('fails when Fn::FindInMap has no such key', () => {
    expect(errorOf(() => resolveValue('!FindInMap [Sizes, prod, Memory]')).message).toBe(
      "templates/test.yaml: Resources.Subject.Properties.Value: Fn::FindInMap: mapping 'Sizes' has no value for [prod, Memory]",
    );
  });

  it('fails naming the missing export of Fn::ImportValue', () => {
    expect(errorOf(() => resolveValue('!ImportValue missing-export')).message).toBe(
      "templates/test.yaml: Resources.Subject.Properties.Value: Fn::ImportValue: no stack exports 'missing-export'",
    );
  });

  it('fails on a Ref to something that does not exist', () => {
    expect(errorOf(() => resolveValue('!Ref Nope')).message).toBe(
      "templates/test.yaml: Resources.Subject.Properties.Value: Ref to 'Nope': no parameter or resource of that name exists in the template",
    );
  });

  it('fails on a Fn::Sub variable that does not exist', () => {
    expect(errorOf(() => resolveValue('!Sub "x-${Nope}"')).message).toContain(
      "Resources.Subject.Properties.Value: Ref to 'Nope'",
    );
  });

  it('fails on a Fn::GetAtt of a parameter', () => {
    expect(errorOf(() => resolveValue('!GetAtt Env.Arn')).message).toContain("but 'Env' is a parameter");
  });

  it('reports the path inside nested plain maps and lists', () => {
    const error = errorOf(() =>
      resolveYaml(
        'Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties:\n      Tags:\n        - Key: a\n          Value: !Ref Nope\n',
      ),
    );

    expect(error.message).toMatch(/^templates\/test\.yaml: Resources\.Q\.Properties\.Tags\[0\]\.Value: /);
    expect(error).toMatchObject({ logicalId: 'Q', line: 2 });
  });
});
