import { PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { eventBridge } from '#clients/eventbridge';
import { EventPublishError } from './errors';

/** PutEvents takes at most 10 entries per call. */
const BATCH_SIZE = 10;
const ATTEMPTS = 3;

export interface AppEvent {
  source: string;
  detailType: string;
  detail: object;
}

/**
 * Puts events on the application bus in batches of ten, re-sending only the entries that failed
 * (PutEvents can partially fail). Throws EventPublishError when some still fail after retrying,
 * so the invocation fails and is retried as a whole; consumers are idempotent.
 */
export async function publishEvents(eventBusName: string, events: readonly AppEvent[]): Promise<void> {
  const entries: PutEventsRequestEntry[] = events.map((event) => ({
    EventBusName: eventBusName,
    Source: event.source,
    DetailType: event.detailType,
    Detail: JSON.stringify(event.detail),
  }));
  for (let start = 0; start < entries.length; start += BATCH_SIZE) {
    await putBatch(entries.slice(start, start + BATCH_SIZE));
  }
}

async function putBatch(batch: PutEventsRequestEntry[]): Promise<void> {
  let pending = batch;
  let lastError = '';
  for (let attempt = 1; attempt <= ATTEMPTS && pending.length > 0; attempt++) {
    const result = await eventBridge.send(new PutEventsCommand({ Entries: pending }));
    if (!result.FailedEntryCount) return;
    const failed = pending.filter((_, index) => result.Entries?.[index]?.ErrorCode);
    const firstFailure = result.Entries?.find((entry) => entry.ErrorCode);
    lastError = `${firstFailure?.ErrorCode}: ${firstFailure?.ErrorMessage}`;
    pending = failed;
  }
  if (pending.length > 0) {
    throw new EventPublishError(`${pending.length} event(s) could not be published (${lastError})`);
  }
}
