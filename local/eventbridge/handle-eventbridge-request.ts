import { EventBridgeApiError, InvalidEventPatternError } from './errors';
import type { LocalEventBus } from './local-event-bus';
import { matchesEventPattern } from './match-event-pattern';
import { checkEntryCount, type PutEventsRequestEntry, type PutEventsResultEntry } from './put-events';
import { isPlainObject } from './validate-event-pattern';

export interface EventBridgeHttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

const CONTENT_TYPE = { 'content-type': 'application/x-amz-json-1.1' };

/**
 * Answers one awsJson1_1 EventBridge API call. `target` is the X-Amz-Target header
 * ("AWSEvents.PutEvents" and "AWSEvents.TestEventPattern" are served); `bodyJson` is the raw request body.
 */
export async function handleEventBridgeRequest(
  buses: (name: string) => LocalEventBus | undefined,
  target: string | undefined,
  bodyJson: string,
): Promise<EventBridgeHttpResponse> {
  try {
    const operation = target?.split('.').pop();
    if (target?.startsWith('AWSEvents.') && operation === 'PutEvents') {
      return reply(200, await putEvents(buses, parseBody(bodyJson)));
    }
    if (target?.startsWith('AWSEvents.') && operation === 'TestEventPattern') {
      return reply(200, testEventPattern(parseBody(bodyJson)));
    }
    throw new EventBridgeApiError(
      'UnknownOperationException',
      `Operation ${target ?? '(none)'} is not supported locally`,
    );
  } catch (error) {
    if (error instanceof InvalidEventPatternError) {
      return reply(400, { __type: error.code, message: error.message });
    }
    if (error instanceof EventBridgeApiError) {
      return reply(error.statusCode, { __type: error.code, message: error.message });
    }
    const message = error instanceof Error ? error.message : String(error);
    return reply(500, { __type: 'InternalException', message });
  }
}

/** The bus name in an EventBusName that may be a name or an event-bus ARN. */
export function busNameOf(eventBusName: string | undefined): string {
  if (eventBusName === undefined || eventBusName === '') return 'default';
  const marker = ':event-bus/';
  const index = eventBusName.indexOf(marker);
  return eventBusName.startsWith('arn:') && index >= 0
    ? eventBusName.slice(index + marker.length)
    : eventBusName;
}

async function putEvents(buses: (name: string) => LocalEventBus | undefined, body: Record<string, unknown>) {
  const entries = body.Entries;
  checkEntryCount(entries);
  const groups = new Map<LocalEventBus, Array<{ index: number; entry: PutEventsRequestEntry }>>();
  entries.forEach((entry, index) => {
    const name = busNameOf(entry.EventBusName);
    const bus = buses(name);
    if (bus === undefined)
      throw new EventBridgeApiError('ResourceNotFoundException', `Event bus ${name} does not exist.`);
    groups.set(bus, [...(groups.get(bus) ?? []), { index, entry }]);
  });
  const results: PutEventsResultEntry[] = new Array(entries.length);
  for (const [bus, group] of groups) {
    const response = await bus.putEvents(group.map(({ entry }) => entry));
    group.forEach(({ index }, position) => {
      results[index] = response.Entries[position] as PutEventsResultEntry;
    });
  }
  return { FailedEntryCount: results.filter((result) => result.ErrorCode).length, Entries: results };
}

function testEventPattern(body: Record<string, unknown>): { Result: boolean } {
  const { EventPattern, Event } = body;
  if (typeof EventPattern !== 'string' || typeof Event !== 'string') {
    throw new EventBridgeApiError('ValidationException', 'EventPattern and Event are required strings');
  }
  let event: unknown;
  try {
    event = JSON.parse(Event);
  } catch {
    throw new EventBridgeApiError('ValidationException', 'Event is not valid JSON');
  }
  return { Result: matchesEventPattern(EventPattern, event) };
}

function parseBody(bodyJson: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bodyJson === '' ? '{}' : bodyJson);
  } catch {
    throw new EventBridgeApiError('SerializationException', 'Request body is not valid JSON');
  }
  if (!isPlainObject(parsed))
    throw new EventBridgeApiError('SerializationException', 'Request body must be a JSON object');
  return parsed;
}

function reply(statusCode: number, payload: unknown): EventBridgeHttpResponse {
  return { statusCode, headers: { ...CONTENT_TYPE }, body: JSON.stringify(payload) };
}
