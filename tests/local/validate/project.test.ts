import { spawnSync } from 'node:child_process';
import { join, relative } from 'node:path';
import { runCfnLint } from '../../../local/validate/cfn-lint';
import { projectFiles, validate } from '../../../local/validate/project';
import { formatFinding } from '../../../local/validate/report';
import { errors, fixtures, lineOf, projectRoot } from './helpers';

describe('npm run validate on the project', () => {
  it('finds no error in any template or ASL file of the project', async () => {
    const input = projectFiles(projectRoot);

    const { findings } = await validate(input);

    expect(errors(findings).map((item) => formatFinding(item, projectRoot))).toEqual([]);
  });

  it('checks every template and every ASL file, including ones added later', () => {
    const input = projectFiles(projectRoot);

    const names = [...input.templates, ...input.stateMachines].map((file) => relative(projectRoot, file));

    expect(names).toEqual(
      expect.arrayContaining([
        'templates/backend.yaml',
        'templates/layers.yaml',
        'templates/workflow-v1.yaml',
        'templates/workflow-v4.yaml',
        'statemachines/v1.asl.json',
        'statemachines/v4.asl.json',
      ]),
    );
    expect(
      names.every((name) =>
        /^templates\/[^/]+\.(yaml|yml|json)$|^statemachines\/[^/]+\.asl\.json$/.test(name),
      ),
    ).toBe(true);
  });

  it('prints file:line:column findings and a summary, and exits 1 when there is an error', () => {
    const brokenProject = join(fixtures, 'project');

    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', join(projectRoot, 'local/validate/cli.ts'), brokenProject],
      // Only the project's own checks here (cfn-lint, where installed, is tested below).
      {
        cwd: projectRoot,
        encoding: 'utf8',
        timeout: 60_000,
        env: { ...process.env, CFN_LINT: 'no-cfn-lint' },
      },
    );

    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(
      /^templates\/app\.yaml:\d+:\d+: error: unknown resource type AWS::SQS::Queu \(did you mean "AWS::SQS::Queue"\?\) \[template-spec\]$/m,
    );
    expect(run.stdout).toMatch(
      /^statemachines\/app\.asl\.json:\d+:\d+: error: Choice "Queued\?" has no Default \[asl-rules\]$/m,
    );
    expect(run.stdout).toMatch(/^validate: 2 files checked, 2 errors, 0 warnings \(\d+ ms\)$/m);
    expect(run.status).toBe(1);
  }, 60_000);
});

describe('cfn-lint, where it is installed', () => {
  const fixture = join(fixtures, 'templates', 'dependency-cycle.yaml');

  it('adds its findings with the rule id at their line, or says why it was skipped', () => {
    const result = runCfnLint([fixture], projectRoot);
    if (!result.ran) {
      expect(result.reason).toContain('pip install cfn-lint');
      return;
    }

    expect(result.findings).toContainEqual(
      expect.objectContaining({
        file: fixture,
        line: lineOf(fixture, '  PhotoApi:'),
        severity: 'error',
        source: 'cfn-lint E3004',
        message: expect.stringContaining('Circular Dependencies for resource PhotoApi'),
      }),
    );
  });

  it('reports a finding about the run itself (no file) instead of crashing', () => {
    const missing = join(fixtures, 'templates', 'no-such-template.yaml');
    const result = runCfnLint([missing], projectRoot);
    if (!result.ran) return;

    expect(result.findings).toContainEqual(
      expect.objectContaining({
        severity: 'error',
        source: 'cfn-lint E0003',
        message: expect.stringContaining('no-such-template.yaml'),
      }),
    );
  });

  it('says it is skipped when the command is missing', () => {
    const previous = process.env.CFN_LINT;
    process.env.CFN_LINT = 'cfn-lint-that-is-not-installed';
    try {
      expect(runCfnLint([fixture], projectRoot)).toEqual({
        ran: false,
        reason: 'cfn-lint-that-is-not-installed is not installed (pip install cfn-lint to run it too)',
      });
    } finally {
      if (previous === undefined) delete process.env.CFN_LINT;
      else process.env.CFN_LINT = previous;
    }
  });
});
