/**
 * `npm run validate`: offline proof that the ASL files and SAM templates are what VS Code's
 * "Render graph", `sam validate --lint`, `sam build` and `sam deploy` accept. Prints
 * `file:line:column: error|warning: message [check]` per finding and a summary; exits 1 on
 * any error. Where cfn-lint (the linter of `sam validate --lint`) is installed, its findings
 * join the project's own.
 */

import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { runCfnLint } from './cfn-lint';
import { projectFiles, validate } from './project';
import { formatFinding, formatSummary, sortFindings, summarize } from './report';

async function main(): Promise<void> {
  const started = performance.now();
  const root = resolve(process.argv[2] ?? process.cwd());
  const input = projectFiles(root);
  const own = await validate(input);
  const lint = runCfnLint(input.templates, root);
  const findings = sortFindings([...own.findings, ...(lint.ran ? lint.findings : [])]);
  const files = own.files;
  console.log(
    lint.ran
      ? `validate: ${lint.version} also checked the templates`
      : `validate: cfn-lint skipped: ${lint.reason}`,
  );
  for (const item of findings) console.log(formatFinding(item, root));
  const summary = summarize(findings, files);
  console.log(formatSummary(summary, performance.now() - started));
  process.exitCode = summary.errors > 0 ? 1 : 0;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 2;
});
