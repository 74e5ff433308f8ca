import { SNSClient } from '@aws-sdk/client-sns';
import { tracer } from '#shared/tracer';

/** SNS client (the GDPR outcome topic); endpoint overridable through AWS_ENDPOINT_URL_SNS. */
export const sns = tracer.captureAWSv3Client(new SNSClient({}));
