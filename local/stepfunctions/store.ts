import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutionRecord } from './execution-record';

/**
 * Executions on disk, one JSON file each, written atomically (temp file + rename) so a
 * crash never leaves half a file behind. Without a directory nothing is persisted.
 */
export class ExecutionStore {
  private readonly directory: string | undefined;

  constructor(dataDir: string | undefined) {
    this.directory = dataDir ? join(dataDir, 'executions') : undefined;
    if (this.directory) mkdirSync(this.directory, { recursive: true });
  }

  get persistent(): boolean {
    return this.directory !== undefined;
  }

  save(record: ExecutionRecord): void {
    if (!this.directory) return;
    const file = join(
      this.directory,
      `${createHash('sha256').update(record.executionArn).digest('hex').slice(0, 40)}.json`,
    );
    const temporary = `${file}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(record));
    renameSync(temporary, file);
  }

  loadAll(): ExecutionRecord[] {
    if (!this.directory) return [];
    return readdirSync(this.directory)
      .filter((file) => file.endsWith('.json'))
      .map(
        (file) => JSON.parse(readFileSync(join(this.directory as string, file), 'utf8')) as ExecutionRecord,
      );
  }
}
