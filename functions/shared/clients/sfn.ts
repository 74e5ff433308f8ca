import { SFNClient } from '@aws-sdk/client-sfn';
import { tracer } from '#shared/tracer';

/** Step Functions client (StartExecution); endpoint overridable through AWS_ENDPOINT_URL_SFN. */
export const sfn = tracer.captureAWSv3Client(new SFNClient({}));

/**
 * The same service without the SDK's automatic retries, and with short timeouts, for
 * SendTaskSuccess/Failure: the approval code retries those itself, because it must know what each
 * attempt answered. A call whose first attempt went through but whose answer was lost is answered
 * TaskTimedOut or InvalidToken when retried, which on its own would wrongly look like non-delivery.
 */
export const singleAttemptConfig = {
  maxAttempts: 1,
  // Without throwOnRequestTimeout a request timeout only logs a warning and the call hangs on.
  requestHandler: { connectionTimeout: 1000, requestTimeout: 2500, throwOnRequestTimeout: true },
} as const;

export const sfnSingleAttempt = tracer.captureAWSv3Client(new SFNClient(singleAttemptConfig));
