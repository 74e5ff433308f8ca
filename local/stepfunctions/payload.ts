import { StatesError, StatesErrors } from './errors';
import { evaluateIntrinsic, isIntrinsicExpression } from './intrinsics';
import { isJsonObject } from './json-values';
import {
  InvalidPathError,
  PathNotFoundError,
  ResultPathMismatchError,
  readInputOrContext,
  readPath,
  writeReferencePath,
} from './paths';

/**
 * Input and output processing, in the order the spec gives it:
 * InputPath → Parameters → (task) → ResultSelector → ResultPath → OutputPath.
 */

/**
 * Builds a payload from a template (Parameters, ResultSelector, ItemSelector): keys
 * ending in `.$` take their value from a path, a context path (`$$.`) or an intrinsic.
 * `failureName` names the error raised when a path selects nothing.
 */
export function applyPayloadTemplate(
  template: unknown,
  input: unknown,
  context: unknown,
  failureName: string = StatesErrors.ParameterPathFailure,
): unknown {
  if (Array.isArray(template))
    return template.map((item) => applyPayloadTemplate(item, input, context, failureName));
  if (!isJsonObject(template)) return template;
  const output: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(template)) {
    if (!key.endsWith('.$')) {
      output[key] = applyPayloadTemplate(value, input, context, failureName);
      continue;
    }
    const name = key.slice(0, -2);
    if (typeof value !== 'string') {
      throw new StatesError(
        failureName,
        `The value for the field '${key}' must be a path or an intrinsic function`,
      );
    }
    output[name] = resolveDynamicValue(value, input, context, failureName, key);
  }
  return output;
}

/** Value of a `.$` field or an ErrorPath/CausePath: a path, a context path or an intrinsic function. */
export function resolveDynamicValue(
  expression: string,
  input: unknown,
  context: unknown,
  failureName: string,
  fieldName: string,
): unknown {
  if (isIntrinsicExpression(expression)) return evaluateIntrinsic(expression, input, context);
  try {
    return readInputOrContext(expression, input, context);
  } catch (error) {
    if (error instanceof PathNotFoundError || error instanceof InvalidPathError) {
      throw new StatesError(
        failureName,
        `The JSONPath '${expression}' specified for the field '${fieldName}' could not be found in the input`,
      );
    }
    throw error;
  }
}

/** InputPath: `undefined` keeps the input, `null` gives `{}`; a missing path is States.Runtime. */
export function applyInputPath(input: unknown, inputPath: string | null | undefined): unknown {
  return selectOrRuntimeError(input, inputPath, 'InputPath');
}

/** OutputPath: `undefined` keeps the output, `null` gives `{}`; a missing path is States.Runtime. */
export function applyOutputPath(output: unknown, outputPath: string | null | undefined): unknown {
  return selectOrRuntimeError(output, outputPath, 'OutputPath');
}

function selectOrRuntimeError(data: unknown, path: string | null | undefined, field: string): unknown {
  if (path === undefined) return data;
  if (path === null) return {};
  try {
    return readPath(data, path);
  } catch (error) {
    if (error instanceof PathNotFoundError || error instanceof InvalidPathError) {
      throw new StatesError(
        StatesErrors.Runtime,
        `An error occurred while executing the state. Invalid ${field} '${path}': the path could not be found in the input '${JSON.stringify(data)}'`,
      );
    }
    throw error;
  }
}

/** ResultPath: `undefined` → the result replaces the input, `null` → the input passes through. */
export function applyResultPath(
  stateInput: unknown,
  resultPath: string | null | undefined,
  result: unknown,
): unknown {
  if (resultPath === null) return stateInput;
  if (resultPath === undefined || resultPath === '$') return result;
  try {
    return writeReferencePath(stateInput, resultPath, result);
  } catch (error) {
    if (error instanceof ResultPathMismatchError || error instanceof InvalidPathError) {
      throw new StatesError(StatesErrors.ResultPathMatchFailure, error.message);
    }
    throw error;
  }
}
