/** Local EventBridge: event patterns, input transformers, event buses and the PutEvents API. */
export {
  type CloudFormationTarget,
  fromCloudFormationTarget,
  UnsupportedTargetPropertyError,
} from './cloudformation-target';
export { type DeadLetterMessage, DeadLetterQueue, queueNameOf } from './dead-letter-queue';
export { EventBridgeApiError, InvalidEventPatternError } from './errors';
export type { ArchivedEvent } from './event-archive';
export {
  busNameOf,
  type EventBridgeHttpResponse,
  handleEventBridgeRequest,
} from './handle-eventbridge-request';
export {
  type DeliverToTarget,
  type DeliveryContext,
  type DeliveryFailure,
  type EventBusLog,
  LocalEventBus,
  type LocalEventBusOptions,
  type Rule,
  type RuleDefinition,
  type RuleState,
} from './local-event-bus';
export { matchesEventPattern } from './match-event-pattern';
export type { PutEventsRequestEntry, PutEventsResponse, PutEventsResultEntry } from './put-events';
export { type TransformContext, transformInput } from './transform-input';
export type * from './types';
export { validateEventPattern } from './validate-event-pattern';
