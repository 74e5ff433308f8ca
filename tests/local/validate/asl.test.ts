import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { placeholderValue, substitutePlaceholders } from '../../../local/validate/asl';
import type { Finding } from '../../../local/validate/report';
import { aslFindings, errors, lineOf, token } from './helpers';

function at(findings: readonly Finding[], file: string, line: number, source: string): string[] {
  return findings
    .filter(
      (item) =>
        item.file === file && item.line === line && item.source === source && item.severity === 'error',
    )
    .map((item) => item.message);
}

describe('ASL validation', () => {
  it('finds nothing wrong in the valid fixture, so each broken fixture fails for its own mistake', async () => {
    const { findings } = await aslFindings('valid');

    expect(findings).toEqual([]);
  });

  it('reports an unknown state type where the language service and asl-validator both see it', async () => {
    const { asl, findings } = await aslFindings('unknown-state-type');
    const line = lineOf(asl, '"Type": "Taks"');

    expect(at(findings, asl, line, 'asl-service')).toEqual([
      expect.stringContaining('Value is not accepted'),
    ]);
    expect(at(findings, asl, line, 'asl-validator')).toEqual([
      expect.stringContaining('/States/Resize photo/Type is invalid'),
    ]);
  });

  it('reports a Next that names no state', async () => {
    const { asl, findings } = await aslFindings('missing-next-target');
    const line = lineOf(asl, '"Next": "Resized"');

    expect(at(findings, asl, line, 'asl-rules')).toEqual([
      'Next of "Resize photo" names "Resized", which is not a state',
    ]);
    expect(at(findings, asl, line, 'asl-service')).toEqual([
      expect.stringContaining('must be the name of an existing state'),
    ]);
  });

  it('reports a Choice without Default', async () => {
    const { asl, findings } = await aslFindings('choice-without-default');

    expect(errors(findings)).toEqual([
      expect.objectContaining({
        file: asl,
        line: lineOf(asl, '"Resized?": {'),
        message: 'Choice "Resized?" has no Default',
      }),
    ]);
  });

  it('reports a Task without Retry and without Catch', async () => {
    const { asl, findings } = await aslFindings('task-without-retry-catch');

    expect(at(findings, asl, lineOf(asl, '"Resize photo": {'), 'asl-rules')).toEqual([
      'Task "Resize photo" has no Retry for transient errors',
      'Task "Resize photo" has no Catch',
    ]);
  });

  it('reports a Task without Retry and Catch inside a Map, where it sits', async () => {
    const { asl, findings } = await aslFindings('nested-task-without-retry-catch');

    expect(at(findings, asl, lineOf(asl, '"Resize photo": {'), 'asl-rules')).toEqual([
      'Task "Resize photo" has no Retry for transient errors',
      'Task "Resize photo" has no Catch',
    ]);
    expect(errors(findings).filter((item) => item.source === 'asl-rules')).toHaveLength(2);
  });

  it('reports a Catch and a Choice Default that name no state', async () => {
    const { asl, findings } = await aslFindings('bad-catch-and-default-targets');

    expect(at(findings, asl, lineOf(asl, '"Next": "Processing faild"'), 'asl-rules')).toEqual([
      expect.stringContaining('names "Processing faild", which is not a state'),
    ]);
    expect(at(findings, asl, lineOf(asl, '"Default": "Nowhere"'), 'asl-rules')).toEqual([
      expect.stringContaining('names "Nowhere", which is not a state'),
    ]);
  });

  it('reports a Retry without JitterStrategy FULL', async () => {
    const { asl, findings } = await aslFindings('retry-without-jitter');

    expect(errors(findings)).toEqual([
      expect.objectContaining({
        file: asl,
        line: lineOf(asl, '"Retry": [') + 1,
        message: expect.stringContaining('Retry[0] of Task "Resize photo" has no JitterStrategy'),
      }),
    ]);
  });

  it('reports a DefinitionSubstitutions entry the definition never uses, in the template', async () => {
    const { template, findings } = await aslFindings('unused-substitution');

    expect(errors(findings)).toEqual([
      expect.objectContaining({
        file: template,
        line: lineOf(template, 'PublishFunctionArn:'),
        message:
          'DefinitionSubstitutions entry PublishFunctionArn of ImageWorkflow is not used by tests/local/validate/fixtures/asl/unused-substitution.asl.json',
      }),
    ]);
  });

  it('reports a placeholder the template does not supply, at its column', async () => {
    const { asl, findings } = await aslFindings('placeholder-not-supplied');
    const placeholder = token('DistributionBucketName');
    const line = lineOf(asl, placeholder);
    const [only] = errors(findings);

    expect(errors(findings)).toHaveLength(1);
    expect(only).toMatchObject({ file: asl, line, source: 'asl-rules' });
    expect(only?.message).toContain(
      `placeholder ${placeholder} is not supplied by the DefinitionSubstitutions of ImageWorkflow`,
    );
    const text = readFileSync(asl, 'utf8').split('\n')[line - 1] ?? '';
    expect(only?.column).toBe(text.indexOf(placeholder) + 1);
  });

  it('reports a state no transition leads to', async () => {
    const { asl, findings } = await aslFindings('unreachable-state');

    expect(at(findings, asl, lineOf(asl, '"Notify owner": {'), 'asl-rules')).toEqual([
      'state "Notify owner" is unreachable: no StartAt, Next, Default or Catch leads to it',
    ]);
  });

  it('reports a payload JSONPath without "$" as the VS Code language service does', async () => {
    const { asl, findings } = await aslFindings('jsonpath-typo');

    expect(at(findings, asl, lineOf(asl, '"upload.$": "detail"'), 'asl-service')).toEqual([
      'The value for the field must be a valid JSONPath or intrinsic function expression.',
    ]);
  });

  it('reports a state name that is not a Title Case sentence', async () => {
    const { asl, findings } = await aslFindings('state-name-not-title-case');

    expect(errors(findings)).toEqual([
      expect.objectContaining({
        line: lineOf(asl, '"resizePhoto": {'),
        message: expect.stringContaining('state name "resizePhoto" is not a Title Case sentence'),
      }),
    ]);
    expect(basename(asl)).toBe('state-name-not-title-case.asl.json');
  });

  it('refuses what the States Language forbids as CreateStateMachine does, where the state is', async () => {
    // The local engine's registration check runs on the substituted definition, so `npm run validate`
    // refuses everything `npm start` would refuse (issue #14 item 11).
    const { asl, findings } = await aslFindings('spec-violations');
    const engine = errors(findings).filter((item) => item.source === 'asl-engine');
    const resizeLine = lineOf(asl, '"Resize photo": {');

    expect(engine.map((item) => [item.line, item.message])).toEqual([
      [1, 'Definition: state name "Resize photo" is used more than once'],
      [
        resizeLine,
        expect.stringContaining('TimeoutSecondsPath "$.timeouts[*]" is not a valid reference path'),
      ],
      [resizeLine, expect.stringContaining('duplicate field "upload" after renaming "upload.$"')],
      [resizeLine, expect.stringMatching(/"key\.\$", "\$\.detail\[\?\(", is not a valid JSONPath/)],
      [resizeLine, expect.stringContaining('Retry[0]: field "MaxAttempt" is not allowed in a Retrier')],
      [
        lineOf(asl, '"Resize each size": {'),
        expect.stringContaining('ItemsPath "$..sizes" is not a valid reference path'),
      ],
    ]);
  });
});

describe('placeholder substitution (what sam deploy sends)', () => {
  it('puts an ARN of the matching service where a Resource or an ...Arn placeholder stands', () => {
    expect(placeholderValue('ResizeFunctionArn', true)).toBe(
      'arn:aws:lambda:us-east-1:123456789012:function:resize-function',
    );
    expect(placeholderValue('ApprovalTopicArn', false)).toBe(
      'arn:aws:sns:us-east-1:123456789012:approval-topic',
    );
  });

  it('puts a plain name elsewhere, inside longer strings too', () => {
    const definition = {
      Parameters: { TableName: token('AppTableName'), Key: `x-${token('BucketName')}` },
      Resource: token('Worker'),
    };

    expect(substitutePlaceholders(definition)).toEqual({
      Parameters: { TableName: 'app-table-name', Key: 'x-bucket-name' },
      Resource: 'arn:aws:lambda:us-east-1:123456789012:function:worker',
    });
  });
});
