import { randomUUID } from 'node:crypto';
import { EventBridgeApiError } from './errors';
import type { EventBridgeEvent, JsonObject } from './types';
import { isPlainObject } from './validate-event-pattern';

/** One PutEvents request entry, as the API and the SDK spell it. */
export interface PutEventsRequestEntry {
  Source?: string;
  DetailType?: string;
  Detail?: string;
  Resources?: string[];
  /** A Date, an ISO string, or epoch seconds (how awsJson carries timestamps). */
  Time?: Date | string | number;
  EventBusName?: string;
  TraceHeader?: string;
}

/** One PutEvents result entry: an EventId when accepted, an ErrorCode and ErrorMessage when not. */
export interface PutEventsResultEntry {
  EventId?: string;
  ErrorCode?: string;
  ErrorMessage?: string;
}

export interface PutEventsResponse {
  FailedEntryCount: number;
  Entries: PutEventsResultEntry[];
}

export const MAX_ENTRIES_PER_REQUEST = 10;
export const MAX_ENTRY_SIZE_BYTES = 256 * 1024;

/** Refuses a whole PutEvents request the way the API does (ValidationException). */
export function checkEntryCount(entries: unknown): asserts entries is PutEventsRequestEntry[] {
  if (!Array.isArray(entries)) {
    throw new EventBridgeApiError(
      'ValidationException',
      '1 validation error detected: Entries is a required field',
    );
  }
  if (entries.length < 1 || entries.length > MAX_ENTRIES_PER_REQUEST) {
    const bound =
      entries.length < 1 ? 'greater than or equal to 1' : `less than or equal to ${MAX_ENTRIES_PER_REQUEST}`;
    throw new EventBridgeApiError(
      'ValidationException',
      `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length ${bound}`,
    );
  }
}

export type EntryCheck =
  | { ok: true; detail: JsonObject }
  | { ok: false; error: Required<Omit<PutEventsResultEntry, 'EventId'>> };

/** Checks one entry: Source, DetailType and Detail are required, Detail must be a JSON object, size ≤ 256 KB. */
export function checkEntry(entry: PutEventsRequestEntry): EntryCheck {
  for (const field of ['Source', 'DetailType', 'Detail'] as const) {
    const value = entry[field];
    if (typeof value !== 'string' || value.length === 0) {
      return invalidArgument(`Parameter ${field} is not valid. Reason: ${field} is a required argument.`);
    }
  }
  if (entry.Time !== undefined && toDate(entry.Time) === undefined) {
    return invalidArgument('Parameter Time is not valid. Reason: Time is not a valid timestamp.');
  }
  if (entry.Resources !== undefined && !isStringList(entry.Resources)) {
    return invalidArgument('Parameter Resources is not valid. Reason: Resources must be a list of strings.');
  }
  if (entrySize(entry) > MAX_ENTRY_SIZE_BYTES) {
    return invalidArgument(`Entry size exceeds the limit of ${MAX_ENTRY_SIZE_BYTES} bytes.`);
  }
  const detail = parseDetail(entry.Detail as string);
  if (detail === undefined)
    return { ok: false, error: { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' } };
  return { ok: true, detail };
}

/** Entry size as the EventBridge guide computes it: Time (14 bytes), Source, DetailType, Detail and Resources in UTF-8. */
export function entrySize(entry: PutEventsRequestEntry): number {
  const bytes = (text: string | undefined) => (text === undefined ? 0 : Buffer.byteLength(text, 'utf8'));
  const resources = (entry.Resources ?? []).reduce((sum, resource) => sum + bytes(resource), 0);
  return (
    (entry.Time === undefined ? 0 : 14) +
    bytes(entry.Source) +
    bytes(entry.DetailType) +
    bytes(entry.Detail) +
    resources
  );
}

/** Wraps an accepted entry in the standard event envelope. */
export function toEvent(
  entry: PutEventsRequestEntry,
  detail: JsonObject,
  where: { account: string; region: string },
  now: Date,
): EventBridgeEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': entry.DetailType as string,
    source: entry.Source as string,
    account: where.account,
    time: toIsoSeconds((entry.Time === undefined ? undefined : toDate(entry.Time)) ?? now),
    region: where.region,
    resources: entry.Resources ?? [],
    detail,
  };
}

/** ISO 8601 without milliseconds, as EventBridge writes event times ("2015-11-11T21:29:54Z"). */
export function toIsoSeconds(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

function toDate(time: Date | string | number): Date | undefined {
  const date =
    time instanceof Date ? time : typeof time === 'number' ? new Date(time * 1000) : new Date(time);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function parseDetail(text: string): JsonObject | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return isPlainObject(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

function invalidArgument(message: string): EntryCheck {
  return { ok: false, error: { ErrorCode: 'InvalidArgument', ErrorMessage: message } };
}
