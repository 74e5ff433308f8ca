import { SESClient } from '@aws-sdk/client-ses';
import { tracer } from '#shared/tracer';

/** SES (v1 API) client for the approval emails; endpoint overridable through AWS_ENDPOINT_URL_SES. */
export const ses = tracer.captureAWSv3Client(new SESClient({}));
