/** Edit distance between two strings (insert, delete, substitute, transpose adjacent). */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) =>
    Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const row = d[i] as number[];
      const above = d[i - 1] as number[];
      let best = Math.min(
        (above[j] as number) + 1,
        (row[j - 1] as number) + 1,
        (above[j - 1] as number) + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, ((d[i - 2] as number[])[j - 2] as number) + 1);
      }
      row[j] = best;
    }
  }
  return (d[a.length] as number[])[b.length] as number;
}

/**
 * The candidate closest to `name` (case-insensitive), when it is close enough to be a likely
 * typo: a case-only difference, or at most a third of the name's length in edits (min. 2).
 */
export function closest(name: string, candidates: Iterable<string>): string | undefined {
  const lower = name.toLowerCase();
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  // A name cut short ("Code" for "CodeUri", "nodejs24" for "nodejs24.x") beats an equally far
  // or farther substitution; the shortest completion wins.
  if (bestDistance >= 2 && lower.length >= 4) {
    const completions = [...candidates]
      .filter((candidate) => candidate.toLowerCase().startsWith(lower))
      .sort((a, b) => a.length - b.length);
    if (completions[0] !== undefined) return completions[0];
  }
  const limit = Math.max(2, Math.floor(name.length / 3));
  if (best !== undefined && bestDistance <= limit) return best;
  // A truncated or extended name ("Bucket" for "BucketName").
  for (const candidate of candidates) {
    const other = candidate.toLowerCase();
    if (lower.length >= 4 && other.length >= 4 && (other.startsWith(lower) || lower.startsWith(other)))
      return candidate;
  }
  return undefined;
}

export function didYouMean(name: string, candidates: Iterable<string>): string {
  const suggestion = closest(name, candidates);
  return suggestion ? ` (did you mean "${suggestion}"?)` : '';
}
