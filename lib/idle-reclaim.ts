// After a burst of requests the young generation stays at the size the burst grew it to (up to
// 64 MB in a sidecar without --max-semi-space-size), its pages touched and counted in RSS: V8
// shrinks it only when it collects, and a sidecar holding idle sessions allocates nothing. The
// footprint bench measured opening 1,000 sessions leaving about 40 MB of RSS behind this way,
// more than the sessions themselves hold (issue 17).
//
// So once the process has been quiet for a while after a request, and only if the young
// generation has grown, one memory-reducing collection gives it back (the start-up one,
// lib/startup-garbage.ts). Its pause grows with what is live: ~15 ms at start-up, ~140 ms
// (two mark-compacts, --trace-gc) with 1,000 sessions open; it is taken once per burst, after
// a second in which no request came or went, so a request rarely meets it. A steady stream of
// requests never lets the timer fire; a trickle never grows the young generation, so it never
// pays for a collection either.
import v8 from 'node:v8';

export interface IdleReclaimOptions {
  /** How long without a request before collecting (default 1 s). */
  readonly quietMs?: number;
  /** Collect only when the young generation has grown past this (default 4 MB). */
  readonly grownBytes?: number;
  /** The young generation's current size in bytes. */
  readonly youngSize?: () => number;
  /** Runs the collection. */
  readonly collect: () => unknown;
  readonly now?: () => number;
}

export function youngGenerationSize(): number {
  return v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
}

export class IdleReclaimer {
  readonly #quietMs: number;
  readonly #grownBytes: number;
  readonly #youngSize: () => number;
  readonly #collect: () => unknown;
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;
  #last = 0;
  #collections = 0;

  constructor(options: IdleReclaimOptions) {
    this.#quietMs = options.quietMs ?? 1_000;
    this.#grownBytes = options.grownBytes ?? 4 * 1024 * 1024;
    this.#youngSize = options.youngSize ?? youngGenerationSize;
    this.#collect = options.collect;
    this.#now = options.now ?? Date.now;
  }

  /** How many collections it ran. */
  get collections(): number {
    return this.#collections;
  }

  /**
   * A request came or went: the quiet period starts again. Per request this only notes the
   * time; the one timer, when it fires early, waits out the rest of the quiet period.
   */
  activity(): void {
    this.#last = this.#now();
    if (this.#timer === undefined) this.#arm(this.#quietMs);
  }

  #arm(ms: number): void {
    this.#timer = setTimeout(() => this.#check(), ms);
    this.#timer.unref();
  }

  #check(): void {
    this.#timer = undefined;
    const quiet = this.#now() - this.#last;
    if (quiet < this.#quietMs) return this.#arm(this.#quietMs - quiet);
    if (this.#youngSize() <= this.#grownBytes) return;
    this.#collections++;
    this.#collect();
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
