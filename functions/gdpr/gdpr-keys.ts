import { createHmac } from 'node:crypto';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { secretsManager } from '#clients/secrets';

/**
 * The GDPR flow's keys, derived from one Secrets Manager secret (never a template parameter):
 * one signs approval links, one hashes user ids for the audit trail and the one-request-per-user
 * lock. Fetched once per cold start.
 */
export interface GdprKeys {
  linkSigning: Buffer;
  userHash: Buffer;
}

let cached: Promise<GdprKeys> | undefined;

export function loadGdprKeys(secretId: string): Promise<GdprKeys> {
  cached ??= secretsManager.send(new GetSecretValueCommand({ SecretId: secretId })).then((secret) => {
    const material =
      secret.SecretString ?? Buffer.from(secret.SecretBinary ?? new Uint8Array()).toString('base64');
    if (material.length < 32) throw new Error('The GDPR signing secret is shorter than 32 characters');
    const derive = (purpose: string) => createHmac('sha256', material).update(purpose).digest();
    return {
      linkSigning: derive('happy-path/approval-links/v1'),
      userHash: derive('happy-path/user-hash/v1'),
    };
  });
  cached.catch(() => {
    cached = undefined;
  });
  return cached;
}

/** A keyed hash of a user id (hex): stable per user, meaningless without the key. */
export function hashUserId(keys: GdprKeys, userId: string): string {
  return createHmac('sha256', keys.userHash).update(userId).digest('hex');
}

/** For tests: forget the cached keys. */
export function resetGdprKeysForTests(): void {
  cached = undefined;
}
