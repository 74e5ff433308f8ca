import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parameterOverridesFor } from '../../../local/runtime/app';
import {
  assignParameterOverrides,
  ParameterOverridesError,
  parameterOverrideArguments,
  parseCliParameterOverrides,
} from '../../../local/runtime/parameter-overrides';

const root = join(__dirname, '..', '..', '..');

function cli(args: string[]) {
  const { tokens } = parseArgs({
    args,
    allowPositionals: true,
    tokens: true,
    options: { 'parameter-overrides': { type: 'string', multiple: true }, reset: { type: 'boolean' } },
  });
  return parameterOverrideArguments(tokens);
}

describe('npm start --parameter-overrides', () => {
  it('parses SAM CLI pairs: plain, quoted, long form and per stack', () => {
    // Act
    const parsed = parseCliParameterOverrides([
      'MinImageSide=1024 IgnoredModerationCategories="Swimwear or Underwear"',
      'ParameterKey=PersonMinConfidence,ParameterValue=90',
      'backend:JwtIssuer=https://login.example.com/',
    ]);
    // Assert
    expect(parsed).toEqual({
      all: {
        MinImageSide: '1024',
        IgnoredModerationCategories: 'Swimwear or Underwear',
        PersonMinConfidence: '90',
      },
      byStack: { backend: { JwtIssuer: 'https://login.example.com/' } },
    });
  });

  it('takes the arguments after the option up to the next option, as the SAM CLI does', () => {
    // Act
    const values = cli(['--parameter-overrides', 'A=1', 'B=2', '--reset']);
    // Assert
    expect(values).toEqual(['A=1', 'B=2']);
    expect(() => cli(['stray'])).toThrow(ParameterOverridesError);
  });

  it.each([
    ['a pair without =', ['MinImageSide']],
    ['an empty key', ['=1024']],
    ['an unterminated quote', ['IgnoredModerationCategories="Swimwear']],
    ['a long form without its value', ['ParameterKey=MinImageSide']],
  ])('refuses %s with a parse error', (_name, values) => {
    // Act
    const parse = () => parseCliParameterOverrides(values);
    // Assert
    expect(parse).toThrow(ParameterOverridesError);
    expect(parse).toThrow(/--parameter-overrides/);
  });

  it('gives a plain pair to every stack that declares it, a prefixed one to its stack only', () => {
    // Arrange
    const parsed = parseCliParameterOverrides(['LogRetentionDays=7 gdpr:ApproverEmail=dpo@example.com']);
    // Act
    const assigned = assignParameterOverrides(parsed, {
      backend: ['LogRetentionDays', 'JwtIssuer'],
      gdpr: ['LogRetentionDays', 'ApproverEmail'],
      layers: [],
    });
    // Assert
    expect(assigned).toEqual({
      backend: { LogRetentionDays: '7' },
      gdpr: { LogRetentionDays: '7', ApproverEmail: 'dpo@example.com' },
    });
  });

  it.each([
    [
      'a parameter no running stack declares',
      'MinImageSid=1024',
      /no running stack declares the parameter MinImageSid/,
    ],
    ['a stack that is not running', 'workflow-v1:MinImageSide=1', /the stack 'workflow-v1' is not running/],
    [
      'a parameter its stack does not declare',
      'backend:MinImageSide=1',
      /'backend' declares no parameter MinImageSide/,
    ],
  ])('refuses %s', (_name, text, message) => {
    // Arrange
    const parsed = parseCliParameterOverrides([text]);
    // Act
    const assign = () =>
      assignParameterOverrides(parsed, { backend: ['JwtIssuer'], 'workflow-v4': ['MinImageSide'] });
    // Assert
    expect(assign).toThrow(message);
  });

  it("passes the overrides to the loader over the local JWT defaults, read from the project's templates", () => {
    // Arrange
    const parameterOverrides = parseCliParameterOverrides([
      'JwtAudience=my-api MinImageSide=1024 workflow-v4:PersonMinConfidence=95',
    ]);
    // Act
    const overrides = parameterOverridesFor({ root, parameterOverrides }, [
      'layers',
      'backend',
      'workflow-v4',
    ]);
    // Assert
    expect(overrides).toEqual({
      backend: { JwtIssuer: 'https://happy-path.local/', JwtAudience: 'my-api' },
      'workflow-v4': { MinImageSide: '1024', PersonMinConfidence: '95' },
    });
  });
});

describe('quoting as the SAM CLI does it', () => {
  it('keeps a single-quoted value with spaces in one pair, and a Windows path as written', () => {
    expect(parseCliParameterOverrides(["Title='a b c' Path=C:\\dir\\x gdpr:Note='x y'"])).toEqual({
      all: { Title: 'a b c', Path: 'C:\\dir\\x' },
      byStack: { gdpr: { Note: 'x y' } },
    });
  });

  it('refuses an unterminated single quote', () => {
    expect(() => parseCliParameterOverrides(["Title='a b"])).toThrow(/unterminated quote/);
  });
});
