import { type SsmParameterValue, TemplateError } from '../../../local/template';
import { errorOf, resolveYaml } from './helpers';

function withParameter(
  declaration: string,
  override?: string,
  options: { ssmParameters?: ReadonlyMap<string, SsmParameterValue> } = {},
) {
  return resolveYaml(
    `
Parameters:
  Value:
${declaration
  .trim()
  .split('\n')
  .map((line) => `    ${line}`)
  .join('\n')}
Resources:
  Bucket: {Type: AWS::S3::Bucket}
`,
    { ...options, ...(override === undefined ? {} : { parameterOverrides: { Value: override } }) },
  );
}

function failureOf(declaration: string, override?: string): string {
  const error = errorOf(() => withParameter(declaration, override));
  expect(error).toBeInstanceOf(TemplateError);
  return error.message;
}

describe('parameters', () => {
  it('uses the default when there is no override, and the override when there is', () => {
    expect(withParameter('Type: String\nDefault: a').parameters.Value?.value).toBe('a');
    expect(withParameter('Type: String\nDefault: a', 'b').parameters.Value?.value).toBe('b');
  });

  it('splits CommaDelimitedList and List<Number> values and trims each member', () => {
    expect(withParameter('Type: CommaDelimitedList', ' a , b,c').parameters.Value?.value).toEqual([
      'a',
      'b',
      'c',
    ]);
    expect(withParameter('Type: List<Number>\nDefault: "1, 2"').parameters.Value?.value).toEqual(['1', '2']);
  });

  it('turns a numeric default into a string', () => {
    expect(withParameter('Type: Number\nDefault: 30').parameters.Value).toEqual({
      type: 'Number',
      value: '30',
      noEcho: false,
    });
  });

  it('marks NoEcho parameters but still resolves their value', () => {
    expect(withParameter('Type: String\nNoEcho: true', 'secret').parameters.Value).toEqual({
      type: 'String',
      value: 'secret',
      noEcho: true,
    });
  });

  it('fails naming a parameter that has neither value nor default', () => {
    expect(failureOf('Type: String')).toBe(
      'templates/test.yaml: Parameters.Value: Parameters: [Value] must have values',
    );
  });

  it('enforces AllowedValues, also on each list member', () => {
    expect(failureOf('Type: String\nAllowedValues: [dev, prod]', 'test')).toBe(
      "templates/test.yaml: Parameters.Value: Parameter 'Value' must be one of AllowedValues",
    );
    expect(failureOf('Type: CommaDelimitedList\nAllowedValues: [a, b]', 'a,c')).toContain(
      'must be one of AllowedValues',
    );
    expect(withParameter('Type: Number\nAllowedValues: [1, 2]', '2').parameters.Value?.value).toBe('2');
  });

  it('enforces AllowedPattern against the whole value, with the ConstraintDescription', () => {
    expect(failureOf('Type: String\nAllowedPattern: "[a-z]+"', 'abc1')).toBe(
      "templates/test.yaml: Parameters.Value: Parameter 'Value' failed to satisfy constraint: must match pattern [a-z]+",
    );
    expect(
      failureOf('Type: String\nAllowedPattern: "[a-z]+"\nConstraintDescription: lower case only', 'A'),
    ).toBe(
      "templates/test.yaml: Parameters.Value: Parameter 'Value' failed to satisfy constraint: lower case only",
    );
  });

  it('enforces MinLength and MaxLength', () => {
    expect(failureOf('Type: String\nMinLength: 3', 'ab')).toContain('must contain at least 3 characters');
    expect(failureOf('Type: String\nMaxLength: 3', 'abcd')).toContain('must contain at most 3 characters');
  });

  it('enforces Number format, MinValue and MaxValue', () => {
    expect(failureOf('Type: Number', 'ten')).toContain("Parameter 'Value' must be a number");
    expect(failureOf('Type: Number\nMinValue: 1', '0')).toContain('must be a number not less than 1');
    expect(failureOf('Type: List<Number>\nMaxValue: 10', '5,11')).toContain(
      'must be a number not greater than 10',
    );
  });

  describe('AWS::SSM::Parameter::Value<…>', () => {
    const ssmParameters = new Map<string, SsmParameterValue>([
      ['/app/layer', { type: 'String', value: 'arn:aws:lambda:eu-west-1:123456789012:layer:sdk:3' }],
      ['/app/audience', { type: 'StringList', value: 'web,mobile' }],
      ['/app/secret', { type: 'SecureString', value: 'hush' }],
    ]);
    const withSsmParameter = (declaration: string, override?: string) =>
      withParameter(declaration, override, { ssmParameters });

    function ssmFailureOf(declaration: string, override?: string): string {
      const error = errorOf(() => withSsmParameter(declaration, override));
      expect(error).toBeInstanceOf(TemplateError);
      return error.message;
    }

    it('reads the SSM parameter the Default (or the override) names', () => {
      const stack = withSsmParameter('Type: AWS::SSM::Parameter::Value<String>\nDefault: /app/layer');

      expect(stack.parameters.Value).toEqual({
        type: 'AWS::SSM::Parameter::Value<String>',
        value: 'arn:aws:lambda:eu-west-1:123456789012:layer:sdk:3',
        noEcho: false,
        ssmParameterName: '/app/layer',
      });
      expect(
        withSsmParameter('Type: AWS::SSM::Parameter::Value<String>\nDefault: /nowhere', '/app/layer')
          .parameters.Value?.value,
      ).toBe('arn:aws:lambda:eu-west-1:123456789012:layer:sdk:3');
    });

    it('splits a StringList into a list for the list types', () => {
      expect(
        withSsmParameter('Type: AWS::SSM::Parameter::Value<List<String>>\nDefault: /app/audience').parameters
          .Value?.value,
      ).toEqual(['web', 'mobile']);
      expect(
        withSsmParameter('Type: AWS::SSM::Parameter::Value<CommaDelimitedList>\nDefault: /app/audience')
          .parameters.Value?.value,
      ).toEqual(['web', 'mobile']);
    });

    it('fails naming the template, the parameter and the SSM parameter that does not exist', () => {
      expect(ssmFailureOf('Type: AWS::SSM::Parameter::Value<String>\nDefault: /app/missing')).toBe(
        "templates/test.yaml: Parameters.Value: Parameter 'Value' (AWS::SSM::Parameter::Value<String>) reads SSM parameter '/app/missing', which does not exist: no loaded stack declares an AWS::SSM::Parameter named '/app/missing'",
      );
    });

    it('fails without any SSM parameters to read (a stack resolved on its own)', () => {
      const error = errorOf(() =>
        resolveYaml(
          'Parameters:\n  Value: {Type: AWS::SSM::Parameter::Value<String>, Default: /app/layer}\nResources:\n  B: {Type: AWS::S3::Bucket}\n',
        ),
      );
      expect(error.message).toContain("reads SSM parameter '/app/layer', which does not exist");
    });

    it('refuses SecureString parameters, as CloudFormation does', () => {
      expect(ssmFailureOf('Type: AWS::SSM::Parameter::Value<String>\nDefault: /app/secret')).toContain(
        "reads SSM parameter '/app/secret', a SecureString",
      );
    });

    it('checks AllowedValues and AllowedPattern against the SSM parameter name', () => {
      expect(
        ssmFailureOf('Type: AWS::SSM::Parameter::Value<String>\nAllowedPattern: "/app/.*"', '/other/layer'),
      ).toContain("Parameter 'Value' failed to satisfy constraint: must match pattern /app/.*");
      expect(
        withSsmParameter(
          'Type: AWS::SSM::Parameter::Value<String>\nAllowedValues: [/app/layer]',
          '/app/layer',
        ).parameters.Value?.ssmParameterName,
      ).toBe('/app/layer');
    });

    it('still rejects AWS::SSM::Parameter::Name as unsupported', () => {
      expect(ssmFailureOf('Type: AWS::SSM::Parameter::Name\nDefault: /app/layer')).toContain(
        'parameter type AWS::SSM::Parameter::Name (SSM parameter lookup) is not supported by the local runtime',
      );
    });
  });

  it('rejects other parameter types as unsupported', () => {
    expect(failureOf('Type: AWS::EC2::VPC::Id\nDefault: vpc-1')).toContain(
      'parameter type AWS::EC2::VPC::Id is not supported by the local runtime',
    );
  });

  it('ignores overrides the template does not declare and tells the logger', () => {
    const messages: string[] = [];

    resolveYaml('Resources:\n  B: {Type: AWS::S3::Bucket}\n', {
      parameterOverrides: { Unknown: 'x' },
      logger: (message) => messages.push(message),
    });

    expect(messages).toEqual([
      "templates/test.yaml: parameter override 'Unknown' is not declared by the template; ignored",
    ]);
  });
});
