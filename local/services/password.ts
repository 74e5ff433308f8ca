import { randomInt } from 'node:crypto';

/**
 * Secret strings generated the way AWS::SecretsManager::Secret `GenerateSecretString` (and
 * GetRandomPassword) describes them, with crypto-random characters.
 */

export interface SecretGenerationSpec {
  /** Default 32. */
  passwordLength?: number;
  excludeCharacters?: string;
  excludeLowercase?: boolean;
  excludeUppercase?: boolean;
  excludeNumbers?: boolean;
  excludePunctuation?: boolean;
  includeSpace?: boolean;
  /** Default true: at least one character of every included type. */
  requireEachIncludedType?: boolean;
  /** A JSON object; the password is stored in it under `generateStringKey`. Both or neither. */
  secretStringTemplate?: string;
  generateStringKey?: string;
}

export class SecretGenerationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretGenerationError';
  }
}

const DEFAULT_PASSWORD_LENGTH = 32;
const LOWERCASE = 'abcdefghijklmnopqrstuvwxyz';
const UPPERCASE = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const NUMBERS = '0123456789';
const PUNCTUATION = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';

/** The CloudFormation property names (`PasswordLength`, `ExcludeCharacters`, ...) mapped to a spec. */
export function fromGenerateSecretString(properties: Record<string, unknown>): SecretGenerationSpec {
  const text = (name: string) =>
    typeof properties[name] === 'string' ? (properties[name] as string) : undefined;
  const flag = (name: string) => {
    const value = properties[name];
    return typeof value === 'boolean' ? value : typeof value === 'string' ? value === 'true' : undefined;
  };
  const length = properties.PasswordLength;
  return {
    passwordLength: length === undefined ? undefined : Number(length),
    excludeCharacters: text('ExcludeCharacters'),
    excludeLowercase: flag('ExcludeLowercase'),
    excludeUppercase: flag('ExcludeUppercase'),
    excludeNumbers: flag('ExcludeNumbers'),
    excludePunctuation: flag('ExcludePunctuation'),
    includeSpace: flag('IncludeSpace'),
    requireEachIncludedType: flag('RequireEachIncludedType'),
    secretStringTemplate: text('SecretStringTemplate'),
    generateStringKey: text('GenerateStringKey'),
  };
}

/** The secret string for a spec: the bare password, or the template with the password added. */
export function generateSecretString(spec: SecretGenerationSpec): string {
  const password = generatePassword(spec);
  if (spec.secretStringTemplate === undefined && spec.generateStringKey === undefined) return password;
  if (spec.secretStringTemplate === undefined || !spec.generateStringKey) {
    throw new SecretGenerationError('SecretStringTemplate and GenerateStringKey must be given together.');
  }
  let template: unknown;
  try {
    template = JSON.parse(spec.secretStringTemplate);
  } catch {
    throw new SecretGenerationError('SecretStringTemplate is not valid JSON.');
  }
  if (typeof template !== 'object' || template === null || Array.isArray(template)) {
    throw new SecretGenerationError('SecretStringTemplate must be a JSON object.');
  }
  return JSON.stringify({ ...template, [spec.generateStringKey]: password });
}

export function generatePassword(spec: SecretGenerationSpec): string {
  const length = spec.passwordLength ?? DEFAULT_PASSWORD_LENGTH;
  if (!Number.isInteger(length) || length < 1 || length > 4096) {
    throw new SecretGenerationError(`PasswordLength must be an integer from 1 to 4096, got ${length}.`);
  }
  const excluded = new Set(spec.excludeCharacters ?? '');
  const keep = (characters: string) =>
    [...characters].filter((character) => !excluded.has(character)).join('');
  const types = [
    spec.excludeLowercase ? '' : keep(LOWERCASE),
    spec.excludeUppercase ? '' : keep(UPPERCASE),
    spec.excludeNumbers ? '' : keep(NUMBERS),
    spec.excludePunctuation ? '' : keep(PUNCTUATION),
    spec.includeSpace ? keep(' ') : '',
  ].filter((characters) => characters.length > 0);
  const pool = types.join('');
  if (pool.length === 0)
    throw new SecretGenerationError('Every character is excluded; nothing is left to generate from.');
  const required = spec.requireEachIncludedType === false ? [] : types.map(pickOne);
  if (required.length > length) {
    throw new SecretGenerationError(
      `PasswordLength ${length} is too short to include each of ${required.length} character types.`,
    );
  }
  const characters = [...required];
  while (characters.length < length) characters.push(pickOne(pool));
  return shuffle(characters).join('');
}

function pickOne(characters: string): string {
  return characters[randomInt(characters.length)] ?? '';
}

function shuffle<T>(items: T[]): T[] {
  for (let index = items.length - 1; index > 0; index -= 1) {
    const other = randomInt(index + 1);
    [items[index], items[other]] = [items[other] as T, items[index] as T];
  }
  return items;
}
