import { chooseNextState, evaluateChoiceRule, matchesWildcard } from '../../../local/stepfunctions/choice';
import type { ChoiceRule, ChoiceState } from '../../../local/stepfunctions/definition';
import { run } from './helpers';

const input = {
  name: 'Ada',
  other: 'Ada',
  count: 5,
  limit: 10,
  flag: true,
  nothing: null,
  when: '2024-06-01T12:00:00Z',
  later: '2024-06-01T13:00:00+01:00',
  file: 'log-2024.txt',
};

function holds(rule: ChoiceRule): boolean {
  return evaluateChoiceRule(rule, input, {});
}

describe('Choice rules', () => {
  it.each([
    [{ Variable: '$.name', StringEquals: 'Ada' }, true],
    [{ Variable: '$.name', StringEquals: 'Bob' }, false],
    [{ Variable: '$.name', StringLessThan: 'B' }, true],
    [{ Variable: '$.name', StringGreaterThan: 'B' }, false],
    [{ Variable: '$.name', StringLessThanEquals: 'Ada' }, true],
    [{ Variable: '$.name', StringGreaterThanEquals: 'Ada' }, true],
    [{ Variable: '$.name', StringEqualsPath: '$.other' }, true],
    [{ Variable: '$.count', NumericEquals: 5 }, true],
    [{ Variable: '$.count', NumericLessThan: 5 }, false],
    [{ Variable: '$.count', NumericGreaterThan: 4.5 }, true],
    [{ Variable: '$.count', NumericLessThanEquals: 5 }, true],
    [{ Variable: '$.count', NumericGreaterThanEquals: 6 }, false],
    [{ Variable: '$.count', NumericLessThanPath: '$.limit' }, true],
    [{ Variable: '$.limit', NumericGreaterThanEqualsPath: '$.count' }, true],
    [{ Variable: '$.flag', BooleanEquals: true }, true],
    [{ Variable: '$.flag', BooleanEqualsPath: '$.flag' }, true],
    [{ Variable: '$.when', TimestampEquals: '2024-06-01T12:00:00Z' }, true],
    [{ Variable: '$.when', TimestampEqualsPath: '$.later' }, true],
    [{ Variable: '$.when', TimestampLessThan: '2024-06-01T12:00:01Z' }, true],
    [{ Variable: '$.when', TimestampGreaterThan: '2024-06-01T12:00:01Z' }, false],
    [{ Variable: '$.when', TimestampLessThanEquals: '2024-06-01T12:00:00Z' }, true],
    [{ Variable: '$.when', TimestampGreaterThanEquals: '2025-01-01T00:00:00Z' }, false],
    [{ Variable: '$.file', StringMatches: 'log-*.txt' }, true],
    [{ Variable: '$.file', StringMatches: 'log-\\*.txt' }, false],
    [{ Variable: '$.nothing', IsNull: true }, true],
    [{ Variable: '$.name', IsNull: false }, true],
    [{ Variable: '$.missing', IsPresent: false }, true],
    [{ Variable: '$.name', IsPresent: true }, true],
    [{ Variable: '$.count', IsNumeric: true }, true],
    [{ Variable: '$.name', IsString: true }, true],
    [{ Variable: '$.flag', IsBoolean: true }, true],
    [{ Variable: '$.when', IsTimestamp: true }, true],
    [{ Variable: '$.name', IsTimestamp: true }, false],
  ])('evaluates %j as %s', (rule, expected) => {
    expect(holds(rule as ChoiceRule)).toBe(expected);
  });

  it('treats a comparison of mismatched types as false', () => {
    expect(holds({ Variable: '$.count', StringEquals: '5' })).toBe(false);
    expect(holds({ Variable: '$.name', NumericEquals: 5 })).toBe(false);
  });

  it('nests And, Or and Not', () => {
    const rule: ChoiceRule = {
      And: [
        { Variable: '$.count', NumericGreaterThan: 1 },
        {
          Or: [
            { Variable: '$.name', StringEquals: 'Bob' },
            { Not: { Variable: '$.flag', BooleanEquals: false } },
          ],
        },
      ],
    };

    expect(holds(rule)).toBe(true);
    expect(holds({ Not: rule })).toBe(false);
  });

  it('matches escaped stars and backslashes literally', () => {
    expect(matchesWildcard('a*b', 'a\\*b')).toBe(true);
    expect(matchesWildcard('axb', 'a\\*b')).toBe(false);
    expect(matchesWildcard('a\\b', 'a\\\\b')).toBe(true);
    expect(matchesWildcard('anything at all', '*')).toBe(true);
  });

  it('picks the first matching rule, then the Default', () => {
    const state: ChoiceState = {
      Type: 'Choice',
      Choices: [
        { Variable: '$.count', NumericGreaterThan: 1, Next: 'First' },
        { Variable: '$.count', NumericGreaterThan: 0, Next: 'Second' },
      ],
      Default: 'Fallback',
    };

    expect(chooseNextState(state, { count: 5 }, {})).toBe('First');
    expect(chooseNextState(state, { count: 0 }, {})).toBe('Fallback');
  });

  it('fails with States.NoChoiceMatched when nothing matches and there is no Default', async () => {
    const result = await run(
      {
        StartAt: 'Decide',
        States: {
          Decide: { Type: 'Choice', Choices: [{ Variable: '$.n', NumericEquals: 1, Next: 'Done' }] },
          Done: { Type: 'Succeed' },
        },
      },
      { n: 2 },
    );

    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('States.NoChoiceMatched');
  });

  it('fails with States.Runtime when the Variable is missing', async () => {
    const result = await run(
      {
        StartAt: 'Decide',
        States: {
          Decide: {
            Type: 'Choice',
            Choices: [{ Variable: '$.n', NumericEquals: 1, Next: 'Done' }],
            Default: 'Done',
          },
          Done: { Type: 'Succeed' },
        },
      },
      {},
    );

    expect(result.error).toBe('States.Runtime');
  });

  it('routes an execution and passes the effective input through', async () => {
    const result = await run(
      {
        StartAt: 'Decide',
        States: {
          Decide: {
            Type: 'Choice',
            InputPath: '$.photo',
            Choices: [{ Variable: '$.type', StringEquals: 'park', Next: 'Park' }],
            Default: 'Other',
          },
          Park: { Type: 'Pass', Result: 'park', End: true },
          Other: { Type: 'Pass', Result: 'other', End: true },
        },
      },
      { photo: { type: 'park' } },
    );

    expect(result.outputValue).toBe('park');
    expect(result.history.map((event) => event.type)).toEqual([
      'ExecutionStarted',
      'ChoiceStateEntered',
      'ChoiceStateExited',
      'PassStateEntered',
      'PassStateExited',
      'ExecutionSucceeded',
    ]);
  });
});
