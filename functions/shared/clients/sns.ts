import { SNSClient } from '@aws-sdk/client-sns';

/** SNS client (the GDPR outcome topic); endpoint overridable through AWS_ENDPOINT_URL_SNS. */
export const sns = new SNSClient({});
