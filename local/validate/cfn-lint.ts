import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { type Finding, finding, type Severity } from './report';

/** One entry of `cfn-lint --format json`. */
interface CfnLintMatch {
  /** Null for a finding about the run itself (a configuration or file error). */
  readonly Filename: string | null;
  readonly Level: 'Error' | 'Warning' | 'Informational';
  readonly Message: string;
  readonly Rule: { readonly Id: string };
  readonly Location: { readonly Start: { readonly LineNumber: number; readonly ColumnNumber: number } };
}

export type CfnLintResult =
  | { readonly ran: true; readonly version: string; readonly findings: Finding[] }
  | { readonly ran: false; readonly reason: string };

const SEVERITY: Record<CfnLintMatch['Level'], Severity | undefined> = {
  Error: 'error',
  Warning: 'warning',
  Informational: undefined,
};

/** `cfn-lint --version` of each command, asked once per process (starting cfn-lint takes a second). */
const versions = new Map<string, SpawnSyncReturns<string>>();

function versionOf(command: string) {
  const known = versions.get(command);
  if (known) return known;
  const version = spawnSync(command, ['--version'], { encoding: 'utf8' });
  versions.set(command, version);
  return version;
}

/**
 * Runs cfn-lint — the linter behind `sam validate --lint`, with the SAM transform built in — on
 * the templates when it is installed (`pip install cfn-lint`; it is not an npm package, so the
 * project cannot install it). Its matches become findings tagged with the rule id.
 */
export function runCfnLint(templates: readonly string[], cwd: string): CfnLintResult {
  if (templates.length === 0) return { ran: false, reason: 'no templates' };
  const command = process.env.CFN_LINT ?? 'cfn-lint';
  const version = versionOf(command);
  if (version.error || version.status !== 0)
    return { ran: false, reason: `${command} is not installed (pip install cfn-lint to run it too)` };
  const run = spawnSync(command, ['--format', 'json', '--', ...templates], {
    cwd,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  // cfn-lint exits with a bit mask of the levels it found (2 error, 4 warning, 8 info); 1 is a crash.
  if (run.error || run.status === 1 || run.status === null) {
    const detail = run.error?.message ?? run.stderr.trim().split('\n').slice(-1)[0] ?? '';
    throw new Error(`cfn-lint failed: ${detail}`);
  }
  const matches = JSON.parse(run.stdout || '[]') as CfnLintMatch[];
  const findings = matches.flatMap((match) => {
    const severity = SEVERITY[match.Level];
    if (!severity) return [];
    const position = { line: match.Location.Start.LineNumber, column: match.Location.Start.ColumnNumber };
    const file = match.Filename === null ? resolve(cwd) : resolve(cwd, match.Filename);
    return [finding(file, position, severity, `cfn-lint ${match.Rule.Id}`, match.Message)];
  });
  return { ran: true, version: version.stdout.trim(), findings };
}
