import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { checkProject, formatProblems, loadStacks, readSamConfig } from './rules';

const root = join(__dirname, '..', '..');
const templateFiles = readdirSync(join(root, 'templates'))
  .filter((name) => name.endsWith('.yaml'))
  .map((name) => join(root, 'templates', name));
const samConfigPath = join(root, 'samconfig.toml');
const stacks = loadStacks(root, templateFiles, samConfigPath);

describe('SAM templates', () => {
  it('include the layers and backend stacks', () => {
    expect(templateFiles.map((file) => basename(file))).toEqual(
      expect.arrayContaining(['layers.yaml', 'backend.yaml']),
    );
  });

  it('pass every template rule (references, handlers, IAM, storage, imports)', () => {
    expect(formatProblems(checkProject(root, stacks))).toBe('');
  });

  it('each have a samconfig.toml config env that builds and deploys them', () => {
    const envs = readSamConfig(samConfigPath);
    for (const stack of stacks) {
      const file = stack.file;
      const env = envs.find((candidate) => candidate.templateFile === file);
      expect({ file, env: env?.env, stackName: env?.stackName }).toEqual({
        file,
        env: basename(file, '.yaml'),
        stackName: expect.stringMatching(/^happy-path-/),
      });
    }
  });

  it('export every backend value the workflow and GDPR stacks import, under stack-prefixed names', () => {
    const backend = stacks.find((stack) => stack.file === 'templates/backend.yaml');
    const outputs = backend?.template.Outputs as Record<string, { Export?: { Name?: unknown } }>;
    const exported = Object.values(outputs).map((output) => JSON.stringify(output.Export?.Name));

    for (const name of [
      'AppTableName',
      'AppTableArn',
      'UploadBucketName',
      'DistributionBucketName',
      'EventBusName',
    ]) {
      expect(exported).toContain(JSON.stringify({ 'Fn::Sub': `\${AWS::StackName}-${name}` }));
    }
  });

  it('keep the layer package versions identical to package.json', () => {
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const makefile = readFileSync(join(root, 'layers/sdk/Makefile'), 'utf8');
    const sdkPackages = Object.keys(manifest.dependencies).filter((name) => name.startsWith('@aws-sdk/'));

    expect(makefile).toContain("'^@aws-sdk/'");
    expect(sdkPackages).toEqual(
      expect.arrayContaining(['@aws-sdk/client-s3', '@aws-sdk/lib-dynamodb', '@aws-sdk/client-eventbridge']),
    );
    for (const version of Object.values(manifest.dependencies)) expect(version).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
