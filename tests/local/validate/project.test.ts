import { spawnSync } from 'node:child_process';
import { join, relative } from 'node:path';
import { projectFiles, validate } from '../../../local/validate/project';
import { formatFinding } from '../../../local/validate/report';
import { errors, fixtures, projectRoot } from './helpers';

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
      [require.resolve('tsx/cli'), join(projectRoot, 'local/validate/cli.ts'), brokenProject],
      { cwd: projectRoot, encoding: 'utf8', timeout: 60_000 },
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
