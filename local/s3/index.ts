/** Public API of the local S3 endpoint. */
export type { CfnCorsRule } from './cors';
export { encodeNotificationKey } from './event-record';
export { type LocalS3, type LocalS3Bucket, type LocalS3Options, startLocalS3 } from './local-s3';
export { NOTIFICATION_CONFIGURATION_ID } from './notifier';
