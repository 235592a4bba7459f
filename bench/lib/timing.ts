// Per-call time of a synchronous function, for the in-process benchmarks (masking, strict JSON):
// median over samples of about sampleMs each, after a warm-up, in this thread's CPU time (what
// one core spends, whatever else runs on the machine) and in wall-clock time, and the fastest
// sample. On this kind of VM thread CPU time moves in steps of 1-4 ms and still counts time the
// hypervisor took away, so the median drifts by up to 2x from one minute to the next; the
// fastest sample of CPU-bound code is only ever slowed by noise, never sped up, and is the
// steadier figure for comparing code.

export interface Timing {
  /** Median seconds per call, CPU time of this thread. */
  readonly cpu: number;
  /** Median seconds per call, wall clock: the same on an idle machine, more under contention. */
  readonly wall: number;
  /** Seconds per call in the fastest sample, wall clock. */
  readonly best: number;
}

export interface TimingOptions {
  readonly samples: number;
  readonly sampleMs: number;
  readonly warmUpMs: number;
}

/** --quick: fewer and shorter samples, for a smoke run. */
export function timingOptions(quick: boolean): TimingOptions {
  return quick ? { samples: 7, sampleMs: 20, warmUpMs: 100 } : { samples: 21, sampleMs: 50, warmUpMs: 300 };
}

function threadCpuSeconds(): number {
  const u = process.threadCpuUsage();
  return (u.user + u.system) / 1e6;
}

const median = (xs: number[]): number => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export function timePerCall(fn: () => unknown, o: TimingOptions): Timing {
  const warmEnd = performance.now() + o.warmUpMs;
  let calls = 0;
  while (performance.now() < warmEnd) {
    fn();
    calls++;
  }
  const perSample = Math.max(1, Math.ceil((calls / o.warmUpMs) * o.sampleMs));
  const cpu: number[] = [];
  const wall: number[] = [];
  for (let s = 0; s < o.samples; s++) {
    const c0 = threadCpuSeconds();
    const t0 = performance.now();
    for (let k = 0; k < perSample; k++) fn();
    wall.push((performance.now() - t0) / 1000 / perSample);
    cpu.push((threadCpuSeconds() - c0) / perSample);
  }
  return { cpu: median(cpu), wall: median(wall), best: Math.min(...wall) };
}
