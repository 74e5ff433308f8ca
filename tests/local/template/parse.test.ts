// biome-ignore-all lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub uses ${Name} placeholders in plain strings
import { parse } from 'yaml';
import { customTags, parseTemplate, TemplateError } from '../../../local/template';
import { errorOf } from './helpers';

function parsedValue(yamlValue: string): unknown {
  const { template } = parseTemplate(`Value: ${yamlValue}\n`, 'templates/t.yaml');
  return template.Value;
}

describe('parseTemplate', () => {
  it.each([
    ['!Ref Bucket', { Ref: 'Bucket' }],
    ['!GetAtt Bucket.Arn', { 'Fn::GetAtt': ['Bucket', 'Arn'] }],
    ['!GetAtt Db.Endpoint.Address', { 'Fn::GetAtt': ['Db', 'Endpoint.Address'] }],
    ['!GetAtt [Bucket, Arn]', { 'Fn::GetAtt': ['Bucket', 'Arn'] }],
    ['!Sub "${AWS::StackName}-x"', { 'Fn::Sub': '${AWS::StackName}-x' }],
    ['!Sub ["${A}-x", {A: b}]', { 'Fn::Sub': ['${A}-x', { A: 'b' }] }],
    ['!Join [",", [a, b]]', { 'Fn::Join': [',', ['a', 'b']] }],
    ['!Select [0, [a, b]]', { 'Fn::Select': [0, ['a', 'b']] }],
    ['!Split [",", "a,b"]', { 'Fn::Split': [',', 'a,b'] }],
    ['!If [IsProd, a, b]', { 'Fn::If': ['IsProd', 'a', 'b'] }],
    ['!Equals [a, b]', { 'Fn::Equals': ['a', 'b'] }],
    ['!Not [!Condition IsProd]', { 'Fn::Not': [{ Condition: 'IsProd' }] }],
    ['!And [!Condition A, !Condition B]', { 'Fn::And': [{ Condition: 'A' }, { Condition: 'B' }] }],
    ['!Or [!Condition A, !Condition B]', { 'Fn::Or': [{ Condition: 'A' }, { Condition: 'B' }] }],
    ['!FindInMap [M, k1, k2]', { 'Fn::FindInMap': ['M', 'k1', 'k2'] }],
    ['!Base64 hello', { 'Fn::Base64': 'hello' }],
    ['!ImportValue shared-bus', { 'Fn::ImportValue': 'shared-bus' }],
    ["!GetAZs ''", { 'Fn::GetAZs': '' }],
    ['!Cidr ["10.0.0.0/16", 4, 8]', { 'Fn::Cidr': ['10.0.0.0/16', 4, 8] }],
    ['!Transform {Name: AWS::Include}', { 'Fn::Transform': { Name: 'AWS::Include' } }],
  ])('turns %s into its long form', (yamlValue, expected) => {
    expect(parsedValue(yamlValue)).toEqual(expected);
  });

  it('keeps nested short forms inside each other', () => {
    const value = parsedValue(
      '!Join ["-", [!Ref AWS::StackName, !Select [1, !Split [",", !ImportValue list]]]]',
    );

    expect(value).toEqual({
      'Fn::Join': [
        '-',
        [
          { Ref: 'AWS::StackName' },
          { 'Fn::Select': [1, { 'Fn::Split': [',', { 'Fn::ImportValue': 'list' }] }] },
        ],
      ],
    });
  });

  it('accepts a tagged mapping, as in !ImportValue with a nested Fn::Sub', () => {
    const value = parsedValue('!ImportValue {"Fn::Sub": "${Stack}-Bus"}');

    expect(value).toEqual({ 'Fn::ImportValue': { 'Fn::Sub': '${Stack}-Bus' } });
  });

  it('parses JSON templates', () => {
    const text = JSON.stringify({ Resources: { Bucket: { Type: 'AWS::S3::Bucket' } } }, null, 2);

    const { template, resourceLines } = parseTemplate(text, 'templates/t.json');

    expect(template).toEqual({ Resources: { Bucket: { Type: 'AWS::S3::Bucket' } } });
    expect(resourceLines).toEqual({ Bucket: 3 });
  });

  it('records the line of every resource', () => {
    const text = [
      'Resources:',
      '  First:',
      '    Type: AWS::S3::Bucket',
      '',
      '  Second:',
      '    Type: AWS::SNS::Topic',
    ].join('\n');

    expect(parseTemplate(text, 'templates/t.yaml').resourceLines).toEqual({ First: 2, Second: 5 });
  });

  it('reports a syntax error with the file and line', () => {
    const error = errorOf(() => parseTemplate('Resources:\n  A: [unclosed\n', 'templates/broken.yaml'));

    expect(error).toBeInstanceOf(TemplateError);
    expect(error.message).toMatch(/^templates\/broken\.yaml: line \d+: invalid template syntax/);
  });

  it('rejects duplicate keys like CloudFormation does', () => {
    const error = errorOf(() => parseTemplate('Resources: {}\nResources: {}\n', 'templates/dup.yaml'));

    expect(error).toBeInstanceOf(TemplateError);
  });

  it('exports customTags that give yaml.parse the same long forms', () => {
    const value = parse('A: !GetAtt Bucket.Arn\nB: !Sub x\n', { customTags: [...customTags] });

    expect(value).toEqual({ A: { 'Fn::GetAtt': ['Bucket', 'Arn'] }, B: { 'Fn::Sub': 'x' } });
  });
});
