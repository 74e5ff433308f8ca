import { SESClient } from '@aws-sdk/client-ses';

/** SES (v1 API) client for the approval emails; endpoint overridable through AWS_ENDPOINT_URL_SES. */
export const ses = new SESClient({});
