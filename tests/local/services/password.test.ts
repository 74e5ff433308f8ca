import {
  fromGenerateSecretString,
  generatePassword,
  generateSecretString,
  SecretGenerationError,
} from '../../../local/services/password';

describe('generatePassword', () => {
  it('is 32 characters long by default and includes every character type', () => {
    const password = generatePassword({});

    expect(password).toHaveLength(32);
    expect(password).toMatch(/[a-z]/);
    expect(password).toMatch(/[A-Z]/);
    expect(password).toMatch(/[0-9]/);
    expect(password).toMatch(/[^A-Za-z0-9]/);
  });

  it('uses only the character types that are not excluded', () => {
    const password = generatePassword({
      passwordLength: 200,
      excludeUppercase: true,
      excludePunctuation: true,
    });

    expect(password).toMatch(/^[a-z0-9]{200}$/);
  });

  it('never uses excluded characters', () => {
    const password = generatePassword({ passwordLength: 500, excludeCharacters: '"@/\\' });

    expect(password).not.toMatch(/["@/\\]/);
  });

  it('includes a space when asked to', () => {
    expect(
      generatePassword({
        passwordLength: 10,
        includeSpace: true,
        excludeLowercase: true,
        excludeUppercase: true,
        excludeNumbers: true,
        excludePunctuation: true,
      }),
    ).toBe(' '.repeat(10));
  });

  it('differs from call to call', () => {
    expect(generatePassword({})).not.toBe(generatePassword({}));
  });

  it('refuses a length too short for every required type', () => {
    expect(() => generatePassword({ passwordLength: 3 })).toThrow(SecretGenerationError);
  });

  it('refuses a spec that excludes every character', () => {
    const everythingExcluded = {
      excludeLowercase: true,
      excludeUppercase: true,
      excludeNumbers: true,
      excludePunctuation: true,
    };

    expect(() => generatePassword(everythingExcluded)).toThrow(SecretGenerationError);
  });
});

describe('generateSecretString', () => {
  it('refuses a template without a key', () => {
    expect(() => generateSecretString({ secretStringTemplate: '{}' })).toThrow(SecretGenerationError);
  });
});

describe('fromGenerateSecretString', () => {
  it('maps CloudFormation property names, including string booleans and numbers', () => {
    expect(
      fromGenerateSecretString({
        PasswordLength: '16',
        ExcludePunctuation: 'true',
        ExcludeCharacters: 'xyz',
        SecretStringTemplate: '{"u":"a"}',
        GenerateStringKey: 'p',
      }),
    ).toMatchObject({
      passwordLength: 16,
      excludePunctuation: true,
      excludeCharacters: 'xyz',
      secretStringTemplate: '{"u":"a"}',
      generateStringKey: 'p',
    });
  });
});
