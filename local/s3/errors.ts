import { escapeXml } from '../xml';
/** S3-style error responses: a code, an HTTP status, a message and optional extra XML elements. */

export type ErrorDetails = Record<string, string | number>;

export class S3RequestError extends Error {
  readonly code: string;
  readonly status: number;
  readonly details: ErrorDetails;
  /** Response headers S3 sends with this error (e.g. `x-amz-delete-marker`). */
  readonly headers: Record<string, string>;

  constructor(
    code: string,
    status: number,
    message: string,
    details: ErrorDetails = {},
    headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'S3RequestError';
    this.code = code;
    this.status = status;
    this.details = details;
    this.headers = headers;
  }
}

export function errorToXml(error: S3RequestError, requestId: string): string {
  const extra = Object.entries(error.details)
    .map(([name, value]) => `<${name}>${escapeXml(String(value))}</${name}>`)
    .join('');
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Error><Code>${escapeXml(error.code)}</Code><Message>${escapeXml(error.message)}</Message>` +
    `${extra}<RequestId>${requestId}</RequestId><HostId>${requestId}</HostId></Error>`
  );
}

export const accessDenied = (message = 'Access Denied', details: ErrorDetails = {}) =>
  new S3RequestError('AccessDenied', 403, message, details);

export const policyDenied = (reason: string) => accessDenied(`Invalid according to Policy: ${reason}`);

export const invalidArgument = (message: string, details: ErrorDetails = {}) =>
  new S3RequestError('InvalidArgument', 400, message, details);

export const invalidAccessKeyId = (accessKeyId: string) =>
  new S3RequestError(
    'InvalidAccessKeyId',
    403,
    'The AWS Access Key Id you provided does not exist in our records.',
    { AWSAccessKeyId: accessKeyId },
  );

export const malformedPostRequest = () =>
  new S3RequestError(
    'MalformedPOSTRequest',
    400,
    'The body of your POST request is not well-formed multipart/form-data.',
  );

export const invalidPolicyDocument = (reason: string) =>
  new S3RequestError('InvalidPolicyDocument', 400, `Invalid Policy: ${reason}`);
