import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutionRecord } from '../stepfunctions/execution-record';
import type { StoredHistoryEvent } from '../stepfunctions/history';
import { ExecutionStore } from '../stepfunctions/store';

/**
 * Read-only views of the executions a local runtime persisted under `<dataDir>/stepfunctions`,
 * for `npm run local -- executions [id]`. Reading never resumes or changes an execution.
 */

export function readExecutions(dataDir: string): ExecutionRecord[] {
  const directory = join(dataDir, 'stepfunctions');
  if (!existsSync(join(directory, 'executions'))) return [];
  return new ExecutionStore(directory).loadAll().sort((a, b) => b.startDate - a.startDate);
}

/** Finds one execution by its name, its ARN or an unambiguous prefix of its name. */
export function findExecution(records: readonly ExecutionRecord[], id: string): ExecutionRecord {
  const exact = records.find((record) => record.name === id || record.executionArn === id);
  if (exact) return exact;
  const matches = records.filter((record) => record.name.startsWith(id));
  if (matches.length === 1 && matches[0]) return matches[0];
  if (matches.length === 0)
    throw new Error(`No execution named ${id}; \`npm run local -- executions\` lists them`);
  throw new Error(`${matches.length} executions start with ${id}; give more of the name`);
}

function duration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function tookOf(record: ExecutionRecord): string {
  return record.stopDate === undefined ? 'running' : duration(record.stopDate - record.startDate);
}

function parsed(json: string | undefined): Record<string, unknown> | undefined {
  try {
    const value: unknown = json === undefined ? undefined : JSON.parse(json);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What an image-workflow execution did to its upload, read from its input (the uploadComplete
 * event) and output: `PROCESSED`, `REJECTED <reason>` or `FAILED <error>`, and the upload id.
 * Empty for executions of other state machines (their status says it all).
 */
export function uploadOutcome(record: ExecutionRecord): { outcome: string; uploadId: string } {
  const detail = parsed(record.input)?.detail as { uploadId?: unknown } | undefined;
  if (typeof detail?.uploadId !== 'string') return { outcome: '', uploadId: '' };
  const uploadId = detail.uploadId;
  if (record.status === 'RUNNING') return { outcome: '', uploadId };
  if (record.status !== 'SUCCEEDED') return { outcome: `FAILED ${record.error ?? record.status}`, uploadId };
  const output = parsed(record.output) as
    | { verdict?: { accepted?: boolean; rejection?: { reason?: string } }; images?: unknown }
    | undefined;
  if (output?.verdict?.accepted === false) {
    return { outcome: `REJECTED ${output.verdict.rejection?.reason ?? ''}`.trimEnd(), uploadId };
  }
  if (output?.images !== undefined) return { outcome: 'PROCESSED', uploadId };
  return { outcome: 'already final', uploadId }; // a duplicate or late execution, stopped at its claim
}

export function formatExecutionList(records: readonly ExecutionRecord[]): string {
  if (records.length === 0) return 'No executions yet.';
  const rows = records.map((record) => {
    const { outcome, uploadId } = uploadOutcome(record);
    return [
      new Date(record.startDate).toISOString().replace('T', ' ').slice(0, 19),
      record.stateMachineName,
      record.status,
      tookOf(record),
      record.name,
      outcome,
      uploadId,
    ];
  });
  const header = ['started (UTC)', 'state machine', 'status', 'took', 'execution', 'outcome', 'upload'];
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** One top-level state the execution went through. */
export interface VisitedState {
  name: string;
  enteredAt: number;
  exitedAt?: number;
  /** Task attempts beyond the first (retries). */
  retries: number;
  /** The last error the state saw, e.g. `CorruptImageError`; caught when the execution went on. */
  error?: string;
}

function detailsOf(event: StoredHistoryEvent): Record<string, unknown> {
  const field = Object.keys(event).find((key) => key.endsWith('EventDetails'));
  return (field ? event[field] : {}) as Record<string, unknown>;
}

/** The top-level states an execution entered, in order, with retries and errors. */
export function pathThroughStates(record: ExecutionRecord): VisitedState[] {
  const path: VisitedState[] = [];
  let depth = 0;
  let attempts = 0;
  for (const event of record.history) {
    const details = detailsOf(event);
    const current = path[path.length - 1];
    if (event.type.endsWith('StateEntered')) {
      depth += 1;
      if (depth === 1) {
        path.push({ name: String(details.name), enteredAt: event.timestamp, retries: 0 });
        attempts = 0;
      }
    } else if (event.type.endsWith('StateExited')) {
      if (depth === 1 && current) current.exitedAt = event.timestamp;
      depth = Math.max(0, depth - 1);
    } else if (depth === 1 && current && /(Task|LambdaFunction)Scheduled$/.test(event.type)) {
      attempts += 1;
      current.retries = attempts - 1;
    } else if (depth === 1 && current && /(Failed|TimedOut)$/.test(event.type) && details.error) {
      current.error = String(details.error);
    }
  }
  return path;
}

export function formatExecution(record: ExecutionRecord): string {
  const lines = [
    `${record.name}  (${record.stateMachineName})`,
    `  status   ${record.status}${record.error ? `: ${record.error}` : ''}`,
    `  started  ${new Date(record.startDate).toISOString()}`,
    `  took     ${tookOf(record)}`,
    '  path:',
  ];
  const path = pathThroughStates(record);
  path.forEach((state, index) => {
    const notes = [
      state.exitedAt === undefined ? 'in progress' : duration(state.exitedAt - state.enteredAt),
      state.retries > 0 ? `${state.retries} ${state.retries === 1 ? 'retry' : 'retries'}` : '',
      state.error ? `error ${state.error}${index < path.length - 1 ? ', caught' : ''}` : '',
    ].filter(Boolean);
    lines.push(`    ${String(index + 1).padStart(2)}. ${state.name}  (${notes.join('; ')})`);
  });
  if (record.cause) lines.push(`  cause    ${record.cause}`);
  if (record.output !== undefined) lines.push(`  output   ${record.output}`);
  return lines.join('\n');
}
