import { applySamGlobals, parseTemplate, TemplateError } from '../../../local/template';
import { errorOf } from './helpers';

function globalsApplied(text: string) {
  return applySamGlobals(parseTemplate(text, 'templates/g.yaml').template, 'templates/g.yaml');
}

const TEMPLATE = `
Globals:
  Function:
    Runtime: nodejs20.x
    Timeout: 10
    Architectures: [x86_64]
    Layers: [!Ref SdkLayer]
    Environment:
      Variables:
        STAGE: prod
        TABLE_NAME: global-table
    Tags:
      app: happy
  StateMachine:
    PropagateTags: true
Resources:
  Plain:
    Type: AWS::Serverless::Function
    Properties:
      Handler: plain.handler
  Custom:
    Type: AWS::Serverless::Function
    Properties:
      Timeout: !If [IsProd, 30, 5]
      Architectures: [arm64]
      Layers: [!Ref SharpLayer]
      Environment:
        Variables:
          TABLE_NAME: resource-table
          NEW_VAR: hello
  Ignoring:
    Type: AWS::Serverless::Function
    IgnoreGlobals: [Layers, Tags]
    Properties:
      Handler: x.handler
  Flow:
    Type: AWS::Serverless::StateMachine
    Properties:
      DefinitionUri: flow.asl.json
  Bucket:
    Type: AWS::S3::Bucket
`;

describe('applySamGlobals', () => {
  it('gives resources without their own value the Globals value', () => {
    const template = globalsApplied(TEMPLATE);

    expect(template.Resources).toMatchObject({
      Plain: {
        Properties: {
          Handler: 'plain.handler',
          Runtime: 'nodejs20.x',
          Timeout: 10,
          Architectures: ['x86_64'],
          Layers: [{ Ref: 'SdkLayer' }],
        },
      },
      Flow: { Properties: { DefinitionUri: 'flow.asl.json', PropagateTags: true } },
    });
    expect(template.Globals).toBeUndefined();
  });

  it('lets resource scalars and intrinsics replace Globals values', () => {
    const custom = (
      globalsApplied(TEMPLATE).Resources as Record<string, { Properties: Record<string, unknown> }>
    ).Custom;

    expect(custom?.Properties.Timeout).toEqual({ 'Fn::If': ['IsProd', 30, 5] });
  });

  it('merges maps recursively, the resource entry winning', () => {
    const custom = (
      globalsApplied(TEMPLATE).Resources as Record<string, { Properties: Record<string, unknown> }>
    ).Custom;

    expect(custom?.Properties.Environment).toEqual({
      Variables: { STAGE: 'prod', TABLE_NAME: 'resource-table', NEW_VAR: 'hello' },
    });
  });

  it('puts Globals list entries before the resource entries', () => {
    const custom = (
      globalsApplied(TEMPLATE).Resources as Record<string, { Properties: Record<string, unknown> }>
    ).Custom;

    expect(custom?.Properties.Layers).toEqual([{ Ref: 'SdkLayer' }, { Ref: 'SharpLayer' }]);
  });

  it('lets the resource replace Architectures instead of appending to it', () => {
    const custom = (
      globalsApplied(TEMPLATE).Resources as Record<string, { Properties: Record<string, unknown> }>
    ).Custom;

    expect(custom?.Properties.Architectures).toEqual(['arm64']);
  });

  it('honours IgnoreGlobals', () => {
    const ignoring = (
      globalsApplied(TEMPLATE).Resources as Record<string, { Properties: Record<string, unknown> }>
    ).Ignoring;

    expect(ignoring?.Properties).not.toHaveProperty('Layers');
    expect(ignoring?.Properties).not.toHaveProperty('Tags');
    expect(ignoring?.Properties.Runtime).toBe('nodejs20.x');
  });

  it('leaves non-SAM resources and the input template untouched', () => {
    const { template } = parseTemplate(TEMPLATE, 'templates/g.yaml');
    const before = structuredClone(template);

    const applied = applySamGlobals(template, 'templates/g.yaml');

    expect((applied.Resources as Record<string, unknown>).Bucket).toEqual({ Type: 'AWS::S3::Bucket' });
    expect(template).toEqual(before);
  });

  it('creates the implicit ServerlessHttpApi and applies Globals.HttpApi to it', () => {
    const template = globalsApplied(`
Globals:
  HttpApi:
    CorsConfiguration: {AllowOrigins: ['*']}
Resources:
  Get:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Api: {Type: HttpApi, Properties: {Path: /x, Method: GET}}
`);

    expect((template.Resources as Record<string, unknown>).ServerlessHttpApi).toEqual({
      Type: 'AWS::Serverless::HttpApi',
      Properties: { CorsConfiguration: { AllowOrigins: ['*'] } },
      Metadata: { SamImplicitApi: true },
    });
  });

  it('creates no implicit API when every event names its API', () => {
    const template = globalsApplied(`
Resources:
  Api: {Type: AWS::Serverless::HttpApi}
  Get:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Api: {Type: HttpApi, Properties: {ApiId: !Ref Api, Path: /x, Method: GET}}
`);

    expect(template.Resources).not.toHaveProperty('ServerlessHttpApi');
  });

  it('rejects a Globals section SAM does not support', () => {
    const error = errorOf(() => globalsApplied('Globals:\n  Bucket: {}\nResources: {}\n'));

    expect(error).toBeInstanceOf(TemplateError);
    expect(error.message).toMatch(
      /^templates\/g\.yaml: Globals\.Bucket: 'Bucket' is not supported in Globals/,
    );
  });

  it('rejects properties SAM refuses in Globals', () => {
    const error = errorOf(() => globalsApplied('Globals:\n  Function:\n    Events: {}\nResources: {}\n'));

    expect(error.message).toBe(
      "templates/g.yaml: Globals.Function.Events: 'Events' is not a supported property of 'Function' in Globals",
    );
  });
});
