import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EventBridgeEvent } from './types';

/** One archived event with the time the bus accepted it. */
export interface ArchivedEvent {
  ingestionTime: string;
  event: EventBridgeEvent;
}

/** An append-only JSON Lines file of every event a bus accepted: `<dataDir>/events/<bus>.jsonl`. */
export class EventArchive {
  readonly filePath: string;

  constructor(dataDir: string, busName: string) {
    const directory = join(dataDir, 'events');
    mkdirSync(directory, { recursive: true });
    this.filePath = join(directory, `${encodeURIComponent(busName)}.jsonl`);
  }

  append(records: ArchivedEvent[]): void {
    if (records.length === 0) return;
    appendFileSync(this.filePath, records.map((record) => `${JSON.stringify(record)}\n`).join(''));
  }

  /** Archived events in arrival order, optionally only those that arrived at or after `since`. */
  list(since?: Date): ArchivedEvent[] {
    if (!existsSync(this.filePath)) return [];
    const records = readFileSync(this.filePath, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .flatMap((line) => parseRecord(line));
    if (since === undefined) return records;
    return records.filter((record) => Date.parse(record.ingestionTime) >= since.getTime());
  }
}

/** Skips a line torn by a crash mid-write instead of losing the whole archive. */
function parseRecord(line: string): ArchivedEvent[] {
  try {
    return [JSON.parse(line) as ArchivedEvent];
  } catch {
    return [];
  }
}
