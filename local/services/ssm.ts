import { createHash } from 'node:crypto';
import { ServiceError } from './errors';
import { type JsonObject, type JsonOperationHandler, toEpochSeconds } from './json-protocol';

/** SSM Parameter Store GetParameter / GetParameters over declared, read-only parameters (all at version 1). */

export type ParameterType = 'String' | 'StringList' | 'SecureString';

export interface ParameterDeclaration {
  name: string;
  value: string;
  type: ParameterType;
}

export interface SsmOptions {
  region: string;
  accountId: string;
  parameters: ParameterDeclaration[];
}

const MAX_NAMES_PER_CALL = 10;
const PARAMETER_VERSION = 1;

export function createSsmHandler(options: SsmOptions): JsonOperationHandler {
  const lastModified = new Date();
  const describe = (declaration: ParameterDeclaration, selector: string | undefined, decrypt: boolean) => ({
    Name: declaration.name,
    Type: declaration.type,
    Value:
      declaration.type === 'SecureString' && !decrypt ? opaqueCiphertext(declaration) : declaration.value,
    Version: PARAMETER_VERSION,
    ...(selector === undefined ? {} : { Selector: selector }),
    LastModifiedDate: toEpochSeconds(lastModified),
    ARN: parameterArn(options, declaration.name),
    DataType: 'text',
  });
  const find = (reference: string) => {
    const { base, selector } = splitSelector(reference);
    const declaration = options.parameters.find(
      (parameter) => parameter.name === base || parameterArn(options, parameter.name) === base,
    );
    const matchesSelector = selector === undefined || selector === `:${PARAMETER_VERSION}`;
    return declaration && matchesSelector ? { declaration, selector } : undefined;
  };

  return async (operation, input) => {
    const decrypt = input.WithDecryption === true;
    switch (operation) {
      case 'GetParameter': {
        const name = requireName(input);
        const found = find(name);
        if (!found) throw new ServiceError('ParameterNotFound', `Parameter ${name} not found.`);
        return { Parameter: describe(found.declaration, found.selector, decrypt) };
      }
      case 'GetParameters': {
        const names = requireNames(input);
        const parameters: unknown[] = [];
        const invalid: string[] = [];
        for (const name of new Set(names)) {
          const found = find(name);
          if (found) parameters.push(describe(found.declaration, found.selector, decrypt));
          else invalid.push(name);
        }
        return { Parameters: parameters, InvalidParameters: invalid };
      }
      default:
        throw new ServiceError(
          'UnknownOperationException',
          `The operation ${operation} is not supported by the local stand-in.`,
        );
    }
  };
}

export function parameterArn(options: Pick<SsmOptions, 'region' | 'accountId'>, name: string): string {
  return `arn:aws:ssm:${options.region}:${options.accountId}:parameter${name.startsWith('/') ? '' : '/'}${name}`;
}

/** `name`, `name:1` (version) or `name:label`, where name may also be the parameter's ARN. */
function splitSelector(reference: string): { base: string; selector: string | undefined } {
  const nameStart = reference.startsWith('arn:') ? reference.indexOf(':parameter') + ':parameter'.length : 0;
  const colon = reference.indexOf(':', nameStart);
  return colon > 0
    ? { base: reference.slice(0, colon), selector: reference.slice(colon) }
    : { base: reference, selector: undefined };
}

function requireName(input: JsonObject): string {
  if (typeof input.Name !== 'string' || input.Name === '') {
    throw new ServiceError(
      'ValidationException',
      "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null",
    );
  }
  return input.Name;
}

function requireNames(input: JsonObject): string[] {
  const names = input.Names;
  if (!Array.isArray(names) || names.length === 0 || !names.every((name) => typeof name === 'string')) {
    throw new ServiceError(
      'ValidationException',
      "1 validation error detected: Value at 'names' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
  }
  if (names.length > MAX_NAMES_PER_CALL) {
    throw new ServiceError(
      'ValidationException',
      `1 validation error detected: Value at 'names' failed to satisfy constraint: Member must have length less than or equal to ${MAX_NAMES_PER_CALL}`,
    );
  }
  return names;
}

/** What a SecureString reads as without WithDecryption: an opaque base64 blob, never the value. */
function opaqueCiphertext(declaration: ParameterDeclaration): string {
  const digest = createHash('sha256').update(`${declaration.name}\n${declaration.value}`).digest();
  return Buffer.concat([Buffer.from('local-kms:'), digest]).toString('base64');
}
