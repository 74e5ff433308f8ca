import { CloudFrontClient } from '@aws-sdk/client-cloudfront';

/** CloudFront client (invalidations after a purge); endpoint overridable through AWS_ENDPOINT_URL_CLOUDFRONT. */
export const cloudFront = new CloudFrontClient({});
