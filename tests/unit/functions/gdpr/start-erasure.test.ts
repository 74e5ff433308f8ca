import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { executionInputSchema, splitApprovalWindow } from '../../../../functions/gdpr/erasure';
import { fixture } from '../../../helpers/fixtures';
import { handlerOf } from './setup';

const sfn = mockClient(SFNClient);

const STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:happy-path-gdpr-erasure';
const REQUEST_ID = '7d2c4b1e-3f6a-4c8d-9e0f-1a2b3c4d5e6f';

const handler = handlerOf(
  { STATE_MACHINE_ARN, APPROVAL_TIMEOUT_SECONDS: '604800', REMINDER_BEFORE_EXPIRY_SECONDS: '86400' },
  () => import('../../../../functions/gdpr/start-erasure'),
);

beforeEach(() => {
  sfn.reset();
  sfn.on(StartExecutionCommand).resolves({ executionArn: `${STATE_MACHINE_ARN}:${REQUEST_ID}` });
});

describe('start erasure', () => {
  it('starts one execution named after the request, with the window split at the reminder', async () => {
    const result = await handler(fixture('gdpr/start-erasure.json'));

    expect(result).toEqual({ started: true });
    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, {
      stateMachineArn: STATE_MACHINE_ARN,
      name: REQUEST_ID,
    });
    const input = JSON.parse(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input.input ?? '{}');
    expect(input).toEqual(fixture('gdpr/execution-input.json'));
    expect(executionInputSchema.safeParse(input).success).toBe(true);
  });

  it('treats a repeated event as already started', async () => {
    sfn
      .on(StartExecutionCommand)
      .rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} }));

    await expect(handler(fixture('gdpr/start-erasure.json'))).resolves.toEqual({ started: false });
  });
});

describe('splitting the approval window', () => {
  it('sends the reminder ReminderBeforeExpirySeconds before the window closes', () => {
    expect(splitApprovalWindow(604_800, 86_400)).toEqual({
      approvalWaitSeconds: 518_400,
      reminderWaitSeconds: 86_400,
    });
  });

  it.each([
    ['as long as the window', 3600, 3600],
    ['longer than the window', 3600, 604_800],
    ['exactly half the window', 7200, 3600],
  ])('sends the reminder at the middle of the window when it is asked for %s', (_, window, before) => {
    const half = window / 2;

    expect(splitApprovalWindow(window, before)).toEqual({
      approvalWaitSeconds: half,
      reminderWaitSeconds: half,
    });
  });

  it('keeps both waits at least one second long and the window whole', () => {
    for (const [window, before] of [
      [2, 600],
      [3, 1],
      [1, 1],
    ] as const) {
      const { approvalWaitSeconds, reminderWaitSeconds } = splitApprovalWindow(window, before);
      expect(approvalWaitSeconds).toBeGreaterThanOrEqual(1);
      expect(reminderWaitSeconds).toBeGreaterThanOrEqual(1);
      expect(approvalWaitSeconds + reminderWaitSeconds).toBe(Math.max(2, window));
    }
  });
});
