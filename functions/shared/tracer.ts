import { Tracer } from '@aws-lambda-powertools/tracer';

/**
 * The one X-Ray tracer. Its service name comes from POWERTOOLS_SERVICE_NAME (each template's
 * Globals). It traces only in Lambda (AWS_EXECUTION_ENV set, AWS_SAM_LOCAL unset, and
 * POWERTOOLS_TRACE_ENABLED not `false`); anywhere else every call on it does nothing.
 * Every SDK client is captured in functions/shared/clients, so each AWS call is a subsegment.
 * Annotations carry upload, erasure request and approval ids only, never a user id.
 */
export const tracer = new Tracer();
