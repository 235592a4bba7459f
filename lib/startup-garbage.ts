// Most of what V8 allocates while a process starts is garbage of loading it: module sources,
// the parser's and compiler's temporaries, the policy compiler's scratch. The young generation
// grows to hold it, and nothing shrinks it again while the process idles (V8 shrinks on
// allocation, and an idle sidecar allocates nothing). bench/footprint measured the sidecar
// keeping about 7 MB of RSS it never used again (issue 17), in every pod.
//
// One memory-reducing collection after start-up gives it back, for one pause of ~15 ms (measured
// with the sidecar's modules loaded; scavenges under load pause for up to 10 ms). V8 offers it only to code that
// can see `gc`, which Node exposes only with --expose-gc for the whole process; setting the
// flag late exposes it to a new, throwaway context only, so nothing else in the process sees it.
import v8 from 'node:v8';
import vm from 'node:vm';

type Gc = (options: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;

/** Runs a full, memory-reducing collection now; false when this Node cannot be asked for one. */
export function releaseStartupGarbage(): boolean {
  let gc: unknown;
  try {
    v8.setFlagsFromString('--expose-gc');
    gc = vm.runInNewContext('typeof gc === "function" ? gc : undefined');
  } catch {
    return false;
  }
  if (typeof gc !== 'function') return false;
  // last-resort: the collection V8 runs before it gives up on an allocation; it compacts and
  // shrinks the young generation, which a regular major collection leaves at its grown size.
  (gc as Gc)({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  return true;
}
