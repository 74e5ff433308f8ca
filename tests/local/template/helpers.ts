import {
  parseTemplate,
  type ResolvedStack,
  type ResolveStackOptions,
  resolveStack,
} from '../../../local/template';

export const FILE = 'templates/test.yaml';

/** Parses YAML template text and resolves it as stack `happy` in eu-west-1, account 123456789012. */
export function resolveYaml(
  text: string,
  options: Partial<Omit<ResolveStackOptions, 'template' | 'fileName'>> = {},
): ResolvedStack {
  const { template, resourceLines } = parseTemplate(text, FILE);
  return resolveStack({
    template,
    resourceLines,
    fileName: FILE,
    stackName: 'happy',
    region: 'eu-west-1',
    accountId: '123456789012',
    ...options,
  });
}

/** The error thrown by `action`, for assertions on its class and message. */
export function errorOf(action: () => unknown): Error {
  try {
    action();
  } catch (error) {
    if (error instanceof Error) return error;
    throw new Error(`threw a non-error: ${String(error)}`);
  }
  throw new Error('expected an error, but nothing was thrown');
}
