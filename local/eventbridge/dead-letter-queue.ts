import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EventBridgeEvent } from './types';

/**
 * A message EventBridge sends to a target's dead-letter queue: the event as the body, and why it
 * was not delivered as message attributes (the names EventBridge uses).
 */
export interface DeadLetterMessage {
  sentTime: string;
  body: EventBridgeEvent;
  attributes: {
    RULE_ARN: string;
    TARGET_ARN: string;
    ERROR_CODE: string;
    ERROR_MESSAGE: string;
    RETRY_ATTEMPTS: number;
    EXHAUSTED_RETRY_CONDITION: 'MaximumRetryAttemptsExhausted' | 'MaximumEventAgeExhausted';
  };
}

/** The queue name of an SQS queue ARN (`arn:aws:sqs:us-east-1:123456789012:photos-dlq` → `photos-dlq`). */
export function queueNameOf(queueArn: string): string {
  return queueArn.split(':').pop() || queueArn;
}

/** A dead-letter queue on disk, append-only JSON Lines: `<dataDir>/dead-letters/<queue name>.jsonl`. */
export class DeadLetterQueue {
  readonly name: string;
  readonly filePath: string;

  constructor(dataDir: string, queueArn: string) {
    this.name = queueNameOf(queueArn);
    const directory = join(dataDir, 'dead-letters');
    mkdirSync(directory, { recursive: true });
    this.filePath = join(directory, `${encodeURIComponent(this.name)}.jsonl`);
  }

  send(message: DeadLetterMessage): void {
    appendFileSync(this.filePath, `${JSON.stringify(message)}\n`);
  }

  /** Messages in the order they were sent (a line torn by a crash is skipped). */
  list(): DeadLetterMessage[] {
    if (!existsSync(this.filePath)) return [];
    return readFileSync(this.filePath, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .flatMap((line) => {
        try {
          return [JSON.parse(line) as DeadLetterMessage];
        } catch {
          return [];
        }
      });
  }
}
