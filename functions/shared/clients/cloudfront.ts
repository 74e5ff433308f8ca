import { CloudFrontClient } from '@aws-sdk/client-cloudfront';
import { tracer } from '#shared/tracer';

/** CloudFront client (invalidations after a purge); endpoint overridable through AWS_ENDPOINT_URL_CLOUDFRONT. */
export const cloudFront = tracer.captureAWSv3Client(new CloudFrontClient({}));
