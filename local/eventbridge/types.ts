/** Shapes shared by the local EventBridge modules. */

/** Any value that can appear in parsed JSON. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A parsed JSON object. */
export type JsonObject = { [key: string]: JsonValue };

/** An event as EventBridge delivers it: the standard envelope around `detail`. */
export interface EventBridgeEvent {
  version: string;
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: JsonObject;
  /** Present only on events re-delivered by a replay. */
  'replay-name'?: string;
}

/** InputTransformer of a rule target (camelCase form of the API's InputTransformer). */
export interface InputTransformer {
  inputPathsMap?: Record<string, string>;
  inputTemplate: string;
}

/** How a target's input is derived from the matched event; at most one field may be set. */
export interface TargetInputConfig {
  /** A constant JSON text sent instead of the event. */
  input?: string;
  /** A JSONPath selecting the part of the event to send. */
  inputPath?: string;
  inputTransformer?: InputTransformer;
}

export interface RetryPolicy {
  /** Retries after the first attempt (AWS allows 0 to 185). */
  maximumRetryAttempts?: number;
  /** Give up once the event is older than this (AWS allows 60 to 86400). */
  maximumEventAgeInSeconds?: number;
}

/** Where EventBridge sends an event it gave up delivering to a target (an SQS queue). */
export interface DeadLetterConfig {
  /** The queue's ARN; locally the queue is a JSON Lines file named after the last ARN segment. */
  arn: string;
}

export interface RuleTarget extends TargetInputConfig {
  id: string;
  arn: string;
  retryPolicy?: RetryPolicy;
  deadLetterConfig?: DeadLetterConfig;
}
