import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validate } from '../../../local/validate/project';
import type { Finding } from '../../../local/validate/report';

export const projectRoot = join(__dirname, '..', '..', '..');
export const fixtures = join(__dirname, 'fixtures');

/** The date the runtime deprecation checks treat as today in tests. */
export const TODAY = new Date('2026-11-26T00:00:00Z');

/** 1-based line of the first line of `file` that contains `text`. */
export function lineOf(file: string, text: string): number {
  const index = readFileSync(file, 'utf8')
    .split('\n')
    .findIndex((line) => line.includes(text));
  if (index < 0) throw new Error(`${text} not found in ${file}`);
  return index + 1;
}

export function errors(findings: readonly Finding[]): Finding[] {
  return findings.filter((item) => item.severity === 'error');
}

/** Findings for one broken template fixture (fixtures/templates/<name>.yaml). */
export async function templateFindings(name: string): Promise<{ file: string; findings: Finding[] }> {
  const file = join(fixtures, 'templates', `${name}.yaml`);
  const { findings } = await validate({
    root: projectRoot,
    templates: [file],
    stateMachines: [],
    today: TODAY,
  });
  return { file, findings };
}

/** Findings for one ASL fixture and the template whose state machine points at it. */
export async function aslFindings(
  name: string,
): Promise<{ asl: string; template: string; findings: Finding[] }> {
  const asl = join(fixtures, 'asl', `${name}.asl.json`);
  const template = join(fixtures, 'asl', `${name}.yaml`);
  const { findings } = await validate({
    root: projectRoot,
    templates: [template],
    stateMachines: [asl],
    today: TODAY,
  });
  return { asl, template, findings };
}

/** A `${Name}` DefinitionSubstitutions placeholder. */
export function token(name: string): string {
  return `$\{${name}}`;
}
