import { TemplateError } from './errors';
import { isRecord } from './types';

/** `AWS::SSM::Parameter::Value<String>`, `…<List<String>>`, `…<AWS::EC2::Image::Id>`, … */
export type SsmParameterValueType = `AWS::SSM::Parameter::Value<${string}>`;

export type ParameterType =
  | 'String'
  | 'Number'
  | 'CommaDelimitedList'
  | 'List<Number>'
  | SsmParameterValueType;

export interface ResolvedParameter {
  readonly type: ParameterType;
  /** What `Ref` returns: a string, or a list of strings for the list types. */
  readonly value: string | readonly string[];
  readonly noEcho: boolean;
  /** For an `AWS::SSM::Parameter::Value<…>` parameter: the SSM parameter its value was read from. */
  readonly ssmParameterName?: string;
}

/** An SSM parameter as Parameter Store holds it: what `AWS::SSM::Parameter::Value<…>` parameters read. */
export interface SsmParameterValue {
  readonly type: 'String' | 'StringList' | 'SecureString';
  readonly value: string;
}

/** Finds an SSM parameter by name; undefined when it does not exist. */
export type SsmParameterLookup = (name: string) => SsmParameterValue | undefined;

const SUPPORTED_TYPES: readonly string[] = ['String', 'Number', 'CommaDelimitedList', 'List<Number>'];
const SSM_VALUE_TYPE = /^AWS::SSM::Parameter::Value<(.+)>$/;

export function isSsmParameterValueType(type: string): type is SsmParameterValueType {
  return SSM_VALUE_TYPE.test(type);
}

/** Whether an SSM-typed parameter resolves to a list (`…<List<…>>` or `…<CommaDelimitedList>`). */
function ssmTypeIsList(type: SsmParameterValueType): boolean {
  const inner = SSM_VALUE_TYPE.exec(type)?.[1] ?? '';
  return inner === 'CommaDelimitedList' || inner.startsWith('List<');
}
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
  if (isSsmParameterValueType(type)) return type;
  if (type.startsWith('AWS::SSM::Parameter::')) {
    return fail(`parameter type ${type} (SSM parameter lookup) is not supported by the local runtime`);
  }
  if (!SUPPORTED_TYPES.includes(type)) {
    return fail(`parameter type ${type} is not supported by the local runtime`);
  }
  return type as ParameterType;
}

/**
 * Reads an `AWS::SSM::Parameter::Value<…>` parameter as CloudFormation does at each deploy: its
 * own value (override or Default) names the SSM parameter, whose value becomes what `Ref` returns.
 * Constraints (AllowedValues, AllowedPattern, …) apply to the name, the value the stack is given.
 */
function readSsmParameter(
  parameterName: string,
  type: SsmParameterValueType,
  declaration: Record<string, unknown>,
  raw: string | readonly unknown[],
  readSsm: SsmParameterLookup,
  fail: (detail: string) => never,
): ResolvedParameter {
  if (typeof raw !== 'string' || raw === '') {
    return fail(`Parameter '${parameterName}' (${type}) must name an SSM parameter`);
  }
  checkConstraints(parameterName, 'String', declaration, [raw], fail);
  const stored = readSsm(raw);
  if (!stored) {
    return fail(
      `Parameter '${parameterName}' (${type}) reads SSM parameter '${raw}', which does not exist: no loaded stack declares an AWS::SSM::Parameter named '${raw}'`,
    );
  }
  if (stored.type === 'SecureString') {
    return fail(
      `Parameter '${parameterName}' (${type}) reads SSM parameter '${raw}', a SecureString, which CloudFormation cannot read into a parameter`,
    );
  }
  const value = ssmTypeIsList(type) ? stored.value.split(',') : stored.value;
  return {
    type,
    value,
    noEcho: declaration.NoEcho === true || declaration.NoEcho === 'true',
    ssmParameterName: raw,
  };
}

/** No SSM parameters at all: every `AWS::SSM::Parameter::Value<…>` parameter fails to resolve. */
const NO_SSM_PARAMETERS: SsmParameterLookup = () => undefined;

/**
 * Gives every declared parameter its value (override, else Default) and validates it like
 * CloudFormation does. Overrides for undeclared parameters are ignored, as `sam deploy` does, and
 * reported through `onUnknownOverride`. `AWS::SSM::Parameter::Value<…>` parameters are read
 * through `readSsm`; one naming an SSM parameter that does not exist fails, naming the template
 * and the parameter.
 */
export function resolveParameters(
  fileName: string,
  declarations: unknown,
  overrides: Readonly<Record<string, string>>,
  onUnknownOverride: (name: string) => void = () => {},
  readSsm: SsmParameterLookup = NO_SSM_PARAMETERS,
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
    if (isSsmParameterValueType(type)) {
      parameters.set(name, readSsmParameter(name, type, parameter, raw, readSsm, fail));
      continue;
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
