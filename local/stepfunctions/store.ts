import { createHash } from 'node:crypto';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import type { ExecutionRecord, ExecutionStatus, NestedProgress, StatePosition } from './execution-record';
import type { StoredHistoryEvent } from './history';

/**
 * Executions on disk, in `<dataDir>/executions/`:
 * - `<id>.journal` for a RUNNING execution: JSON lines, the first one the record as started,
 *   each next one what changed since the line before (new history events, the new position,
 *   changed branch or iteration progress, newly closed task tokens), so a write is as big as
 *   the change. A restart replays the journal; a torn last line (a kill mid-write) is ignored.
 * - `<id>.json` for a finished execution: the whole record, written once (temp file + rename)
 *   when it ends; its journal is then deleted.
 * - `index.jsonl`: one summary line per finished execution (what listing needs, and the task
 *   tokens it closed), so a start reads the index and the journals, never the finished records.
 * Memory holds running executions only: a finished execution is read from here when asked for
 * (its record when described, the index when listed or when one of its task tokens is answered).
 * Every step leaves a readable store: a start repairs what a kill between two steps left (a
 * journal beside its finished record, a finished record missing from the index). Records
 * written by the earlier one-JSON-file-per-execution store are taken over the same way.
 * Without a directory nothing is persisted.
 */

/** What listing an execution needs: a line of the index. */
export interface ExecutionSummary {
  executionArn: string;
  stateMachineArn: string;
  stateMachineName: string;
  name: string;
  status: ExecutionStatus;
  startDate: number;
  stopDate?: number;
}

/** A line of `index.jsonl`. */
interface IndexLine extends ExecutionSummary {
  /** Task tokens the execution closed: answering one later gets TaskTimedOut. */
  closedTokens?: string[];
}

/** A line of a journal: the changes since the previous line (the first one also starts it). */
interface JournalLine {
  /** The record as started, without its history and progress (first line only). */
  start?: Omit<ExecutionRecord, 'history' | 'position' | 'nested' | 'closedTokens'>;
  events?: StoredHistoryEvent[];
  /** The top-level position; null once there is none. */
  position?: StatePosition | null;
  /** Branch and iteration progress that changed, by key; null for progress forgotten. */
  nested?: Record<string, NestedProgress | null>;
  closedTokens?: string[];
}

/** What a running execution's journal holds so far. */
interface JournalCursor {
  events: number;
  /** The position as last written, as JSON text (positions change in place). */
  position: string | undefined;
  /** Branch and iteration progress as last written (the engine replaces an entry to change it). */
  nested: Map<string, NestedProgress>;
  closedTokens: number;
}

const INDEX_FILE = 'index.jsonl';

function summaryOf(record: ExecutionRecord): ExecutionSummary {
  return {
    executionArn: record.executionArn,
    stateMachineArn: record.stateMachineArn,
    stateMachineName: record.stateMachineName,
    name: record.name,
    status: record.status,
    startDate: record.startDate,
    ...(record.stopDate !== undefined && { stopDate: record.stopDate }),
  };
}

function fileIdOf(executionArn: string): string {
  return createHash('sha256').update(executionArn).digest('hex').slice(0, 40);
}

/** The complete lines of a JSON-lines file, parsed; `torn` when a line could not be read. */
function readJsonLines<T>(file: string): { lines: T[]; torn: boolean } {
  const text = readFileSync(file, 'utf8');
  const lines: T[] = [];
  let torn = !text.endsWith('\n') && text.length > 0;
  const complete = text.slice(0, text.lastIndexOf('\n') + 1);
  for (const line of complete.split('\n')) {
    if (line === '') continue;
    try {
      lines.push(JSON.parse(line) as T);
    } catch {
      torn = true;
    }
  }
  return { lines, torn };
}

/** A file's text; undefined when there is no such file. */
function readIfExists(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Writes a whole file so that a kill leaves the old or the new content, never a mix. */
function writeAtomically(file: string, content: string): void {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, content);
  renameSync(temporary, file);
}

function replayJournal(lines: JournalLine[]): ExecutionRecord | undefined {
  const [first, ...rest] = lines;
  if (!first?.start) return undefined;
  const record: ExecutionRecord = { ...first.start, history: [], closedTokens: [] };
  for (const line of [{ ...first, start: undefined }, ...rest]) {
    if (line.events) record.history.push(...line.events);
    if (line.position === null) delete record.position;
    else if (line.position !== undefined) record.position = line.position;
    for (const [key, progress] of Object.entries(line.nested ?? {})) {
      if (!record.nested) record.nested = {};
      if (progress === null) delete record.nested[key];
      else record.nested[key] = progress;
    }
    if (record.nested && Object.keys(record.nested).length === 0) delete record.nested;
    if (line.closedTokens) record.closedTokens.push(...line.closedTokens);
  }
  return record;
}

