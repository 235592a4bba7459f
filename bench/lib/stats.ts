// One definition of a percentile for every benchmark, so that their figures compare.

/**
 * The nearest-rank p-th percentile (0 < p <= 100) of samples sorted ascending: the smallest sample
 * with at least p% of them at or below it. NaN when there are no samples.
 */
export function percentile(sorted: readonly number[], p: number): number {
  // p * length first: an integer, so the division is exact where the rank is whole.
  return sorted.length === 0 ? Number.NaN : sorted[Math.ceil((p * sorted.length) / 100) - 1]!;
}
