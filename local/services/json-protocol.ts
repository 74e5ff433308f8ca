import type { ServiceError } from './errors';

/**
 * The awsJson1_1 protocol (Rekognition, Secrets Manager, SSM): `POST /` with
 * `X-Amz-Target: <ServiceTarget>.<Operation>` and a JSON body; errors carry `__type`.
 * Blobs travel as base64 strings and timestamps as epoch seconds.
 */

export type JsonOperationHandler = (operation: string, input: JsonObject) => Promise<unknown>;

export type JsonObject = Record<string, unknown>;

export const JSON_CONTENT_TYPE = 'application/x-amz-json-1.1';

export function renderJsonError(error: ServiceError): string {
  return JSON.stringify({ __type: error.code, message: error.message });
}

/** Epoch seconds, the awsJson timestamp format. */
export function toEpochSeconds(date: Date): number {
  return date.getTime() / 1000;
}
