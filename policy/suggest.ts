// "Did you mean ...": the nearest candidates by optimal-string-alignment edit distance, for
// error messages about misspelt fields, regions and detectors.

export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array<number>(rows * cols).fill(0);
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[(i - 1) * cols + j]! + 1, d[i * cols + j - 1]! + 1, d[(i - 1) * cols + j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[(i - 2) * cols + j - 2]! + 1);
      d[i * cols + j] = v;
    }
  }
  return d[rows * cols - 1]!;
}

/**
 * Candidates within a distance that grows with the word's length (a third of it, at least 1,
 * at most 4), nearest first; ties keep the candidates' order.
 */
export function closestMatches(word: string, candidates: Iterable<string>, max = 3): string[] {
  const limit = Math.min(4, Math.max(1, Math.floor(word.length / 3)));
  const lower = word.toLowerCase();
  const scored: { c: string; d: number }[] = [];
  for (const c of candidates) {
    const d = editDistance(lower, c.toLowerCase());
    if (d <= limit) scored.push({ c, d });
  }
  return scored
    .sort((x, y) => x.d - y.d)
    .slice(0, max)
    .map((s) => s.c);
}

/** `; did you mean "a" or "b"?`, or the empty string. */
export function didYouMean(suggestions: readonly string[]): string {
  if (suggestions.length === 0) return '';
  const quoted = suggestions.map((s) => JSON.stringify(s));
  const list = quoted.length === 1 ? quoted[0] : `${quoted.slice(0, -1).join(', ')} or ${quoted.at(-1)}`;
  return `; did you mean ${list}?`;
}
