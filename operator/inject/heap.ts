// V8 heap settings for the sidecar, from its container's memory limit. Left alone, V8 sizes its
// heap from the node's memory, not the container's, and lets it grow under load until the kernel
// kills the container: bench/footprint measured 290 MB RSS at saturation against a 256Mi limit.
// With the old space at five eighths of the limit and 4 MB semi-spaces it stayed near 130 MB at
// the same load, and its throughput stayed within the run-to-run spread (README, Performance).

const UNITS: Readonly<Record<string, number>> = { Ki: 1 / 1024, Mi: 1, Gi: 1024, K: 1e3 / 2 ** 20, M: 1e6 / 2 ** 20, G: 1e9 / 2 ** 20 };

/** A Kubernetes memory quantity in MiB, or undefined when it is not one this understands. */
export function quantityMiB(q: string | number | undefined): number | undefined {
  if (q === undefined) return undefined;
  if (typeof q === 'number') return q / 2 ** 20;
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|K|M|G)?$/u.exec(q.trim());
  if (m === null) return undefined;
  return m[2] === undefined ? Number(m[1]) / 2 ** 20 : Number(m[1]) * UNITS[m[2]]!;
}

/** NODE_OPTIONS for a sidecar limited to `limit`, or undefined without a usable limit. */
export function heapOptions(limit: string | number | undefined): string | undefined {
  const mib = quantityMiB(limit);
  if (mib === undefined || mib < 96) return undefined;
  return `--max-old-space-size=${Math.floor((mib * 5) / 8)} --max-semi-space-size=4`;
}
