/**
 * Errors shared by every function. Names end in `Error` and set `name`, so Step Functions
 * `Catch` clauses and API responses can tell them apart.
 */

/** A required environment variable is missing or malformed; thrown at cold start. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** An error the HTTP API answers with a 4xx status and a JSON reason. */
export class HttpError extends Error {
  override readonly name: string = 'HttpError';
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details?: ReadonlyArray<{ field: string; message: string }>,
  ) {
    super(message);
  }
}

export class BadRequestError extends HttpError {
  override readonly name = 'BadRequestError';
  constructor(message: string, details?: ReadonlyArray<{ field: string; message: string }>) {
    super(400, 'INVALID_REQUEST', message, details);
  }
}

export class UnauthorizedError extends HttpError {
  override readonly name = 'UnauthorizedError';
  constructor(message = 'A valid bearer token is required') {
    super(401, 'UNAUTHORIZED', message);
  }
}

export class NotFoundError extends HttpError {
  override readonly name = 'NotFoundError';
  constructor(message: string) {
    super(404, 'NOT_FOUND', message);
  }
}

export class ConflictError extends HttpError {
  override readonly name = 'ConflictError';
  constructor(message: string) {
    super(409, 'CONFLICT', message);
  }
}

/** Some events could not be put on the bus even after retrying; the caller should fail and be retried. */
export class EventPublishError extends Error {
  override readonly name = 'EventPublishError';
}
