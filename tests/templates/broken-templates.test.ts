import { join } from 'node:path';
import { checkProject, checkSsmParameters, formatProblems, loadStacks } from './rules';

const root = join(__dirname, '..', '..');

/** Checks one fixture template next to the real layers stack (whose SSM parameters it reads). */
function problemsOf(fixture: string): string {
  const stacks = loadStacks(
    root,
    [join(root, 'templates/layers.yaml'), join(__dirname, 'fixtures/broken', `${fixture}.yaml`)],
    join(root, 'samconfig.toml'),
  );
  return formatProblems(checkProject(root, stacks));
}

describe('template rules on deliberately broken templates', () => {
  it('find nothing wrong with the control template', () => {
    expect(problemsOf('valid')).toBe('');
  });

  it.each([
    ['dangling-ref', '!Ref MissingTable names nothing in this template'],
    ['dangling-getatt', '!GetAtt MissingTable names no resource in this template'],
    ['dangling-sub', '!Sub variable $' + '{MissingTable.Arn} names nothing in this template'],
    ['missing-entry-point', 'backend/does-not-exist.ts does not exist'],
    ['code-uri-repository-root', 'CodeUri must be ../../../../functions (the functions folder'],
    ['entry-point-without-handler', 'no-handler.ts does not export handler'],
    ['wrong-handler-name', 'Handler must be get-upload.handler'],
    ['old-runtime', 'Runtime must be nodejs24.x, not nodejs18.x'],
    ['public-bucket', 'BlockPublicPolicy must be true'],
    ['public-bucket', 'allows everyone: buckets must stay private'],
    ['bucket-with-acl', 'buckets must not use ACLs'],
    ['wildcard-resource', "grants dynamodb:GetItem on Resource '*'"],
    ['missing-policy', 'code calls dynamodb:GetItem but no policy grants it'],
    ['policy-on-another-table', "no policy grants it on a resource named in the function's environment"],
    ['unknown-import', 'imports happy-path-layers-NoSuchExport, which no other stack exports'],
    [
      'unknown-ssm-parameter',
      'Parameters.SdkLayerArn: Default: reads SSM parameter /happy-path-layers/NoSuchLayerArn, which no other template creates',
    ],
  ])('catch %s', (fixture, message) => {
    expect(problemsOf(fixture)).toContain(message);
  });

  it('catch an SSM-typed parameter reading a parameter of the wrong Parameter Store type', () => {
    const stacks = loadStacks(
      root,
      [join(root, 'templates/backend.yaml'), join(root, 'templates/gdpr.yaml')],
      join(root, 'samconfig.toml'),
    );
    const gdpr = stacks.find((stack) => stack.file === 'templates/gdpr.yaml');
    const parameters = gdpr?.template.Parameters as Record<string, { Type: string }>;
    (parameters.BackendJwtAudience as { Type: string }).Type = 'AWS::SSM::Parameter::Value<String>';

    expect(formatProblems(checkSsmParameters(stacks))).toContain(
      'reads SSM parameter /happy-path-backend/JwtAudience as AWS::SSM::Parameter::Value<String>, but templates/backend.yaml creates it as StringList (expected String)',
    );
  });

  it('check the samconfig override of an SSM-typed parameter as well as its Default', () => {
    const stacks = loadStacks(
      root,
      [join(root, 'templates/layers.yaml'), join(__dirname, 'fixtures/broken/valid.yaml')],
      join(root, 'samconfig.toml'),
    );
    const fixture = stacks[1];
    if (fixture) fixture.parameterValues.SdkLayerArn = '/happy-path-layer/SdkLayerArn';

    expect(formatProblems(checkSsmParameters(stacks))).toBe(
      'tests/templates/fixtures/broken/valid.yaml: Parameters.SdkLayerArn: samconfig override: reads SSM parameter /happy-path-layer/SdkLayerArn, which no other template creates',
    );
  });
});
