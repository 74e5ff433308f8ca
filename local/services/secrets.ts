import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ServiceError } from './errors';
import { type JsonObject, type JsonOperationHandler, toEpochSeconds } from './json-protocol';
import { generateSecretString, type SecretGenerationSpec } from './password';

/**
 * Secrets Manager GetSecretValue over declared secrets. Generated values are created once and
 * kept in `<dataDir>/secrets.json`, so they survive restarts; a declared `secretString` always wins.
 */

export interface SecretDeclaration {
  arn: string;
  name: string;
  /** A fixed value (SecretString in the template). */
  secretString?: string;
  /** Generated once (GenerateSecretString in the template). With neither, a 32-character password is generated. */
  generate?: SecretGenerationSpec;
}

export interface SecretsManagerOptions {
  dataDir: string;
  secrets: SecretDeclaration[];
}

interface StoredSecret {
  secretString: string;
  versionId: string;
  /** ISO 8601. */
  createdDate: string;
}

interface SecretsFile {
  secrets: Record<string, StoredSecret>;
}

const CURRENT_STAGE = 'AWSCURRENT';

export function secretsFilePath(dataDir: string): string {
  return path.join(dataDir, 'secrets.json');
}

/** Loads or creates every declared secret's value right away (synchronously), then serves reads. */
export function createSecretsManagerHandler(options: SecretsManagerOptions): JsonOperationHandler {
  const values = settleSecretValues(options);
  return async (operation, input) => {
    if (operation !== 'GetSecretValue') {
      throw new ServiceError(
        'UnknownOperationException',
        `The operation ${operation} is not supported by the local stand-in.`,
      );
    }
    return getSecretValue(input, options.secrets, values);
  };
}

function getSecretValue(
  input: JsonObject,
  declarations: SecretDeclaration[],
  values: ReadonlyMap<string, StoredSecret>,
): unknown {
  const secretId = input.SecretId;
  if (typeof secretId !== 'string' || secretId === '') {
    throw new ServiceError('InvalidParameterException', 'You must provide a SecretId.');
  }
  const declaration = declarations.find((secret) => matchesSecretId(secret, secretId));
  const stored = declaration && values.get(declaration.name);
  if (!declaration || !stored) {
    throw new ServiceError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
  }
  if (input.VersionId !== undefined && input.VersionId !== stored.versionId) {
    throw new ServiceError(
      'ResourceNotFoundException',
      `Secrets Manager can't find the specified secret value for VersionId: ${String(input.VersionId)}`,
    );
  }
  if (input.VersionStage !== undefined && input.VersionStage !== CURRENT_STAGE) {
    throw new ServiceError(
      'ResourceNotFoundException',
      `Secrets Manager can't find the specified secret value for staging label: ${String(input.VersionStage)}`,
    );
  }
  return {
    ARN: declaration.arn,
    Name: declaration.name,
    VersionId: stored.versionId,
    SecretString: stored.secretString,
    VersionStages: [CURRENT_STAGE],
    CreatedDate: toEpochSeconds(new Date(stored.createdDate)),
  };
}

/** A name, the full ARN, or the ARN without the six random characters AWS appends to it. */
function matchesSecretId(secret: SecretDeclaration, secretId: string): boolean {
  if (secretId === secret.name || secretId === secret.arn) return true;
  return secretId.startsWith('arn:') && secret.arn.replace(/-[A-Za-z0-9]{6}$/, '') === secretId;
}

function settleSecretValues(options: SecretsManagerOptions): Map<string, StoredSecret> {
  const file = secretsFilePath(options.dataDir);
  const stored = readSecretsFile(file);
  let changed = false;
  for (const declaration of options.secrets) {
    const existing = stored.secrets[declaration.name];
    const declared = declaration.secretString;
    if (existing && (declared === undefined || declared === existing.secretString)) continue;
    stored.secrets[declaration.name] = {
      secretString: declared ?? generateSecretString(declaration.generate ?? {}),
      versionId: randomUUID(),
      createdDate: new Date().toISOString(),
    };
    changed = true;
  }
  if (changed) writeSecretsFile(file, stored);
  return new Map(Object.entries(stored.secrets));
}

function readSecretsFile(file: string): SecretsFile {
  if (!fs.existsSync(file)) return { secrets: {} };
  const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<SecretsFile>;
  return { secrets: parsed.secrets ?? {} };
}

function writeSecretsFile(file: string, contents: SecretsFile): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.tmp`;
  fs.writeFileSync(temporary, `${JSON.stringify(contents, null, 2)}\n`, { mode: 0o600 });
  fs.renameSync(temporary, file);
}
