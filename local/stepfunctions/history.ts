/** Execution history events, shaped like the Step Functions GetExecutionHistory output. */

export type HistoryEventType = string;

/** One history event as stored: timestamps are milliseconds since the epoch. */
export interface StoredHistoryEvent {
  id: number;
  previousEventId: number;
  timestamp: number;
  type: HistoryEventType;
  /** The one `<camelType>EventDetails` field of the event, when it has details. */
  [detailsField: string]: unknown;
}

/** A history event as the engine API returns it (SDK shape, `timestamp` as a Date). */
export interface HistoryEvent {
  id: number;
  previousEventId: number;
  timestamp: Date;
  type: HistoryEventType;
  [detailsField: string]: unknown;
}

export function toHistoryEvent(stored: StoredHistoryEvent): HistoryEvent {
  return { ...structuredClone(stored), timestamp: new Date(stored.timestamp) };
}

/** `stateEnteredEventDetails`, `taskScheduledEventDetails`… */
export function detailsFieldOf(type: HistoryEventType): string {
  if (type.endsWith('StateEntered')) return 'stateEnteredEventDetails';
  if (type.endsWith('StateExited')) return 'stateExitedEventDetails';
  return `${type.charAt(0).toLowerCase()}${type.slice(1)}EventDetails`;
}

/** Details for the `...Details` objects that accompany inputs and outputs. */
export const NOT_TRUNCATED = { truncated: false } as const;

/** Input and output fields a caller may ask to leave out (`includeExecutionData: false`). */
const EXECUTION_DATA_FIELDS = new Set(['input', 'output', 'inputDetails', 'outputDetails', 'parameters']);

export function withoutExecutionData(event: HistoryEvent): HistoryEvent {
  const copy: HistoryEvent = { ...event };
  for (const [key, value] of Object.entries(event)) {
    if (key.endsWith('EventDetails') && value && typeof value === 'object') {
      copy[key] = Object.fromEntries(
        Object.entries(value).filter(([field]) => !EXECUTION_DATA_FIELDS.has(field)),
      );
    }
  }
  return copy;
}
