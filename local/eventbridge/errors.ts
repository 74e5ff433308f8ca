/** Thrown when an event pattern would be refused by EventBridge (PutRule's InvalidEventPatternException). */
export class InvalidEventPatternError extends Error {
  readonly code = 'InvalidEventPatternException';

  constructor(reason: string) {
    super(`Event pattern is not valid. Reason: ${reason}`);
    this.name = 'InvalidEventPatternError';
  }
}

/** An EventBridge API error that fails a whole request, carrying the AWS error code (`__type`). */
export class EventBridgeApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly statusCode = 400,
  ) {
    super(message);
    this.name = 'EventBridgeApiError';
  }
}