export class ExecutionStore {
  private readonly directory: string | undefined;
  private readonly journals = new Map<string, JournalCursor>();

  constructor(
    dataDir: string | undefined,
    private readonly logger: (message: string) => void = () => undefined,
  ) {
    this.directory = dataDir ? join(dataDir, 'executions') : undefined;
    if (this.directory) mkdirSync(this.directory, { recursive: true });
  }

  get persistent(): boolean {
    return this.directory !== undefined;
  }

  /**
   * Persists what changed in `record` since its last save: appends to its journal while it runs,
   * writes the finished record and its index line once it has ended. Without a directory the
   * engine keeps every record in memory and nothing happens here.
   */
  save(record: ExecutionRecord): void {
    if (!this.directory) return;
    if (record.status === 'RUNNING') this.appendChanges(record);
    else this.writeFinished(record);
  }

  /** The whole record of a finished execution; undefined when none of that ARN has finished here. */
  readFinished(executionArn: string): ExecutionRecord | undefined {
    if (!this.directory) return undefined;
    const text = readIfExists(this.pathOf(executionArn, 'json'));
    return text === undefined ? undefined : (JSON.parse(text) as ExecutionRecord);
  }

  hasFinished(executionArn: string): boolean {
    return this.directory !== undefined && existsSync(this.pathOf(executionArn, 'json'));
  }

  /** The finished executions of a state machine, from the index (each once, in finishing order). */
  listFinished(stateMachineArn: string): ExecutionSummary[] {
    const needle = JSON.stringify(stateMachineArn);
    const found = new Map<string, ExecutionSummary>();
    for (const line of this.indexLines((text) => text.includes(needle))) {
      if (line.stateMachineArn !== stateMachineArn) continue;
      const { closedTokens, ...summary } = line;
      found.set(summary.executionArn, summary);
    }
    return [...found.values()];
  }

  /** Whether a finished execution closed `token` (answering it now gets TaskTimedOut). */
  closedByFinished(token: string): boolean {
    const needle = JSON.stringify(token);
    return this.indexLines((text) => text.includes(needle)).some((line) =>
      line.closedTokens?.includes(token),
    );
  }

  /** The index's complete lines that pass `select` (a cheap test of the text before parsing). */
  private indexLines(select: (text: string) => boolean): IndexLine[] {
    const text = this.directory ? readIfExists(join(this.directory, INDEX_FILE)) : undefined;
    const lines: IndexLine[] = [];
    for (const line of text?.split('\n') ?? []) {
      if (line === '' || !select(line)) continue;
      try {
        lines.push(JSON.parse(line) as IndexLine);
      } catch {
        // a line torn by a kill: the next start repairs the index
      }
    }
    return lines;
  }

  /**
   * For a starting engine: the running executions, replayed from their journals, after repairing
   * what a kill left behind (stray temporary files, journals of finished executions, index lines
   * lost or torn). Finished executions stay on disk.
   */
  recover(): ExecutionRecord[] {
    const directory = this.directory;
    if (!directory) return [];
    const files = readdirSync(directory);
    for (const file of files.filter((name) => name.endsWith('.tmp')))
      rmSync(join(directory, file), { force: true });

    const indexFile = join(directory, INDEX_FILE);
    const index = new Map<string, IndexLine>();
    let rewriteIndex = false;
    if (existsSync(indexFile)) {
      const { lines, torn } = readJsonLines<IndexLine>(indexFile);
      for (const line of lines) index.set(line.executionArn, line);
      if (torn) {
        this.logger(`Step Functions store: ignored a torn line of ${indexFile}`);
        rewriteIndex = true;
      }
    }
    const indexed = new Set([...index.keys()].map(fileIdOf));

    for (const file of files.filter((name) => name.endsWith('.json'))) {
      const id = file.slice(0, -'.json'.length);
      if (indexed.has(id)) continue;
      const path = join(directory, file);
      let record: ExecutionRecord;
      try {
        record = JSON.parse(readFileSync(path, 'utf8')) as ExecutionRecord;
      } catch (error) {
        this.logger(`Step Functions store: skipped unreadable ${path}: ${(error as Error).message}`);
        continue;
      }
      if (record.status === 'RUNNING') {
        // Written by the earlier store: the running execution continues in a journal.
        if (!existsSync(join(directory, `${id}.journal`))) this.rewriteJournal(record);
        rmSync(path);
      } else {
        index.set(record.executionArn, this.indexLineOf(record));
        rewriteIndex = true;
      }
    }
    if (rewriteIndex) {
      writeAtomically(indexFile, [...index.values()].map((line) => `${JSON.stringify(line)}\n`).join(''));
    }

    const running: ExecutionRecord[] = [];
    for (const file of readdirSync(directory).filter((name) => name.endsWith('.journal'))) {
      const path = join(directory, file);
      if (existsSync(`${path.slice(0, -'.journal'.length)}.json`)) {
        rmSync(path, { force: true }); // it ended: the kill came before its journal was deleted
        continue;
      }
      const { lines, torn } = readJsonLines<JournalLine>(path);
      const record = replayJournal(lines);
      if (!record) {
        this.logger(`Step Functions store: ${path} has no readable start; renamed to .unreadable`);
        renameSync(path, `${path}.unreadable`);
        continue;
      }
      if (torn) {
        this.logger(`Step Functions store: ignored a torn line of ${path}`);
        this.rewriteJournal(record);
      } else {
        this.journals.set(record.executionArn, this.cursorOf(record));
      }
      running.push(record);
    }
    return running;
  }

