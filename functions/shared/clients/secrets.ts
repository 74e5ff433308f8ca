import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { tracer } from '#shared/tracer';

/** Secrets Manager client; endpoint overridable through AWS_ENDPOINT_URL_SECRETS_MANAGER. */
export const secretsManager = tracer.captureAWSv3Client(new SecretsManagerClient({}));
