// List, then watch from the list's resourceVersion, forever: a cache of one kind that stays
// right when watches die. What it survives, and how:
//   - the server ends the watch (timeoutSeconds, API server restart): resume from the last
//     resourceVersion seen, bookmarks included, so nothing is replayed or missed;
//   - 410 Gone (resourceVersion compacted away): list again and diff against the cache, so
//     handlers see the adds, updates and deletes they missed;
//   - silence (a dead peer that never errors, kubernetes-client/javascript#596): no bytes for
//     idleTimeoutMs, not even a bookmark, ends the watch and resumes it;
//   - errors (refused, 5xx, 403 while RBAC settles): exponential backoff with jitter;
//   - anything else: a full re-list every relistMs, and onResync every resyncMs for handlers to
//     re-check their world (level-triggered reconcilers want that).
import type { Logger } from '../lib/log.ts';
import { silentLogger } from '../lib/log.ts';
import { sleep } from '../lib/sleep.ts';
import type { KubeClient } from './client.ts';
import { resourcePath, type Resource } from './resources.ts';
import { objectKey, type KubeObject, type WatchEvent } from './types.ts';
import { watchOnce, type WatchEnd } from './watch.ts';

export interface InformerHandler<T> {
  onAdd?(obj: T): void;
  onUpdate?(obj: T, old: T): void;
  onDelete?(obj: T): void;
  /** every resyncMs once synced: re-check everything (the cache itself did not change) */
  onResync?(): void;
  /** after each complete list: the cache now reflects the server */
  onSynced?(): void;
}

export type RestartReason = 'closed' | 'expired' | 'idle' | 'error' | 'relist';

export interface InformerOptions<T> {
  readonly resource: Resource;
  /** one namespace; omit for all */
  readonly namespace?: string | undefined;
  readonly labelSelector?: string | undefined;
  readonly fieldSelector?: string | undefined;
  /**
   * Keeps only what the handlers need (a pod summary instead of a pod); undefined means "not
   * interesting": not cached, and removed (with onDelete) if it was.
   */
  readonly transform?: ((obj: KubeObject) => T | undefined) | undefined;
  readonly resyncMs?: number | undefined;
  readonly relistMs?: number | undefined;
  readonly idleTimeoutMs?: number | undefined;
  /** server-side watch timeout, randomized in [min, 2*min) like client-go */
  readonly watchTimeoutSeconds?: number | undefined;
  readonly backoffInitialMs?: number | undefined;
  readonly backoffMaxMs?: number | undefined;
  readonly pageSize?: number | undefined;
  readonly logger?: Logger | undefined;
  /** observability hook: why the watch was restarted */
  readonly onRestart?: ((reason: RestartReason) => void) | undefined;
  /** after every successful list and every watch the server accepts: the API answers again */
  readonly onConnected?: (() => void) | undefined;
}

interface Entry<T> {
  readonly obj: T;
  readonly resourceVersion: string | undefined;
}

export class Informer<T = KubeObject> {
  readonly #client: KubeClient;
  readonly #opts: InformerOptions<T>;
  readonly #handlers: InformerHandler<T>[] = [];
  readonly #cache = new Map<string, Entry<T>>();
  readonly #log: Logger;
  #abort: AbortController | undefined;
  #running: Promise<void> | undefined;
  #resyncTimer: NodeJS.Timeout | undefined;
  #synced = false;
  #syncWaiters: (() => void)[] = [];
  #resourceVersion = '';

  constructor(client: KubeClient, options: InformerOptions<T>) {
    this.#client = client;
    this.#opts = options;
    this.#log = (options.logger ?? silentLogger).child({ informer: options.resource.plural, ...(options.namespace ? { namespace: options.namespace } : {}) });
  }

  addHandler(handler: InformerHandler<T>): void {
    this.#handlers.push(handler);
  }

  get synced(): boolean {
    return this.#synced;
  }

  /** the resourceVersion the cache reflects (from the last list, event or bookmark) */
  get resourceVersion(): string {
    return this.#resourceVersion;
  }

  get(key: string): T | undefined {
    return this.#cache.get(key)?.obj;
  }

