import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { checkAslFile } from './asl';
import type { StateMachineLink } from './asl-rules';
import { type Finding, finding, sortFindings } from './report';
import { runtimeDeprecations, samPolicyTemplates } from './sam-data';
import { loadSpecDb } from './spec-db';
import { checkTemplate, type ExportName, type TemplateDependencies } from './template-spec';

export interface ValidateInput {
  /** Project root: messages name files relative to it. */
  readonly root: string;
  /** Absolute paths of SAM/CloudFormation templates. */
  readonly templates: readonly string[];
  /** Absolute paths of ASL definitions. */
  readonly stateMachines: readonly string[];
  /** "Today" for runtime deprecation dates; defaults to now. */
  readonly today?: Date;
}

export interface ValidateResult {
  readonly findings: Finding[];
  readonly files: number;
}

function listFiles(directory: string, suffix: string): string[] {
  if (!existsSync(directory)) return [];
  return readdirSync(directory)
    .filter((name) => name.endsWith(suffix))
    .sort()
    .map((name) => join(directory, name));
}

/** Every `templates/*.yaml` (and .yml/.json) and `statemachines/*.asl.json` of the project. */
export function projectFiles(root: string): ValidateInput {
  const templatesDirectory = join(root, 'templates');
  return {
    root,
    templates: [
      ...listFiles(templatesDirectory, '.yaml'),
      ...listFiles(templatesDirectory, '.yml'),
      ...listFiles(templatesDirectory, '.json'),
    ].sort(),
    stateMachines: listFiles(join(root, 'statemachines'), '.asl.json'),
  };
}

function duplicateExports(exports: readonly ExportName[]): Finding[] {
  const first = new Map<string, ExportName>();
  const out: Finding[] = [];
  for (const item of exports) {
    const previous = first.get(item.name);
    if (!previous) {
      first.set(item.name, item);
    } else if (previous.file !== item.file) {
      out.push(
        finding(
          item.file,
          item.position,
          'error',
          'template-spec',
          `export name ${item.name} is also exported by ${previous.file}`,
        ),
      );
    }
  }
  return out;
}

/** Validates the given templates and ASL files; findings are sorted by file and position. */
export async function validate(input: ValidateInput): Promise<ValidateResult> {
  const spec = loadSpecDb();
  const deps: TemplateDependencies = {
    spec,
    policyTemplates: samPolicyTemplates(spec),
    runtimes: runtimeDeprecations,
    today: input.today ?? new Date(),
  };
  const findings: Finding[] = [];
  const links: StateMachineLink[] = [];
  const exports: ExportName[] = [];
  for (const file of input.templates) {
    const result = checkTemplate(file, readFileSync(file, 'utf8'), deps);
    findings.push(...result.findings);
    links.push(...result.links);
    exports.push(...result.exports);
  }
  findings.push(...duplicateExports(exports));
  for (const file of input.stateMachines) {
    const absolute = resolve(file);
    const own = links.filter((link) => link.definitionFile === absolute);
    findings.push(
      ...(await checkAslFile(absolute, readFileSync(absolute, 'utf8'), {
        links: own,
        projectRoot: input.root,
      })),
    );
  }
  return { findings: sortFindings(findings), files: input.templates.length + input.stateMachines.length };
}
