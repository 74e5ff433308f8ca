import { TemplateError } from './errors';
import { isRecord } from './types';

export type ParameterType = 'String' | 'Number' | 'CommaDelimitedList' | 'List<Number>';

export interface ResolvedParameter {
  readonly type: ParameterType;
  /** What `Ref` returns: a string, or a list of strings for the list types. */
  readonly value: string | readonly string[];
  readonly noEcho: boolean;
}

const SUPPORTED_TYPES: readonly string[] = ['String', 'Number', 'CommaDelimitedList', 'List<Number>'];
const NUMBER = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;

function scalarText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

function optionalNumber(declaration: Record<string, unknown>, key: string, fail: (detail: string) => never) {
  const raw = declaration[key];
  if (raw === undefined) return undefined;
  const text = scalarText(raw);
  if (text === undefined || !NUMBER.test(text)) fail(`${key} must be a number`);
  return Number(text);
}

function splitList(raw: string | readonly unknown[]): string[] {
  if (Array.isArray(raw)) return raw.map((item) => scalarText(item) ?? '');
  return (raw as string).split(',').map((item) => item.trim());
}

/** AllowedPattern must match the whole value. */
function wholeValuePattern(pattern: unknown, fail: (detail: string) => never): RegExp {
  if (typeof pattern !== 'string') return fail('AllowedPattern must be a string');
  try {
    return new RegExp(`^(?:${pattern})$`);
  } catch {
    return fail(`AllowedPattern ${pattern} is not a valid regular expression`);
  }
}

function checkConstraints(
  name: string,
  type: ParameterType,
  declaration: Record<string, unknown>,
  items: readonly string[],
  fail: (detail: string) => never,
): void {
  const constraintFailed = (rule: string): never => {
    const description =
      typeof declaration.ConstraintDescription === 'string' ? declaration.ConstraintDescription : rule;
    return fail(`Parameter '${name}' failed to satisfy constraint: ${description}`);
  };
  const allowedValues = declaration.AllowedValues;
  if (allowedValues !== undefined) {
    if (!Array.isArray(allowedValues)) fail('AllowedValues must be a list');
    const allowed = allowedValues.map((value) => scalarText(value));
    for (const item of items) {
      if (!allowed.includes(item)) fail(`Parameter '${name}' must be one of AllowedValues`);
    }
  }
  if (type === 'String' || type === 'CommaDelimitedList') {
    const pattern = declaration.AllowedPattern;
    if (pattern !== undefined) {
      const regex = wholeValuePattern(pattern, fail);
      for (const item of items) {
        if (!regex.test(item)) constraintFailed(`must match pattern ${pattern}`);
      }
    }
    const minLength = optionalNumber(declaration, 'MinLength', fail);
    const maxLength = optionalNumber(declaration, 'MaxLength', fail);
    for (const item of items) {
      if (minLength !== undefined && item.length < minLength) {
        constraintFailed(`must contain at least ${minLength} characters`);
      }
      if (maxLength !== undefined && item.length > maxLength) {
        constraintFailed(`must contain at most ${maxLength} characters`);
      }
    }
  }
  if (type === 'Number' || type === 'List<Number>') {
    for (const item of items) {
      if (!NUMBER.test(item)) fail(`Parameter '${name}' must be a number`);
    }
    const minValue = optionalNumber(declaration, 'MinValue', fail);
    const maxValue = optionalNumber(declaration, 'MaxValue', fail);
    for (const item of items) {
      if (minValue !== undefined && Number(item) < minValue) {
        constraintFailed(`must be a number not less than ${minValue}`);
      }
      if (maxValue !== undefined && Number(item) > maxValue) {
        constraintFailed(`must be a number not greater than ${maxValue}`);
      }
    }
  }
}

function parameterType(name: string, declaration: Record<string, unknown>, fail: (detail: string) => never) {
  const type = declaration.Type;
  if (typeof type !== 'string') return fail(`Parameter '${name}' has no Type`);
  if (type.startsWith('AWS::SSM::Parameter::')) {
    return fail(`parameter type ${type} (SSM parameter lookup) is not supported by the local runtime`);
  }
  if (!SUPPORTED_TYPES.includes(type)) {
    return fail(`parameter type ${type} is not supported by the local runtime`);
  }
  return type as ParameterType;
}

/**
 * Gives every declared parameter its value (override, else Default) and validates it like
 * CloudFormation does. Overrides for undeclared parameters are ignored, as `sam deploy` does, and
 * reported through `onUnknownOverride`.
 */
export function resolveParameters(
  fileName: string,
  declarations: unknown,
  overrides: Readonly<Record<string, string>>,
  onUnknownOverride: (name: string) => void = () => {},
): Map<string, ResolvedParameter> {
  const parameters = new Map<string, ResolvedParameter>();
  if (declarations === undefined) declarations = {};
  if (!isRecord(declarations)) {
    throw new TemplateError({ fileName, path: 'Parameters' }, 'the Parameters section must be a mapping');
  }
  for (const name of Object.keys(overrides)) {
    if (!(name in declarations)) onUnknownOverride(name);
  }
  for (const [name, declaration] of Object.entries(declarations)) {
    const fail = (detail: string): never => {
      throw new TemplateError({ fileName, path: `Parameters.${name}` }, detail);
    };
    if (!isRecord(declaration)) fail('a parameter must be a mapping');
    const parameter = declaration as Record<string, unknown>;
    const type = parameterType(name, parameter, fail);
    const override = overrides[name];
    const fallback = parameter.Default;
    let raw: string | readonly unknown[];
    if (override !== undefined) {
      raw = override;
    } else if (fallback !== undefined && fallback !== null) {
      const text = scalarText(fallback);
      if (text === undefined && !Array.isArray(fallback)) fail('Default must be a string');
      raw = text ?? (fallback as unknown[]);
    } else {
      return fail(`Parameters: [${name}] must have values`);
    }
    const isList = type === 'CommaDelimitedList' || type === 'List<Number>';
    const items = isList ? splitList(raw) : [typeof raw === 'string' ? raw : String(raw)];
    checkConstraints(name, type, parameter, items, fail);
    parameters.set(name, {
      type,
      value: isList ? items : (items[0] ?? ''),
      noEcho: parameter.NoEcho === true || parameter.NoEcho === 'true',
    });
  }
  return parameters;
}
