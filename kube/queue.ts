// A keyed work queue in the manner of client-go's: a key added many times before it is worked
// on is worked on once; a key is never worked on by two workers at once (an add during work
// runs it again afterwards); a failure retries that key with exponential backoff while other
// keys flow. Reconcilers stay level-triggered: the key says what to look at, not what changed.
import type { Logger } from '../lib/log.ts';
import { silentLogger } from '../lib/log.ts';

export interface WorkQueueOptions {
  readonly concurrency?: number;
  readonly backoffInitialMs?: number;
  readonly backoffMaxMs?: number;
  readonly logger?: Logger;
  /** observability hook: a worker threw for this key */
  readonly onError?: (key: string, error: unknown) => void;
}

export class WorkQueue {
  readonly #worker: (key: string) => Promise<void>;
  readonly #concurrency: number;
  readonly #initial: number;
  readonly #max: number;
  readonly #log: Logger;
  readonly #onError: ((key: string, error: unknown) => void) | undefined;
  readonly #ready: string[] = [];
  readonly #queued = new Set<string>();
  readonly #active = new Set<string>();
  readonly #again = new Set<string>();
  readonly #failures = new Map<string, number>();
  readonly #timers = new Map<string, NodeJS.Timeout>();
  readonly #idleWaiters: (() => void)[] = [];
  #stopped = false;

  constructor(worker: (key: string) => Promise<void>, options: WorkQueueOptions = {}) {
    this.#worker = worker;
    this.#concurrency = options.concurrency ?? 2;
    this.#initial = options.backoffInitialMs ?? 200;
    this.#max = options.backoffMaxMs ?? 60_000;
    this.#log = options.logger ?? silentLogger;
    this.#onError = options.onError;
  }

  get length(): number {
    return this.#ready.length;
  }

  add(key: string, delayMs = 0): void {
    if (this.#stopped) return;
    if (delayMs > 0) {
      if (this.#timers.has(key)) return;
      const t = setTimeout(() => {
        this.#timers.delete(key);
        this.add(key);
      }, delayMs);
      t.unref();
      this.#timers.set(key, t);
      return;
    }
    if (this.#active.has(key)) {
      this.#again.add(key);
      return;
    }
    if (this.#queued.has(key)) return;
    this.#queued.add(key);
    this.#ready.push(key);
    this.#pump();
  }

  /** Resolves when nothing is queued or running (tests and benchmarks wait on it). */
  idle(): Promise<void> {
    if (this.#ready.length === 0 && this.#active.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  stop(): void {
    this.#stopped = true;
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
    this.#ready.length = 0;
    this.#queued.clear();
  }

  #pump(): void {
    while (!this.#stopped && this.#active.size < this.#concurrency && this.#ready.length > 0) {
      const key = this.#ready.shift()!;
      this.#queued.delete(key);
      this.#active.add(key);
      void this.#work(key);
    }
  }

  async #work(key: string): Promise<void> {
    try {
      await this.#worker(key);
      this.#failures.delete(key);
    } catch (err) {
      const n = (this.#failures.get(key) ?? 0) + 1;
      this.#failures.set(key, n);
      const delay = Math.min(this.#initial * 2 ** (n - 1), this.#max);
      this.#log.warn('reconcile failed; retrying', { key, attempt: n, retryInMs: delay, error: err });
      this.#onError?.(key, err);
      this.#again.delete(key);
      this.#active.delete(key);
      this.add(key, delay);
      this.#pump();
      this.#checkIdle();
      return;
    }
    this.#active.delete(key);
    if (this.#again.delete(key)) this.add(key);
    this.#pump();
    this.#checkIdle();
  }

  #checkIdle(): void {
    if (this.#ready.length === 0 && this.#active.size === 0) for (const w of this.#idleWaiters.splice(0)) w();
  }
}
