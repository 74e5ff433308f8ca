import { describeRule, flowFromDefinition, resourceKind } from '../../../local/graphs/flow';

describe('describeRule', () => {
  it.each([
    [{ Variable: '$.verdict.accepted', BooleanEquals: true }, '$.verdict.accepted == true'],
    [{ Variable: '$.type', StringEquals: 'park' }, '$.type == "park"'],
    [{ Variable: '$.count', NumericGreaterThanEqualsPath: '$.limit' }, '$.count >= $.limit'],
    [{ Variable: '$.name', StringMatches: 'IMG_*' }, '$.name matches "IMG_*"'],
    [{ Not: { Variable: '$.item', IsPresent: true } }, '$.item is missing'],
    [{ Not: { Variable: '$.type', StringEquals: 'bar' } }, '$.type != "bar"'],
    [{ Variable: '$.error', IsNull: false }, '$.error is not null'],
    [
      {
        Or: [
          { Variable: '$.t', StringEquals: 'a' },
          { Variable: '$.t', StringEquals: 'b' },
        ],
      },
      '$.t in ("a", "b")',
    ],
    [
      {
        And: [
          { Variable: '$.retries', NumericLessThan: 3 },
          {
            Or: [
              { Variable: '$.a', BooleanEquals: true },
              { Variable: '$.b', NumericEquals: 1 },
            ],
          },
        ],
      },
      '$.retries < 3 and ($.a == true or $.b == 1)',
    ],
    [{ Condition: '{% $states.input.count > 2 %}' }, '$states.input.count > 2'],
  ])('describes %j as %s', (rule, text) => {
    expect(describeRule(rule)).toBe(text);
  });
});

describe('resourceKind', () => {
  it.each([
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a DefinitionSubstitutions placeholder, as in the ASL files
    ['${ResizeFunctionArn}', 'Lambda'],
    ['arn:aws:lambda:us-east-1:123456789012:function:resize', 'Lambda'],
    ['arn:aws:states:::lambda:invoke', 'Lambda invoke'],
    ['arn:aws:states:::lambda:invoke.waitForTaskToken', 'Lambda invoke · wait for token'],
    ['arn:aws:states:::dynamodb:updateItem', 'DynamoDB updateItem'],
    ['arn:aws:states:::events:putEvents', 'EventBridge putEvents'],
    ['arn:aws:states:::aws-sdk:s3:deleteObjects', 'S3 deleteObjects'],
    ['arn:aws:states:::states:startExecution.sync:2', 'Step Functions startExecution · sync'],
    ['arn:aws:states:us-east-1:123456789012:activity:review', 'Activity'],
  ])('names %s "%s"', (resource, kind) => {
    expect(resourceKind(resource)).toBe(kind);
  });
});

describe('flowFromDefinition', () => {
  it('merges rules and Default that go to the same state into one labelled edge', () => {
    const flow = flowFromDefinition({
      StartAt: 'Ready?',
      States: {
        'Ready?': {
          Type: 'Choice',
          Choices: [
            { Variable: '$.a', BooleanEquals: true, Next: 'Go' },
            { Variable: '$.b', BooleanEquals: true, Next: 'Go' },
          ],
          Default: 'Go',
        },
        Go: { Type: 'Succeed' },
      },
    });

    const fromChoice = flow.edges.filter((edge) => edge.from === 'state:Ready?');
    expect(fromChoice).toEqual([
      {
        from: 'state:Ready?',
        to: 'state:Go',
        kind: 'choice',
        label: ['$.a == true', '$.b == true', 'Default'],
      },
    ]);
  });

  it('abbreviates long error lists and splits long dotted error names', () => {
    const flow = flowFromDefinition({
      StartAt: 'Work',
      States: {
        Work: {
          Type: 'Task',
          Resource: 'arn:aws:states:::dynamodb:putItem',
          Catch: [
            {
              ErrorEquals: ['DynamoDB.ConditionalCheckFailedException', 'A', 'B', 'C', 'D'],
              Next: 'Failed',
            },
          ],
          End: true,
        },
        Failed: { Type: 'Fail' },
      },
    });

    const caught = flow.edges.find((edge) => edge.kind === 'catch');
    expect(caught?.label).toEqual(['DynamoDB.', 'ConditionalCheckFailedException', 'A', 'B', '+2 more']);
  });
});