  /** Every execution, whole, read-only (for reports): finished records and replayed journals. */
  loadAll(): ExecutionRecord[] {
    const directory = this.directory;
    if (!directory) return [];
    const files = readdirSync(directory);
    const records: ExecutionRecord[] = [];
    for (const file of files) {
      const path = join(directory, file);
      try {
        if (file.endsWith('.json')) {
          records.push(JSON.parse(readFileSync(path, 'utf8')) as ExecutionRecord);
        } else if (file.endsWith('.journal') && !files.includes(file.replace(/\.journal$/, '.json'))) {
          const record = replayJournal(readJsonLines<JournalLine>(path).lines);
          if (record) records.push(record);
        }
      } catch {
        // a file a kill cut short or someone edited: the report shows the rest
      }
    }
    return records;
  }

  private pathOf(executionArn: string, extension: 'json' | 'journal'): string {
    return join(this.directory as string, `${fileIdOf(executionArn)}.${extension}`);
  }

  private indexLineOf(record: ExecutionRecord): IndexLine {
    return {
      ...summaryOf(record),
      ...(record.closedTokens.length > 0 && { closedTokens: record.closedTokens }),
    };
  }

  private cursorOf(record: ExecutionRecord): JournalCursor {
    return {
      events: record.history.length,
      position: record.position === undefined ? undefined : JSON.stringify(record.position),
      nested: new Map(Object.entries(record.nested ?? {})),
      closedTokens: record.closedTokens.length,
    };
  }

  /** Replaces a journal by one line holding the whole record (first save, or after a failed write). */
  private rewriteJournal(record: ExecutionRecord): void {
    const { history, position, nested, closedTokens, ...start } = record;
    const line: JournalLine = {
      start,
      events: history,
      ...(position !== undefined && { position }),
      ...(nested !== undefined && { nested }),
      closedTokens,
    };
    writeAtomically(this.pathOf(record.executionArn, 'journal'), `${JSON.stringify(line)}\n`);
    this.journals.set(record.executionArn, this.cursorOf(record));
  }

  private appendChanges(record: ExecutionRecord): void {
    const cursor = this.journals.get(record.executionArn);
    if (!cursor) {
      this.rewriteJournal(record);
      return;
    }
    const fields: string[] = [];
    if (record.history.length > cursor.events) {
      fields.push(`"events":${JSON.stringify(record.history.slice(cursor.events))}`);
    }
    const position = record.position === undefined ? undefined : JSON.stringify(record.position);
    if (position !== cursor.position) fields.push(`"position":${position ?? 'null'}`);
    const nested = record.nested ?? {};
    const changed: Record<string, NestedProgress | null> = {};
    for (const [key, progress] of Object.entries(nested)) {
      if (cursor.nested.get(key) !== progress) changed[key] = progress;
    }
    for (const key of cursor.nested.keys()) if (!(key in nested)) changed[key] = null;
    if (Object.keys(changed).length > 0) fields.push(`"nested":${JSON.stringify(changed)}`);
    if (record.closedTokens.length > cursor.closedTokens) {
      fields.push(`"closedTokens":${JSON.stringify(record.closedTokens.slice(cursor.closedTokens))}`);
    }
    if (fields.length === 0) return;
    try {
      appendFileSync(this.pathOf(record.executionArn, 'journal'), `{${fields.join(',')}}\n`);
    } catch (error) {
      // The line may be torn: the next save rewrites the journal whole.
      this.journals.delete(record.executionArn);
      throw error;
    }
    cursor.events = record.history.length;
    cursor.position = position;
    for (const [key, progress] of Object.entries(changed)) {
      if (progress === null) cursor.nested.delete(key);
      else cursor.nested.set(key, progress);
    }
    cursor.closedTokens = record.closedTokens.length;
  }

  /** Finished record first, then its index line, then the journal goes: each step repairable. */
  private writeFinished(record: ExecutionRecord): void {
    writeAtomically(this.pathOf(record.executionArn, 'json'), JSON.stringify(record));
    appendFileSync(
      join(this.directory as string, INDEX_FILE),
      `${JSON.stringify(this.indexLineOf(record))}\n`,
    );
    rmSync(this.pathOf(record.executionArn, 'journal'), { force: true });
    this.journals.delete(record.executionArn);
  }
}
