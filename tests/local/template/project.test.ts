import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadProject, ProjectError, TemplateError } from '../../../local/template';
import { errorOf } from './helpers';

const FIXTURES = join(__dirname, 'fixtures', 'project');
const ACCOUNT = { region: 'eu-west-1', accountId: '123456789012' };

/** Loads the written templates `<name>.yaml` as stacks named `<name>`, in this order. */
function loadNamed(dir: string, names: readonly string[]) {
  return loadProject({
    ...ACCOUNT,
    templatesDir: dir,
    stacks: names.map((name) => ({ file: `${name}.yaml`, stackName: name })),
  });
}

describe('loadProject', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'template-project-'));

  afterAll(() => {
    rmSync(scratch, { recursive: true, force: true });
  });

  function writeTemplates(files: Record<string, string>): string {
    const dir = mkdtempSync(join(scratch, 'templates-'));
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    return dir;
  }

  it('resolves stacks after the stacks whose exports they import, whatever the given order', () => {
    const project = loadProject({
      ...ACCOUNT,
      templatesDir: FIXTURES,
      stacks: [
        { file: 'workflow-v1.yaml', stackName: 'happy-workflow' },
        { file: 'backend.yaml', stackName: 'happy-backend' },
        { file: 'layers.yaml', stackName: 'happy-layers' },
      ],
    });

    expect(project.stacks.map((stack) => stack.stackName)).toEqual([
      'happy-layers',
      'happy-backend',
      'happy-workflow',
    ]);
    expect(project.stacks[2]?.resources.UploadCompleteRule?.properties.EventBusName).toBe(
      'happy-backend-bus',
    );
    expect(project.exports.get('happy-backend-BusArn')).toBe(
      'arn:aws:events:eu-west-1:123456789012:event-bus/happy-backend-bus',
    );
  });

  it('feeds imports into Globals-merged properties', () => {
    const project = loadProject({
      ...ACCOUNT,
      templatesDir: FIXTURES,
      stacks: [
        { file: 'backend.yaml', stackName: 'happy-backend' },
        { file: 'layers.yaml', stackName: 'happy-layers' },
      ],
    });
    const backend = project.stacks[1];
    const getPhoto = backend?.resources.GetPhotoFunction;

    expect(getPhoto?.properties).toMatchObject({
      Runtime: 'nodejs20.x',
      Layers: ['arn:aws:lambda:eu-west-1:123456789012:layer:happy-layers-sdk:1'],
      Environment: {
        Variables: {
          STAGE: 'dev',
          TABLE_NAME: backend?.resources.AppTable?.physicalId,
          BUCKET_NAME: backend?.resources.UploadBucket?.physicalId,
        },
      },
    });
    expect(backend?.resources.ServerlessHttpApi?.type).toBe('AWS::Serverless::HttpApi');
    expect(backend?.outputs.ApiUrl?.value).toMatch(
      /^https:\/\/[a-z0-9]{10}\.execute-api\.eu-west-1\.amazonaws\.com$/,
    );
    expect(backend?.resources.GetPhotoFunction?.line).toBe(44);
  });

  it('takes stacks and parameter overrides from samconfig', () => {
    const project = loadProject({
      ...ACCOUNT,
      templatesDir: FIXTURES,
      samConfigPath: join(FIXTURES, 'samconfig.toml'),
    });
    const backend = project.stacks.find((stack) => stack.stackName === 'happy-backend');

    expect(project.stacks.map((stack) => stack.fileName)).toEqual([
      'project/layers.yaml',
      'project/backend.yaml',
      'project/workflow-v1.yaml',
    ]);
    expect(backend?.parameters.Stage?.value).toBe('prod');
    expect(backend?.resources.UploadBucket?.properties.BucketName).toBe('happy-uploads-123456789012');
  });

  it('loads only the chosen samconfig envs', () => {
    const project = loadProject({
      ...ACCOUNT,
      templatesDir: FIXTURES,
      samConfigPath: join(FIXTURES, 'samconfig.toml'),
      stacks: [{ configEnv: 'backend' }, { configEnv: 'layers' }],
    });

    expect(project.stacks.map((stack) => stack.stackName)).toEqual(['happy-layers', 'happy-backend']);
  });

  it('fails when two stacks share a stack name', () => {
    const error = errorOf(() =>
      loadProject({
        ...ACCOUNT,
        templatesDir: FIXTURES,
        stacks: [
          { file: 'layers.yaml', stackName: 'same' },
          { file: 'backend.yaml', stackName: 'same' },
        ],
      }),
    );

    expect(error).toBeInstanceOf(ProjectError);
    expect(error.message).toContain("stack name 'same' is used twice");
  });

  it('lets explicit overrides win over samconfig', () => {
    const project = loadProject({
      ...ACCOUNT,
      templatesDir: FIXTURES,
      samConfigPath: join(FIXTURES, 'samconfig.toml'),
      stacks: [
        { file: 'layers.yaml', stackName: 'happy-layers' },
        { file: 'backend.yaml', stackName: 'happy-backend', parameterOverrides: { Stage: 'dev' } },
      ],
    });

    expect(project.stacks[1]?.parameters.Stage?.value).toBe('dev');
  });

  it('fails on stacks that import from each other in a circle', () => {
    const dir = writeTemplates({
      'a.yaml':
        'Resources:\n  T: {Type: AWS::SNS::Topic, Properties: {DisplayName: !ImportValue b-out}}\nOutputs:\n  O: {Value: x, Export: {Name: a-out}}\n',
      'b.yaml':
        'Resources:\n  T: {Type: AWS::SNS::Topic, Properties: {DisplayName: !ImportValue a-out}}\nOutputs:\n  O: {Value: y, Export: {Name: b-out}}\n',
    });

    const error = errorOf(() => loadNamed(dir, ['a', 'b']));

    expect(error).toBeInstanceOf(ProjectError);
    expect(error.message).toBe(
      "circular imports between stacks: a → b (exports 'b-out') → a (exports 'a-out')",
    );
  });

  it('fails naming an export no stack declares', () => {
    const dir = writeTemplates({
      'a.yaml': 'Resources:\n  T: {Type: AWS::SNS::Topic, Properties: {DisplayName: !ImportValue nowhere}}\n',
    });

    const error = errorOf(() =>
      loadProject({ ...ACCOUNT, templatesDir: dir, stacks: [{ file: 'a.yaml', stackName: 'a' }] }),
    );

    expect(error).toBeInstanceOf(TemplateError);
    expect(error.message).toMatch(
      /a\.yaml: Resources\.T\.Properties\.DisplayName: Fn::ImportValue: no stack exports 'nowhere'$/,
    );
  });

  it('fails when two stacks declare the same export', () => {
    const output =
      'Resources:\n  T: {Type: AWS::SNS::Topic}\nOutputs:\n  O: {Value: x, Export: {Name: same}}\n';
    const dir = writeTemplates({ 'a.yaml': output, 'b.yaml': output });

    const error = errorOf(() => loadNamed(dir, ['a', 'b']));

    expect(error).toBeInstanceOf(ProjectError);
    expect(error.message).toMatch(/^export 'same' is declared by both .*a\.yaml \(a\) and .*b\.yaml \(b\)$/);
  });

  it('accepts exports from outside the project', () => {
    const dir = writeTemplates({
      'a.yaml': 'Resources:\n  T: {Type: AWS::SNS::Topic, Properties: {DisplayName: !ImportValue outside}}\n',
    });

    const project = loadProject({
      ...ACCOUNT,
      templatesDir: dir,
      stacks: [{ file: 'a.yaml', stackName: 'a' }],
      externalExports: new Map([['outside', 'value']]),
    });

    expect(project.stacks[0]?.resources.T?.properties.DisplayName).toBe('value');
  });

  describe('SSM parameters between stacks', () => {
    const STACK_NAME = '$' + '{AWS::StackName}';
    const LAYERS = [
      'Resources:',
      `  Layer: {Type: AWS::Serverless::LayerVersion, Properties: {LayerName: !Sub '${STACK_NAME}-sdk', ContentUri: ../layers/sdk}}`,
      `  LayerArn: {Type: AWS::SSM::Parameter, Properties: {Name: !Sub '/${STACK_NAME}/SdkLayerArn', Type: String, Value: !Ref Layer}}`,
      `  Audience: {Type: AWS::SSM::Parameter, Properties: {Name: !Sub '/${STACK_NAME}/Audience', Type: StringList, Value: 'web,mobile'}}`,
      '',
    ].join('\n');
    const CONSUMER =
      "Parameters:\n  SdkLayerArn: {Type: 'AWS::SSM::Parameter::Value<String>', Default: /happy-layers/SdkLayerArn}\n  Audience: {Type: 'AWS::SSM::Parameter::Value<List<String>>', Default: /happy-layers/Audience}\nResources:\n  Topic: {Type: AWS::SNS::Topic, Properties: {DisplayName: !Join [',', !Ref Audience]}}\n  Fn: {Type: AWS::Serverless::Function, Properties: {Runtime: nodejs24.x, Handler: index.handler, CodeUri: ., Layers: [!Ref SdkLayerArn]}}\n";

    it('resolves a reader after the stack creating its SSM parameters, whatever the given order', () => {
      const dir = writeTemplates({ 'layers.yaml': LAYERS, 'consumer.yaml': CONSUMER });

      const project = loadProject({
        ...ACCOUNT,
        templatesDir: dir,
        stacks: [
          { file: 'consumer.yaml', stackName: 'happy-consumer' },
          { file: 'layers.yaml', stackName: 'happy-layers' },
        ],
      });

      expect(project.stacks.map((stack) => stack.stackName)).toEqual(['happy-layers', 'happy-consumer']);
      const consumer = project.stacks[1];
      expect(consumer?.resources.Fn?.properties.Layers).toEqual([
        'arn:aws:lambda:eu-west-1:123456789012:layer:happy-layers-sdk:1',
      ]);
      expect(consumer?.parameters.Audience?.value).toEqual(['web', 'mobile']);
      expect(consumer?.resources.Topic?.properties.DisplayName).toBe('web,mobile');
      expect(project.ssmParameters.get('/happy-layers/SdkLayerArn')).toEqual({
        type: 'String',
        value: 'arn:aws:lambda:eu-west-1:123456789012:layer:happy-layers-sdk:1',
      });
    });

    it('follows the producing stack name through an override of the SSM parameter name', () => {
      const dir = writeTemplates({ 'layers.yaml': LAYERS, 'consumer.yaml': CONSUMER });

      const project = loadProject({
        ...ACCOUNT,
        templatesDir: dir,
        stacks: [
          { file: 'layers.yaml', stackName: 'other-layers' },
          {
            file: 'consumer.yaml',
            stackName: 'happy-consumer',
            parameterOverrides: {
              SdkLayerArn: '/other-layers/SdkLayerArn',
              Audience: '/other-layers/Audience',
            },
          },
        ],
      });

      expect(project.stacks[1]?.resources.Fn?.properties.Layers).toEqual([
        'arn:aws:lambda:eu-west-1:123456789012:layer:other-layers-sdk:1',
      ]);
    });

    it('fails naming the template and the parameter when no stack creates the SSM parameter', () => {
      const dir = writeTemplates({ 'layers.yaml': LAYERS, 'consumer.yaml': CONSUMER });

      const error = errorOf(() =>
        loadProject({
          ...ACCOUNT,
          templatesDir: dir,
          stacks: [
            { file: 'layers.yaml', stackName: 'happy-layers' },
            {
              file: 'consumer.yaml',
              stackName: 'happy-consumer',
              parameterOverrides: { SdkLayerArn: '/happy-layers/NoSuchArn' },
            },
          ],
        }),
      );

      expect(error).toBeInstanceOf(TemplateError);
      expect(error.message).toMatch(
        /consumer\.yaml: Parameters\.SdkLayerArn: Parameter 'SdkLayerArn' \(AWS::SSM::Parameter::Value<String>\) reads SSM parameter '\/happy-layers\/NoSuchArn', which does not exist/,
      );
    });

    it('fails when the producing stack is not loaded', () => {
      const dir = writeTemplates({ 'consumer.yaml': CONSUMER });

      const error = errorOf(() =>
        loadProject({ ...ACCOUNT, templatesDir: dir, stacks: [{ file: 'consumer.yaml', stackName: 'c' }] }),
      );

      expect(error).toBeInstanceOf(TemplateError);
      expect(error.message).toContain("consumer.yaml: Parameters.SdkLayerArn: Parameter 'SdkLayerArn'");
    });

    it('accepts SSM parameters from outside the project', () => {
      const dir = writeTemplates({ 'consumer.yaml': CONSUMER });

      const project = loadProject({
        ...ACCOUNT,
        templatesDir: dir,
        stacks: [{ file: 'consumer.yaml', stackName: 'c' }],
        externalSsmParameters: new Map([
          ['/happy-layers/SdkLayerArn', { type: 'String', value: 'arn:aws:lambda:eu-west-1:1:layer:x:7' }],
          ['/happy-layers/Audience', { type: 'StringList', value: 'web' }],
        ]),
      });

      expect(project.stacks[0]?.resources.Fn?.properties.Layers).toEqual([
        'arn:aws:lambda:eu-west-1:1:layer:x:7',
      ]);
    });

    it('fails when two stacks create the same SSM parameter', () => {
      const parameter =
        'Resources:\n  P: {Type: AWS::SSM::Parameter, Properties: {Name: /shared/name, Type: String, Value: x}}\n';
      const dir = writeTemplates({ 'a.yaml': parameter, 'b.yaml': parameter });

      const error = errorOf(() => loadNamed(dir, ['a', 'b']));

      expect(error).toBeInstanceOf(ProjectError);
      expect(error.message).toMatch(
        /^SSM parameter '\/shared\/name' is declared by both .*a\.yaml \(a\) and .*b\.yaml \(b\)$/,
      );
    });

    it("fails on stacks that read each other's SSM parameters in a circle", () => {
      const dir = writeTemplates({
        'a.yaml':
          "Parameters:\n  In: {Type: 'AWS::SSM::Parameter::Value<String>', Default: /b/out}\nResources:\n  P: {Type: AWS::SSM::Parameter, Properties: {Name: /a/out, Type: String, Value: !Ref In}}\n",
        'b.yaml':
          "Parameters:\n  In: {Type: 'AWS::SSM::Parameter::Value<String>', Default: /a/out}\nResources:\n  P: {Type: AWS::SSM::Parameter, Properties: {Name: /b/out, Type: String, Value: !Ref In}}\n",
      });

      const error = errorOf(() => loadNamed(dir, ['a', 'b']));

      expect(error).toBeInstanceOf(ProjectError);
      expect(error.message).toBe(
        "circular imports between stacks: a → b (creates SSM parameter '/b/out') → a (creates SSM parameter '/a/out')",
      );
    });
  });

  it("loads the project's own templates from samconfig, each SSM-typed parameter read from the stack creating it", () => {
    const root = join(__dirname, '..', '..', '..');
    const project = loadProject({
      ...ACCOUNT,
      templatesDir: join(root, 'templates'),
      samConfigPath: join(root, 'samconfig.toml'),
      stacks: ['gdpr', 'workflow-v4', 'backend', 'layers'].map((configEnv) => ({ configEnv })),
    });

    const names = project.stacks.map((stack) => stack.stackName);
    expect(names.slice(0, 2)).toEqual(['happy-path-layers', 'happy-path-backend']);
    const stack = (name: string) => project.stacks.find((candidate) => candidate.stackName === name);
    const layers = stack('happy-path-layers');
    const backend = stack('happy-path-backend');
    const gdpr = stack('happy-path-gdpr');
    const sdk = layers?.resources.SdkLayer?.physicalId;
    const sharp = layers?.resources.SharpLayer?.physicalId;
    expect(sdk).toMatch(/^arn:aws:lambda:eu-west-1:123456789012:layer:happy-path-layers-aws-sdk:\d+$/);
    expect(backend?.resources.CreateLocationFunction?.properties.Layers).toEqual([sdk]);
    expect(stack('happy-path-workflow')?.resources.ResizeFunction?.properties.Layers).toEqual([sdk, sharp]);
    expect(gdpr?.parameters.BackendJwtIssuer?.value).toBe(backend?.parameters.JwtIssuer?.value);
    expect(gdpr?.parameters.BackendJwtAudience?.value).toEqual(backend?.parameters.JwtAudience?.value);
  });
});
