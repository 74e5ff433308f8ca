import { randomBytes } from 'node:crypto';
import { StatesError, StatesErrors, StepFunctionsApiError } from './errors';

/**
 * Task tokens for `.waitForTaskToken`: opaque base64 strings that, like real ones,
 * contain `+`, `/` and `=` (so a token pasted raw into a URL gets mangled and is refused).
 */

const TOKEN_BYTES = 160;
const MAX_TOKEN_LENGTH = 2048;

export function newTaskToken(): string {
  const bytes = randomBytes(TOKEN_BYTES);
  // 0xFB then 0xF? encode to '+/' so every token carries both characters; 160 bytes end in '='.
  bytes[0] = 0xfb;
  bytes[1] = 0xf0 | ((bytes[1] ?? 0) & 0x0f);
  return `AQ${bytes.toString('base64')}`;
}

export function isWellFormedTaskToken(token: unknown): token is string {
  return (
    typeof token === 'string' &&
    token.length > 2 &&
    token.length <= MAX_TOKEN_LENGTH &&
    token.startsWith('AQ') &&
    /^[A-Za-z0-9+/]+={0,2}$/.test(token.slice(2))
  );
}

export type TaskOutcome = { ok: true; output: unknown } | { ok: false; error: StatesError };

interface OpenTask {
  executionArn: string;
  settle: (outcome: TaskOutcome) => void;
  heartbeat: () => void;
}

/**
 * Tokens of tasks waiting for SendTaskSuccess/Failure, and of tasks already closed: those of
 * running executions here, those of finished ones where `closedByFinished` looks (the store).
 */
export class TaskTokenRegistry {
  private readonly open = new Map<string, OpenTask>();
  private readonly closed = new Set<string>();

  constructor(private readonly closedByFinished: (token: string) => boolean = () => false) {}

  /** Starts waiting on `token`; the returned promise settles with the caller's outcome. */
  wait(token: string, executionArn: string, onHeartbeat: () => void): Promise<TaskOutcome> {
    return new Promise<TaskOutcome>((settle) => {
      this.open.set(token, { executionArn, settle, heartbeat: onHeartbeat });
    });
  }

  /** The task is over (answered, timed out, failed or stopped): later calls get TaskTimedOut. */
  close(token: string): void {
    this.open.delete(token);
    this.closed.add(token);
  }

  /** Forgets an open token without closing it (the engine shuts down; another may resume it). */
  release(token: string): void {
    this.open.delete(token);
  }

  markClosed(tokens: Iterable<string>): void {
    for (const token of tokens) this.closed.add(token);
  }

  /** Tokens now kept where `closedByFinished` looks (their execution has finished and is on disk). */
  forgetClosed(tokens: Iterable<string>): void {
    for (const token of tokens) this.closed.delete(token);
  }

  private find(token: unknown): OpenTask {
    if (!isWellFormedTaskToken(token)) throw new StepFunctionsApiError('InvalidToken', 'Invalid Token');
    const task = this.open.get(token);
    if (task) return task;
    if (this.closed.has(token) || this.closedByFinished(token))
      throw new StepFunctionsApiError('TaskTimedOut', 'Task Timed Out');
    throw new StepFunctionsApiError('TaskDoesNotExist', 'Task does not exist anymore');
  }

  succeed(token: unknown, outputJson: unknown): void {
    const task = this.find(token);
    let output: unknown;
    try {
      if (typeof outputJson !== 'string') throw new Error('output must be a string');
      output = JSON.parse(outputJson);
    } catch {
      throw new StepFunctionsApiError('InvalidOutput', 'Invalid Output: the output is not valid JSON');
    }
    this.close(token as string);
    task.settle({ ok: true, output });
  }

  fail(token: unknown, error?: string, cause?: string): void {
    const task = this.find(token);
    this.close(token as string);
    task.settle({ ok: false, error: new StatesError(error ?? '', cause) });
  }

  heartbeat(token: unknown): void {
    this.find(token).heartbeat();
  }

  isOpen(token: string): boolean {
    return this.open.has(token);
  }

  /** The execution waiting on an open token (IAM authorizes SendTask* on its state machine). */
  executionOf(token: string): string | undefined {
    return this.open.get(token)?.executionArn;
  }
}

export const HEARTBEAT_TIMEOUT_ERROR = StatesErrors.HeartbeatTimeout;
