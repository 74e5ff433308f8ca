/**
 * An error the way an AWS service reports it: a code the SDK maps to an exception class,
 * a message, and the HTTP status the service answers with.
 */
export class ServiceError extends Error {
  readonly code: string;
  readonly statusCode: number;
  /** awsQuery error `Type`: `Sender` for the caller's mistakes, `Receiver` for the service's. */
  readonly fault: 'Sender' | 'Receiver';

  constructor(code: string, message: string, statusCode = 400) {
    super(message);
    this.name = 'ServiceError';
    this.code = code;
    this.statusCode = statusCode;
    this.fault = statusCode >= 500 ? 'Receiver' : 'Sender';
  }
}
