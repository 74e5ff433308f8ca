import { S3Client } from '@aws-sdk/client-s3';

/** S3 client; endpoint overridable through AWS_ENDPOINT_URL_S3. */
export const s3 = new S3Client({});
