import { join } from 'node:path';
import { checkProject, formatProblems, loadStacks } from './rules';

const root = join(__dirname, '..', '..');

/** Checks one fixture template next to the real layers stack (whose exports it imports). */
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
    ['missing-entry-point', 'functions/backend/does-not-exist.ts does not exist'],
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
  ])('catch %s', (fixture, message) => {
    expect(problemsOf(fixture)).toContain(message);
  });
});