  list(): T[] {
    return [...this.#cache.values()].map((e) => e.obj);
  }

  keys(): string[] {
    return [...this.#cache.keys()];
  }

  /** Resolves once the first list has been applied (or never, if stopped before). */
  waitForSync(): Promise<void> {
    if (this.#synced) return Promise.resolve();
    return new Promise((resolve) => this.#syncWaiters.push(resolve));
  }

  start(): void {
    if (this.#running) return;
    this.#abort = new AbortController();
    this.#running = this.#run(this.#abort.signal);
    const resyncMs = this.#opts.resyncMs ?? 5 * 60_000;
    if (resyncMs > 0) {
      this.#resyncTimer = setInterval(() => {
        if (this.#synced) this.#emit((h) => h.onResync?.());
      }, resyncMs);
      this.#resyncTimer.unref();
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.#resyncTimer);
    this.#abort?.abort();
    await this.#running;
    this.#running = undefined;
  }

  #emit(call: (h: InformerHandler<T>) => void): void {
    for (const h of this.#handlers) {
      try {
        call(h);
      } catch (err) {
        this.#log.error('informer handler failed', { error: err });
      }
    }
  }

  async #run(signal: AbortSignal): Promise<void> {
    const initial = this.#opts.backoffInitialMs ?? 250;
    const max = this.#opts.backoffMaxMs ?? 30_000;
    const relistMs = this.#opts.relistMs ?? 30 * 60_000;
    const idleTimeoutMs = this.#opts.idleTimeoutMs ?? 3 * 60_000;
    const minTimeout = this.#opts.watchTimeoutSeconds ?? 300;
    let backoff = initial;
    let needList = true;
    let listedAt = 0;
    const path = resourcePath(this.#opts.resource, { namespace: this.#opts.namespace });

    const failed = async (what: string, error: unknown): Promise<void> => {
      this.#opts.onRestart?.('error');
      this.#log.warn(`${what} failed; retrying`, { error, retryInMs: backoff });
      await sleep(backoff * (0.5 + Math.random()), signal);
      backoff = Math.min(backoff * 2, max);
    };

    while (!signal.aborted) {
      if (needList || Date.now() - listedAt >= relistMs) {
        if (!needList) this.#opts.onRestart?.('relist');
        try {
          await this.#list(signal);
        } catch (err) {
          if (signal.aborted) return;
          await failed('list', err);
          continue;
        }
        needList = false;
        listedAt = Date.now();
        backoff = initial;
        this.#opts.onConnected?.();
      }
      const started = Date.now();
      const end: WatchEnd = await watchOnce(this.#client, {
        path,
        resourceVersion: this.#resourceVersion,
        labelSelector: this.#opts.labelSelector,
        fieldSelector: this.#opts.fieldSelector,
        timeoutSeconds: Math.floor(minTimeout * (1 + Math.random())),
        idleTimeoutMs,
        signal,
        onEvent: (ev) => this.#apply(ev),
        onOpen: () => this.#opts.onConnected?.(),
      });
      switch (end.kind) {
        case 'aborted':
          return;
        case 'expired':
          this.#opts.onRestart?.('expired');
          needList = true;
          // Expired straight after a list means the server cannot serve that list's version
          // (a lagging watch cache): pace the re-lists rather than spin.
          if (end.events === 0 && Date.now() - listedAt < 1000) await failed('watch', new Error('410 Gone right after a list'));
          else this.#log.info('watch expired (410 Gone); listing again');
          break;
        case 'idle':
          this.#opts.onRestart?.('idle');
          this.#log.warn('watch silent for too long; reconnecting', { idleTimeoutMs });
          break;
        case 'closed':
          // A server that ends every watch at once would make this a hot loop: pace it.
          if (end.events === 0 && Date.now() - started < 1000) await failed('watch', new Error('closed immediately'));
          else {
            this.#opts.onRestart?.('closed');
            backoff = initial;
          }
          break;
        case 'error':
          await failed('watch', end.error);
          break;
      }
    }
  }

  async #list(signal: AbortSignal): Promise<void> {
    const list = await this.#client.listAll<KubeObject>(this.#opts.resource, {
      namespace: this.#opts.namespace,
      labelSelector: this.#opts.labelSelector,
      fieldSelector: this.#opts.fieldSelector,
      limit: this.#opts.pageSize,
      signal,
    });
    if (signal.aborted) return;
    const seen = new Set<string>();
    for (const raw of list.items) {
      const key = objectKey(raw.metadata);
      const obj = this.#transform(raw);
      if (obj === undefined) continue;
      seen.add(key);
      const old = this.#cache.get(key);
      const rv = raw.metadata.resourceVersion;
      this.#cache.set(key, { obj, resourceVersion: rv });
      if (!old) this.#emit((h) => h.onAdd?.(obj));
      else if (old.resourceVersion !== rv) this.#emit((h) => h.onUpdate?.(obj, old.obj));
    }
    for (const [key, old] of [...this.#cache]) {
      if (seen.has(key)) continue;
      this.#cache.delete(key);
      this.#emit((h) => h.onDelete?.(old.obj));
    }
    this.#resourceVersion = list.metadata.resourceVersion ?? '';
    const first = !this.#synced;
    this.#synced = true;
    if (first) for (const w of this.#syncWaiters.splice(0)) w();
    this.#emit((h) => h.onSynced?.());
  }

  #transform(raw: KubeObject): T | undefined {
    return this.#opts.transform ? this.#opts.transform(raw) : (raw as T);
  }

  #apply(ev: WatchEvent<KubeObject>): void {
    const raw = ev.object;
    const rv = raw.metadata.resourceVersion;
    if (ev.type === 'BOOKMARK') {
      if (rv) this.#resourceVersion = rv;
      return;
    }
    const key = objectKey(raw.metadata);
    const old = this.#cache.get(key);
    if (ev.type === 'DELETED') {
      if (old) {
        this.#cache.delete(key);
        this.#emit((h) => h.onDelete?.(old.obj));
      }
    } else {
      const obj = this.#transform(raw);
      if (obj === undefined) {
        if (old) {
          this.#cache.delete(key);
          this.#emit((h) => h.onDelete?.(old.obj));
        }
      } else {
        this.#cache.set(key, { obj, resourceVersion: rv });
        if (old) this.#emit((h) => h.onUpdate?.(obj, old.obj));
        else this.#emit((h) => h.onAdd?.(obj));
      }
    }
    if (rv) this.#resourceVersion = rv;
  }
}
