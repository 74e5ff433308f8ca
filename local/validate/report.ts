import { relative } from 'node:path';

export type Severity = 'error' | 'warning';

/** 1-based line and column of a node in its source file. */
export interface Position {
  readonly line: number;
  readonly column: number;
}

/** One problem in one file, at the node that causes it. */
export interface Finding {
  /** Absolute path of the file. */
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly severity: Severity;
  readonly message: string;
  /** Which check produced it: `asl-service`, `asl-validator`, `asl-rules`, `template-spec`, … */
  readonly source: string;
}

export function finding(
  file: string,
  position: Position,
  severity: Severity,
  source: string,
  message: string,
): Finding {
  return { file, line: position.line, column: position.column, severity, source, message };
}

/** Findings in file order, then line and column order; exact duplicates dropped. */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  const seen = new Set<string>();
  const unique = findings.filter((item) => {
    const key = `${item.file}\0${item.line}\0${item.column}\0${item.severity}\0${item.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return unique.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column);
}

/** `file:line:column: error|warning: message [source]`, with the file relative to `root`. */
export function formatFinding(item: Finding, root: string): string {
  const file = relative(root, item.file) || item.file;
  return `${file}:${item.line}:${item.column}: ${item.severity}: ${item.message} [${item.source}]`;
}

export interface Summary {
  readonly files: number;
  readonly errors: number;
  readonly warnings: number;
}

export function summarize(findings: readonly Finding[], files: number): Summary {
  return {
    files,
    errors: findings.filter((item) => item.severity === 'error').length,
    warnings: findings.filter((item) => item.severity === 'warning').length,
  };
}

export function formatSummary(summary: Summary, elapsedMs: number): string {
  const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;
  return `validate: ${plural(summary.files, 'file')} checked, ${plural(summary.errors, 'error')}, ${plural(
    summary.warnings,
    'warning',
  )} (${Math.round(elapsedMs)} ms)`;
}
