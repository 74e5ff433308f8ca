import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/** Secrets Manager client; endpoint overridable through AWS_ENDPOINT_URL_SECRETS_MANAGER. */
export const secretsManager = new SecretsManagerClient({});
