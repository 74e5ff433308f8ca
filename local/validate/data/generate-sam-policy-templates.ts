/**
 * Regenerates `sam-policy-templates.json` (policy template name → parameter names) from a local
 * copy of the AWS SAM repository's `samtranslator/policy_templates_data/policy_templates.json`.
 *
 *   npx tsx local/validate/data/generate-sam-policy-templates.ts <policy_templates.json> <commit>
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

interface UpstreamFile {
  Version?: string;
  Templates: Record<string, { Parameters?: Record<string, unknown> }>;
}

function main(): void {
  const [input, commit] = process.argv.slice(2);
  if (!input || !commit) {
    console.error('usage: generate-sam-policy-templates.ts <policy_templates.json> <commit>');
    process.exit(2);
  }
  const upstream = JSON.parse(readFileSync(input, 'utf8')) as UpstreamFile;
  const templates = Object.fromEntries(
    Object.keys(upstream.Templates)
      .sort()
      .map((name) => [name, Object.keys(upstream.Templates[name]?.Parameters ?? {}).sort()]),
  );
  const output = {
    source: `aws/serverless-application-model samtranslator/policy_templates_data/policy_templates.json at commit ${commit} (file Version ${upstream.Version ?? 'unknown'}): template names and their parameter names only`,
    generator: 'local/validate/data/generate-sam-policy-templates.ts',
    templates,
  };
  writeFileSync(join(__dirname, 'sam-policy-templates.json'), `${JSON.stringify(output, null, 2)}\n`);
  console.log(`${Object.keys(templates).length} policy templates written`);
}

main();
