import { isMap, isScalar, LineCounter, parseDocument } from 'yaml';
import { TemplateError } from './errors';
import { isRecord, type TemplateDocument } from './types';
import { customTags } from './yaml-tags';

export interface ParsedTemplate {
  readonly fileName: string;
  /** The template in its long JSON form. */
  readonly template: TemplateDocument;
  /** 1-based line of each resource's logical id in the source text. */
  readonly resourceLines: Readonly<Record<string, number>>;
}

/** Templates parsed in this process, by file name and text: an app start reads each one up to three times. */
const parsedTexts = new Map<string, ParsedTemplate>();
const PARSED_TEXTS_KEPT = 32;

/**
 * Parses a YAML or JSON CloudFormation/SAM template. Short-form tags (`!Ref`, `!Sub`, …) become
 * their long JSON form. Syntax errors become a `TemplateError` naming the file and line. A text
 * parsed before is not parsed again (YAML parsing costs about 0.1 s per template); each caller gets
 * its own copy to change.
 */
export function parseTemplate(text: string, fileName: string): ParsedTemplate {
  const key = `${fileName}\0${text}`;
  let parsed = parsedTexts.get(key);
  if (!parsed) {
    parsed = parseTemplateText(text, fileName);
    if (parsedTexts.size >= PARSED_TEXTS_KEPT) parsedTexts.delete(parsedTexts.keys().next().value as string);
    parsedTexts.set(key, parsed);
  }
  return structuredClone(parsed);
}

function parseTemplateText(text: string, fileName: string): ParsedTemplate {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, {
    customTags: [...customTags],
    lineCounter,
    prettyErrors: false,
    uniqueKeys: true,
  });
  const firstError = document.errors[0];
  if (firstError) {
    const line = lineCounter.linePos(firstError.pos[0]).line;
    throw new TemplateError(
      { fileName, path: line ? `line ${line}` : '', line },
      `invalid template syntax: ${firstError.message.split('\n')[0]}`,
    );
  }
  const template: unknown = document.toJS({ maxAliasCount: 100 });
  if (!isRecord(template)) {
    throw new TemplateError({ fileName, path: '' }, 'a template must be a mapping at the top level');
  }
  const resourceLines: Record<string, number> = {};
  const resources = document.get('Resources', true);
  if (isMap(resources)) {
    for (const pair of resources.items) {
      if (isScalar(pair.key) && pair.key.range) {
        resourceLines[String(pair.key.value)] = lineCounter.linePos(pair.key.range[0]).line;
      }
    }
  }
  return { fileName, template, resourceLines };
}
