import { join } from 'node:path';
import {
  commandParameters,
  loadSamConfig,
  parameterOverridesFor,
  parseParameterOverrides,
  parseSamConfig,
  SamConfigError,
} from '../../../local/template';
import { errorOf } from './helpers';

const CONFIG_PATH = join(__dirname, 'fixtures', 'project', 'samconfig.toml');

describe('samconfig', () => {
  it('reads every config env with its commands', () => {
    const config = loadSamConfig(CONFIG_PATH);

    expect(config.version).toBe(0.1);
    expect(Object.keys(config.environments)).toEqual(['default', 'layers', 'backend', 'workflow']);
    expect(config.environments.layers?.deploy).toEqual({
      stack_name: 'happy-layers',
      template_file: 'layers.yaml',
      resolve_s3: true,
      capabilities: 'CAPABILITY_IAM',
    });
  });

  it('overlays the command parameters on the env global parameters', () => {
    const config = loadSamConfig(CONFIG_PATH);

    expect(commandParameters(config, 'backend', 'deploy')).toMatchObject({
      stack_name: 'happy-backend',
      parameter_overrides: 'Stage=prod LayersStack="happy-layers"',
      capabilities: ['CAPABILITY_IAM', 'CAPABILITY_AUTO_EXPAND'],
    });
    expect(commandParameters(config, 'backend', 'build')).toEqual({ parameter_overrides: 'Stage=dev' });
  });

  it('accepts command names as typed on the command line', () => {
    const config = parseSamConfig(
      'version = 0.1\n[default.local_start_api.parameters]\nport = 3001\n',
      'samconfig.toml',
    );

    expect(commandParameters(config, 'default', 'local start-api')).toEqual({ port: 3001 });
  });

  it('gives the parameter overrides of an env, from a string or a list', () => {
    const config = loadSamConfig(CONFIG_PATH);

    expect(parameterOverridesFor(config, 'backend')).toEqual({ Stage: 'prod', LayersStack: 'happy-layers' });
    expect(parameterOverridesFor(config, 'workflow')).toEqual({ BackendStack: 'happy-backend' });
    expect(parameterOverridesFor(config, 'layers')).toEqual({});
  });

  it('parses quoted values, escapes and the ParameterKey form', () => {
    expect(
      parseParameterOverrides('A=1 B="x y" C=a\\ b D="say \\"hi\\"" ParameterKey=E,ParameterValue=e E2=""'),
    ).toEqual({ A: '1', B: 'x y', C: 'a b', D: 'say "hi"', E: 'e', E2: '' });
  });

  it('takes single quotes and keeps backslashes the SAM CLI keeps (only before a space or a quote are they escapes)', () => {
    expect(parseParameterOverrides("A='x y' B='it\\'s' Path=C:\\dir\\x Q=\"a\\\\b\"")).toEqual({
      A: 'x y',
      B: "it's",
      Path: 'C:\\dir\\x',
      Q: 'a\\\\b',
    });
  });

  it('parses list entries as KEY=VALUE with everything after the first =', () => {
    expect(parseParameterOverrides(['A=1', 'B=x y', 'C=k=v', 'D="quoted"'])).toEqual({
      A: '1',
      B: 'x y',
      C: 'k=v',
      D: 'quoted',
    });
  });

  it('reads YAML config files too', () => {
    const config = parseSamConfig(
      'version: 0.1\nprod:\n  deploy:\n    parameters:\n      parameter_overrides: Stage=prod\n',
      'samconfig.yaml',
    );

    expect(parameterOverridesFor(config, 'prod')).toEqual({ Stage: 'prod' });
  });

  it('fails clearly on an unknown config env', () => {
    const error = errorOf(() => parameterOverridesFor(loadSamConfig(CONFIG_PATH), 'staging'));

    expect(error).toBeInstanceOf(SamConfigError);
    expect(error.message).toBe(
      `${CONFIG_PATH}: no config env 'staging' (known: default, layers, backend, workflow)`,
    );
  });

  it('fails clearly on malformed overrides', () => {
    const config = parseSamConfig('[e.deploy.parameters]\nparameter_overrides = "A=1 B"\n', 'samconfig.toml');

    expect(errorOf(() => parameterOverridesFor(config, 'e')).message).toBe(
      "samconfig.toml: [e] malformed parameter overrides: expected '=' after B",
    );
  });

  it('fails clearly on invalid TOML and missing files', () => {
    expect(errorOf(() => parseSamConfig('[broken', 'samconfig.toml'))).toBeInstanceOf(SamConfigError);
    expect(errorOf(() => loadSamConfig('/nonexistent/samconfig.toml')).message).toMatch(
      /^\/nonexistent\/samconfig\.toml: cannot read/,
    );
  });
});
