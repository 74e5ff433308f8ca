import { decodeHtmlEntities } from './html-text';

const BARE_URL = /https?:\/\/[^\s<>"'`]+/gi;
const HREF_ATTRIBUTE = /\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+))/gi;

/**
 * Every http(s) link in an email or notification, in order of appearance and without duplicates:
 * bare URLs in the text, then `href` targets and bare URLs in the HTML.
 */
export function findLinks(text: string | null, html: string | null = null): string[] {
  const links: string[] = [];
  if (text) links.push(...findBareUrls(text));
  if (html) {
    for (const match of html.matchAll(HREF_ATTRIBUTE)) {
      const target = decodeHtmlEntities(match[1] ?? match[2] ?? match[3] ?? '').trim();
      if (/^https?:\/\//i.test(target)) links.push(target);
    }
    links.push(...findBareUrls(decodeHtmlEntities(html.replace(/<[^>]*>/g, ' '))));
  }
  return [...new Set(links)];
}

function findBareUrls(text: string): string[] {
  return [...text.matchAll(BARE_URL)].map((match) => trimTrailingPunctuation(match[0]));
}

/** Sentence punctuation after a URL ("see https://x.test/a.") and unbalanced closing brackets are not part of it. */
function trimTrailingPunctuation(url: string): string {
  let result = url;
  for (;;) {
    const last = result.at(-1);
    if (last && '.,;:!?'.includes(last)) {
      result = result.slice(0, -1);
    } else if (last && ')]}'.includes(last) && !hasMatchingOpener(result, last)) {
      result = result.slice(0, -1);
    } else {
      return result;
    }
  }
}

function hasMatchingOpener(url: string, closer: string): boolean {
  const opener = closer === ')' ? '(' : closer === ']' ? '[' : '{';
  return url.split(opener).length > url.split(closer).length - 1;
}
