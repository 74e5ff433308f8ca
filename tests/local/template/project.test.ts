import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadProject, ProjectError, TemplateError } from '../../../local/template';
import { errorOf } from './helpers';

const FIXTURES = join(__dirname, 'fixtures', 'project');
const ACCOUNT = { region: 'eu-west-1', accountId: '123456789012' };

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

    const error = errorOf(() =>
      loadProject({
        ...ACCOUNT,
        templatesDir: dir,
        stacks: [
          { file: 'a.yaml', stackName: 'a' },
          { file: 'b.yaml', stackName: 'b' },
        ],
      }),
    );

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

    const error = errorOf(() =>
      loadProject({
        ...ACCOUNT,
        templatesDir: dir,
        stacks: [
          { file: 'a.yaml', stackName: 'a' },
          { file: 'b.yaml', stackName: 'b' },
        ],
      }),
    );

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
});
