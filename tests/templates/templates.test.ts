import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parse as parseToml } from 'smol-toml';
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

  it('build each config env into its own build and cache folders, and deploy what it built', () => {
    const config = parseToml(readFileSync(samConfigPath, 'utf8')) as Record<
      string,
      Record<string, { parameters: Record<string, unknown> }>
    >;
    const envs = Object.keys(config).filter((env) => env !== 'version' && env !== 'default');
    expect(envs).toEqual(expect.arrayContaining(['layers', 'backend', 'gdpr']));
    for (const env of envs) {
      const build = config[env]?.build?.parameters;
      const deploy = config[env]?.deploy?.parameters;
      expect({ env, ...build }).toMatchObject({
        env,
        build_dir: `.aws-sam/${env}/build`,
        cache_dir: `.aws-sam/${env}/cache`,
      });
      expect({ env, template_file: deploy?.template_file }).toEqual({
        env,
        template_file: `.aws-sam/${env}/build/template.yaml`,
      });
    }
    // SAM hashes the layer folders, which hold each layer's Makefile, package.json and lockfile.
    expect(config.layers?.build?.parameters.cached).toBe(true);
  });

  it('publish the JWT settings as SSM parameters, never as exports other stacks import', () => {
    for (const stack of stacks) {
      const outputs = (stack.template.Outputs ?? {}) as Record<string, { Export?: unknown }>;
      for (const name of ['ApiJwtIssuer', 'ApiJwtAudiences']) {
        expect({ file: stack.file, name, export: outputs[name]?.Export }).toEqual({
          file: stack.file,
          name,
          export: undefined,
        });
      }
      expect(JSON.stringify(stack.template)).not.toMatch(/-Jwt(Issuer|Audience)/);
    }
    const created = stacks.flatMap((stack) =>
      Object.values(
        stack.template.Resources as Record<string, { Type: string; Properties: { Name?: unknown } }>,
      )
        .filter((resource) => resource.Type === 'AWS::SSM::Parameter')
        .map((resource) => `${stack.file} ${JSON.stringify(resource.Properties.Name)}`),
    );
    const named = (file: string, value: string) =>
      `templates/${file} ${JSON.stringify({ 'Fn::Sub': `/\${AWS::StackName}/${value}` })}`;
    expect(created).toEqual(
      expect.arrayContaining([named('backend.yaml', 'JwtIssuer'), named('backend.yaml', 'JwtAudience')]),
    );
  });

  it('import the layer ARNs (sam local invoke skips an imported layer; it refuses an SSM parameter name)', () => {
    for (const stack of stacks.filter((candidate) => !candidate.file.endsWith('layers.yaml'))) {
      const globals = (stack.template.Globals as { Function?: { Layers?: unknown } } | undefined)?.Function;
      expect({ file: stack.file, layers: globals?.Layers }).toEqual({
        file: stack.file,
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub placeholder
        layers: [{ 'Fn::ImportValue': { 'Fn::Sub': '${LayersStackName}-SdkLayerArn' } }],
      });
    }
  });

  it('fail the sharp layer build when npm skipped its linux-arm64 packages', () => {
    const makefile = readFileSync(join(root, 'layers/sharp/Makefile'), 'utf8');

    expect(makefile).toContain('--include=optional');
    expect(makefile).toContain('PLATFORM_PACKAGES := @img/sharp-linux-arm64 @img/sharp-libvips-linux-arm64');
    expect(makefile).toMatch(/node_modules\/\$\$package\/package\.json[\s\S]*exit 1/);
  });

  it('install each layer with npm ci from the package.json and lockfile beside its Makefile', () => {
    for (const layer of ['sdk', 'sharp']) {
      const makefile = readFileSync(join(root, 'layers', layer, 'Makefile'), 'utf8');

      expect({
        layer,
        copies: makefile.includes('cp $(LAYER_DIR)/package.json $(LAYER_DIR)/package-lock.json'),
      }).toEqual({
        layer,
        copies: true,
      });
      expect({
        layer,
        install: /npm ci --omit=dev/.test(makefile),
        npmInstall: /npm install/.test(makefile),
      }).toEqual({
        layer,
        install: true,
        npmInstall: false,
      });
    }
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    for (const version of Object.values(manifest.dependencies)) expect(version).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
