import { createHash } from 'node:crypto';
import { evaluateIntrinsic, parseIntrinsic } from '../../../local/stepfunctions/intrinsics';

const input = {
  name: 'Ada',
  items: [1, 2, 2, 3, { a: 1 }, { a: 1 }],
  numbers: [1, 2, 3, 4, 5],
  text: '{"x":[1,2]}',
  encoded: 'RGF0YSB0byBlbmNvZGU=',
  left: { a: 1, b: { c: 1 } },
  right: { b: 2, d: 4 },
  csv: 'This.is+a,test=string',
};
const context = { Execution: { Id: 'arn:aws:states:eu-west-1:123456789012:execution:M:e1' } };

function evaluate(expression: string): unknown {
  return evaluateIntrinsic(expression, input, context);
}

function failureOf(expression: string): unknown {
  try {
    evaluate(expression);
  } catch (error) {
    return (error as { error?: string }).error;
  }
  return 'no error';
}

describe('intrinsic functions', () => {
  it('parses nested calls, quoted strings with escapes, numbers, null, booleans and paths', () => {
    const call = parseIntrinsic(
      "States.Array('it\\'s', -1.5, null, true, $.items[0], $$.Execution.Id, States.UUID())",
    );

    expect(call.name).toBe('States.Array');
    expect(call.args.map((argument) => argument.kind)).toEqual([
      'literal',
      'literal',
      'literal',
      'literal',
      'path',
      'path',
      'call',
    ]);
    expect(evaluate("States.Array('it\\'s', -1.5, null, true, $.items[0], $$.Execution.Id)")).toEqual([
      "it's",
      -1.5,
      null,
      true,
      1,
      context.Execution.Id,
    ]);
  });

  it('States.Format fills placeholders in order and honours escaped braces', () => {
    expect(evaluate("States.Format('Hello, my name is {}.', $.name)")).toBe('Hello, my name is Ada.');
    expect(evaluate("States.Format('{} has {} items, {}', $.name, 6, null)")).toBe('Ada has 6 items, null');
    expect(evaluate("States.Format('literal \\{\\} and {}', $.name)")).toBe('literal {} and Ada');
  });

  it('States.Format refuses a mismatched argument count or an object argument', () => {
    expect(failureOf("States.Format('{} {}', $.name)")).toBe('States.IntrinsicFailure');
    expect(failureOf("States.Format('{}', $.left)")).toBe('States.IntrinsicFailure');
  });

  it('States.StringToJson and States.JsonToString convert both ways', () => {
    expect(evaluate('States.StringToJson($.text)')).toEqual({ x: [1, 2] });
    expect(evaluate('States.JsonToString($.left)')).toBe('{"a":1,"b":{"c":1}}');
    expect(failureOf("States.StringToJson('not json')")).toBe('States.IntrinsicFailure');
  });

  it('States.Array, ArrayPartition, ArrayContains and ArrayRange build and inspect arrays', () => {
    expect(evaluate('States.Array()')).toEqual([]);
    expect(evaluate('States.ArrayPartition($.numbers, 2)')).toEqual([[1, 2], [3, 4], [5]]);
    expect(evaluate('States.ArrayContains($.items, 3)')).toBe(true);
    expect(evaluate('States.ArrayContains($.items, $.left)')).toBe(false);
    expect(evaluate('States.ArrayRange(1, 9, 2)')).toEqual([1, 3, 5, 7, 9]);
    expect(evaluate('States.ArrayRange(5, 1, -2)')).toEqual([5, 3, 1]);
  });

  it('States.ArrayGetItem, ArrayLength and ArrayUnique read arrays', () => {
    expect(evaluate('States.ArrayGetItem($.numbers, 4)')).toBe(5);
    expect(evaluate('States.ArrayLength($.items)')).toBe(6);
    expect(evaluate('States.ArrayUnique($.items)')).toEqual([1, 2, 3, { a: 1 }]);
  });

  it('array functions fail on bad arguments', () => {
    expect(failureOf('States.ArrayPartition($.numbers, 0)')).toBe('States.IntrinsicFailure');
    expect(failureOf('States.ArrayRange(1, 2000, 1)')).toBe('States.IntrinsicFailure');
    expect(failureOf('States.ArrayRange(1, 5, 0)')).toBe('States.IntrinsicFailure');
    expect(failureOf('States.ArrayGetItem($.numbers, 5)')).toBe('States.IntrinsicFailure');
    expect(failureOf('States.ArrayLength($.name)')).toBe('States.IntrinsicFailure');
  });

  it('States.Base64Encode and Base64Decode round-trip text', () => {
    expect(evaluate("States.Base64Encode('Data to encode')")).toBe('RGF0YSB0byBlbmNvZGU=');
    expect(evaluate('States.Base64Decode($.encoded)')).toBe('Data to encode');
    expect(failureOf("States.Base64Decode('***')")).toBe('States.IntrinsicFailure');
  });

  it('States.Hash supports MD5, SHA-1, SHA-256, SHA-384 and SHA-512', () => {
    const expected = (algorithm: string) => createHash(algorithm).update('input data').digest('hex');

    expect(evaluate("States.Hash('input data', 'MD5')")).toBe(expected('md5'));
    expect(evaluate("States.Hash('input data', 'SHA-1')")).toBe(expected('sha1'));
    expect(evaluate("States.Hash('input data', 'SHA-256')")).toBe(expected('sha256'));
    expect(evaluate("States.Hash('input data', 'SHA-384')")).toBe(expected('sha384'));
    expect(evaluate("States.Hash('input data', 'SHA-512')")).toBe(expected('sha512'));
    expect(failureOf("States.Hash('input data', 'SHA-3')")).toBe('States.IntrinsicFailure');
  });

  it('States.JsonMerge merges shallowly and refuses a deep merge', () => {
    expect(evaluate('States.JsonMerge($.left, $.right, false)')).toEqual({ a: 1, b: 2, d: 4 });
    expect(failureOf('States.JsonMerge($.left, $.right, true)')).toBe('States.IntrinsicFailure');
  });

  it('States.MathRandom stays in range and is repeatable with a seed', () => {
    const values = Array.from({ length: 50 }, () => evaluate('States.MathRandom(1, 10)') as number);

    expect(values.every((value) => Number.isInteger(value) && value >= 1 && value < 10)).toBe(true);
    expect(evaluate('States.MathRandom(1, 1000, 42)')).toBe(evaluate('States.MathRandom(1, 1000, 42)'));
  });

  it('States.MathAdd adds integers', () => {
    expect(evaluate('States.MathAdd(111, -1)')).toBe(110);
    expect(failureOf("States.MathAdd('1', 2)")).toBe('States.IntrinsicFailure');
  });

  it('States.StringSplit splits on any of the delimiter characters', () => {
    expect(evaluate("States.StringSplit('1,2,3,4,5', ',')")).toEqual(['1', '2', '3', '4', '5']);
    expect(evaluate("States.StringSplit($.csv, '.+,=')")).toEqual(['This', 'is', 'a', 'test', 'string']);
  });

  it('States.UUID returns a version 4 UUID', () => {
    expect(evaluate('States.UUID()')).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });

  it('nests calls, as in the AWS documentation example', () => {
    const arnInput = {
      ImageRecipe: { Arn: 'arn:aws:imagebuilder:us-east-1:123456789012:image-recipe/my-recipe.2/1.0.0' },
    };
    const expression =
      "States.Format('{}.{}', States.ArrayGetItem(States.StringSplit(States.ArrayGetItem(States.StringSplit($.ImageRecipe.Arn, '/'), 1), '.'), 0), States.ArrayGetItem(States.StringSplit(States.ArrayGetItem(States.StringSplit($.ImageRecipe.Arn, '/'), 1), '.'), 1))";

    expect(evaluateIntrinsic(expression, arnInput, {})).toBe('my-recipe.2');
  });

  it('reports unknown functions, syntax errors and missing paths as States.IntrinsicFailure', () => {
    expect(failureOf('States.Nope(1)')).toBe('States.IntrinsicFailure');
    expect(failureOf("States.Format('unterminated)")).toBe('States.IntrinsicFailure');
    expect(failureOf('States.ArrayLength($.missing)')).toBe('States.IntrinsicFailure');
    expect(failureOf('States.UUID(1)')).toBe('States.IntrinsicFailure');
  });
});
