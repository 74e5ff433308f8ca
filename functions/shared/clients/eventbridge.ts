import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { tracer } from '#shared/tracer';

/** EventBridge client; endpoint overridable through AWS_ENDPOINT_URL_EVENTBRIDGE. */
export const eventBridge = tracer.captureAWSv3Client(new EventBridgeClient({}));
