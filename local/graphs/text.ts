/**
 * Text helpers for the graph renderer: an estimate of how wide a string is drawn in a system
 * sans-serif font (there are no font metrics at build time), line wrapping, and XML escaping.
 */

/** Advance widths in em for Helvetica/Arial-like fonts, grouped by character shape. */
const NARROW = new Set(" il!|.,:;'`ijfrtI()[]{}/\\-");
const WIDE = new Set('mwMW@%');
const CAPITALS = /[A-Z]/;
const DIGITS = /[0-9]/;

function charEm(char: string): number {
  if (NARROW.has(char)) return 0.3;
  if (WIDE.has(char)) return 0.86;
  if (CAPITALS.test(char)) return 0.68;
  if (DIGITS.test(char)) return 0.56;
  if (char.charCodeAt(0) > 0x2000) return 1; // arrows, ellipsis, symbols
  return 0.55;
}

/** Estimated drawn width in pixels; a little generous so text never spills out of its box. */
export function textWidth(text: string, fontSize: number, bold = false): number {
  let em = 0;
  for (const char of text) em += charEm(char);
  return em * fontSize * (bold ? 1.07 : 1) * 1.04;
}

/** Shortens text to at most `max` characters, ending in an ellipsis when cut. */
export function truncate(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

/**
 * Breaks text into lines of at most `maxChars` characters at spaces (or anywhere, for a
 * single long word), keeping at most `maxLines` lines; the last kept line ends in "…" when
 * text was left out.
 */
export function wrap(text: string, maxChars: number, maxLines: number): string[] {
  const lines: string[] = [];
  let current = '';
  for (const word of text.split(/\s+/).filter((w) => w.length > 0)) {
    let rest = word;
    while ([...rest].length > maxChars) {
      if (current) {
        lines.push(current);
        current = '';
      }
      lines.push([...rest].slice(0, maxChars).join(''));
      rest = [...rest].slice(maxChars).join('');
    }
    if (!current) current = rest;
    else if ([...`${current} ${rest}`].length <= maxChars) current = `${current} ${rest}`;
    else {
      lines.push(current);
      current = rest;
    }
  }
  if (current) lines.push(current);
  if (lines.length <= maxLines) return lines;
  const kept = lines.slice(0, maxLines);
  kept[maxLines - 1] = `${[...(kept[maxLines - 1] ?? '')].slice(0, maxChars - 1).join('')}…`;
  return kept;
}
