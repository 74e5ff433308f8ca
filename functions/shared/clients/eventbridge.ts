import { EventBridgeClient } from '@aws-sdk/client-eventbridge';

/** EventBridge client; endpoint overridable through AWS_ENDPOINT_URL_EVENTBRIDGE. */
export const eventBridge = new EventBridgeClient({});
