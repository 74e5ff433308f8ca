import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { ExecutionDescription, ExecutionEventNotice } from '../stepfunctions';

/** The history events after which Step Functions puts `Step Functions Execution Status Change` on the default bus. */
const STATUS_OF_EVENT: Record<string, string> = {
  ExecutionStarted: 'RUNNING',
  ExecutionSucceeded: 'SUCCEEDED',
  ExecutionFailed: 'FAILED',
  ExecutionAborted: 'ABORTED',
  ExecutionTimedOut: 'TIMED_OUT',
};

/**
 * The event Step Functions sends to the account's default bus when a Standard execution changes
 * status (source `aws.states`), built from the history event that changed it and the execution's
 * description; undefined for every other history event.
 */
export function executionStatusChangeEvent(
  notice: ExecutionEventNotice,
  describe: (executionArn: string) => ExecutionDescription,
): PutEventsRequestEntry | undefined {
  const status = STATUS_OF_EVENT[notice.event.type];
  if (!status) return undefined;
  const execution = describe(notice.executionArn);
  const details = (
    notice.event as unknown as Record<string, { error?: string; cause?: string; output?: string }>
  )[`${notice.event.type.charAt(0).toLowerCase()}${notice.event.type.slice(1)}EventDetails`];
  const ended = status !== 'RUNNING';
  const detail = {
    executionArn: execution.executionArn,
    stateMachineArn: execution.stateMachineArn,
    name: execution.name,
    status,
    startDate: execution.startDate.getTime(),
    stopDate: ended ? new Date(notice.event.timestamp).getTime() : null,
    input: execution.input,
    inputDetails: { included: true },
    output: status === 'SUCCEEDED' ? (details?.output ?? execution.output ?? null) : null,
    outputDetails: status === 'SUCCEEDED' ? { included: true } : null,
    error: details?.error ?? null,
    cause: details?.cause ?? null,
  };
  return {
    Source: 'aws.states',
    DetailType: 'Step Functions Execution Status Change',
    Resources: [execution.executionArn],
    Detail: JSON.stringify(detail),
  };
}
