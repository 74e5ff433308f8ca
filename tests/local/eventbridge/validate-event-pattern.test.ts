import { InvalidEventPatternError } from '../../../local/eventbridge/errors';
import { validateEventPattern } from '../../../local/eventbridge/validate-event-pattern';

describe('validateEventPattern', () => {
  test.each([
    ['pattern text that is not JSON', '{ "source": [', /not valid JSON/],
    ['a pattern that is not an object', ['aws.ec2'], /must be a JSON object/],
    ['an empty pattern', {}, /Empty objects are not allowed/],
    ['an empty nested object', { detail: {} }, /Empty objects are not allowed at "detail"/],
    ['a leaf value that is not an array', { source: 'aws.ec2' }, /"source" must be an object or an array/],
    [
      'a numeric leaf value that is not an array',
      { detail: { count: 5 } },
      /"detail.count" must be an object or an array/,
    ],
    ['an empty list of values', { source: [] }, /Empty arrays are not allowed/],
    ['a nested array of values', { source: [['aws.ec2']] }, /Match value must be/],
    ['an unknown operator', { source: [{ contains: 'ec2' }] }, /Unrecognized match type contains/],
    ['two operators in one object', { source: [{ prefix: 'a', suffix: 'b' }] }, /Only one match type/],
    ['a prefix that is not a string', { source: [{ prefix: 5 }] }, /prefix match pattern must be a string/],
    [
      'a prefix modified by something other than equals-ignore-case',
      { source: [{ prefix: { wildcard: 'a' } }] },
      /only equals-ignore-case/,
    ],
    ['an exists that is not a boolean', { source: [{ exists: 'yes' }] }, /either true or false/],
    ['consecutive wildcard characters', { source: [{ wildcard: 'a**b' }] }, /Consecutive wildcard/],
    [
      'a backslash escaping an ordinary character',
      { source: [{ wildcard: 'a\\b' }] },
      /backslash may only escape/,
    ],
    [
      'an anything-but list mixing strings and numbers',
      { source: [{ 'anything-but': ['a', 1] }] },
      /all strings or all numbers/,
    ],
    [
      'an anything-but prefix that is not a string',
      { source: [{ 'anything-but': { prefix: 5 } }] },
      /anything-but prefix must be a string or a list of strings/,
    ],
    [
      'an anything-but suffix list holding a number',
      { source: [{ 'anything-but': { suffix: ['.jpg', 5] } }] },
      /anything-but suffix must be a string or a list of strings/,
    ],
    [
      'an empty anything-but prefix list',
      { source: [{ 'anything-but': { prefix: [] } }] },
      /must be a string/,
    ],
    [
      'an empty anything-but prefix',
      { source: [{ 'anything-but': { prefix: '' } }] },
      /Null prefix\/suffix not allowed/,
    ],
    [
      'an empty string in an anything-but suffix list',
      { source: [{ 'anything-but': { suffix: ['.jpg', ''] } }] },
      /Null prefix\/suffix not allowed/,
    ],
    [
      'an unknown anything-but operator',
      { source: [{ 'anything-but': { numeric: ['>', 1] } }] },
      /Unsupported anything-but pattern/,
    ],
    [
      'a numeric comparison with an unknown operator',
      { count: [{ numeric: ['!=', 1] }] },
      /operator must be one of/,
    ],
    ['a numeric comparison without a number', { count: [{ numeric: ['>', '1'] }] }, /needs a number/],
    ['a numeric equality inside a range', { count: [{ numeric: ['=', 1, '<', 5] }] }, /cannot be combined/],
    ['a numeric range given upper bound first', { count: [{ numeric: ['<', 5, '>', 1] }] }, /lower bound/],
    ['an empty numeric range', { count: [{ numeric: ['>', 5, '<', 1] }] }, /bottom must be lower/],
    ['a numeric bound beyond 5e9', { count: [{ numeric: ['>', 6e9] }] }, /between -5.0e9 and 5.0e9/],
    ['a malformed CIDR block', { ip: [{ cidr: '10.0.0.0/33' }] }, /Nonstandard IP address/],
    ['a $or with a single alternative', { $or: [{ source: ['a'] }] }, /at least two patterns/],
    [
      'a $or alternative with an invalid field',
      { $or: [{ source: ['a'] }, { region: 'us-east-1' }] },
      /"region" must be/,
    ],
  ])('rejects %s', (_name, pattern, reason) => {
    // Arrange is the table row; Act
    const validate = () => validateEventPattern(pattern);
    // Assert
    expect(validate).toThrow(InvalidEventPatternError);
    expect(validate).toThrow(reason);
  });

  test.each([
    ['an anything-but prefix list', { source: [{ 'anything-but': { prefix: ['aws.', 'happy-path.'] } }] }],
    ['an anything-but suffix list', { detail: { key: [{ 'anything-but': { suffix: ['.png', '.gif'] } }] } }],
    ['a single anything-but suffix', { detail: { key: [{ 'anything-but': { suffix: '.png' } }] } }],
    ['an empty plain prefix (any string value)', { detail: { key: [{ prefix: '' }] } }],
  ])('accepts %s, as EventBridge does', (_name, pattern) => {
    // Act
    const validated = validateEventPattern(pattern);
    // Assert
    expect(validated).toEqual(pattern);
  });

  test('returns the parsed pattern when the pattern text is valid', () => {
    // Arrange
    const text = '{"source":["aws.ec2"],"detail":{"state":[{"anything-but":{"wildcard":["*a","b*"]}}]}}';
    // Act
    const pattern = validateEventPattern(text);
    // Assert
    expect(pattern).toEqual(JSON.parse(text));
  });

  test('names the error class and the AWS error code', () => {
    // Arrange
    let caught: unknown;
    // Act
    try {
      validateEventPattern({});
    } catch (error) {
      caught = error;
    }
    // Assert
    expect(caught).toMatchObject({ name: 'InvalidEventPatternError', code: 'InvalidEventPatternException' });
  });
});
