import { S3Client } from '@aws-sdk/client-s3';
import { tracer } from '#shared/tracer';

/** S3 client; endpoint overridable through AWS_ENDPOINT_URL_S3. */
export const s3 = tracer.captureAWSv3Client(new S3Client({}));
