import { readFileSync } from 'node:fs';
import { type ApproachName, approaches } from './resize';

/**
 * Runs one resize approach a few times in this fresh process and reports its peak RSS to the
 * parent (tests/bench/resize.ts): `resize-rss-child.ts <candidate|baseline> <photo path> <runs>`.
 * Both approaches load the same modules, so the difference is the approaches' own memory.
 */
async function main(): Promise<void> {
  const [name, photoPath, runsText] = process.argv.slice(2);
  if ((name !== 'candidate' && name !== 'baseline') || !photoPath) {
    throw new Error('usage: resize-rss-child.ts <candidate|baseline> <photo path> <runs>');
  }
  const approach = approaches[name as ApproachName];
  const photo = readFileSync(photoPath);
  const runs = Math.max(1, Number(runsText ?? '1'));
  for (let run = 0; run < runs; run++) await approach(photo);
  process.send?.({ maxRssKb: process.resourceUsage().maxRSS });
}

main().then(
  () => process.disconnect?.(),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
