// The policy the sidecar enforces right now, and what it does when there is none: every
// request is refused with the reason (fail closed), /readyz says why, and the
// mcp_residency_policy_loaded gauge is 0. A policy source (a file, or the Kubernetes API)
// feeds it; each update rebuilds the runtime (masker, tool rules, token verifier) at once.
import type { Logger } from '../../lib/log.ts';
import type { ResolvedPolicy } from '../../policy/types.ts';
import type { HealthState, Readiness } from '../admin/readiness.ts';
import type { SidecarMetrics } from '../admin/metrics.ts';
import { fileStamp } from './file-source.ts';
import { buildRuntime, retireRuntime, type PolicyRuntime, type PolicyState } from './runtime.ts';

export type PolicyUpdate = { readonly ok: true; readonly policy: ResolvedPolicy } | { readonly ok: false; readonly reason: string };

export interface PolicyHolderOptions {
  readonly secretsDir: string | undefined;
  readonly logger: Logger;
  readonly metrics: SidecarMetrics;
  readonly readiness: Readiness;
  readonly fetch?: typeof fetch;
  readonly unknownKidCooldownMs?: number;
  /** How often Secret files behind the runtime are checked for rotation (default 2 s). */
  readonly secretPollMs?: number;
}

export class PolicyHolder {
  readonly #opts: PolicyHolderOptions;
  #state: PolicyState = { ok: false, reason: 'no policy loaded yet' };
  #stale: string | undefined;
  #serial = 0;
  readonly #listeners = new Set<(state: PolicyState) => void>();
  /** The last valid policy received, to rebuild from when its Secrets change or appear. */
  #lastPolicy: PolicyUpdate | undefined;
  #stamps = new Map<string, string>();
  #secretTimer: NodeJS.Timeout | undefined;

  constructor(options: PolicyHolderOptions) {
    this.#opts = options;
    const poll = (): void => {
      this.#secretTimer = setTimeout(() => void this.#checkSecrets().finally(poll), options.secretPollMs ?? 2_000);
      this.#secretTimer.unref();
    };
    poll();
    options.metrics.policyLoaded.set(0);
    options.metrics.policyStale.set(0);
    options.readiness.register('policy', () => this.health());
    options.readiness.register('jwks', () => (this.#state.ok && this.#state.runtime.jwks ? this.#state.runtime.jwks.health() : { ok: true }));
  }

  readonly state = (): PolicyState => this.#state;

  /** Runs on every change of state (used by parts that follow the policy, like the shipper). */
  onChange(listener: (state: PolicyState) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  health(): HealthState {
    if (!this.#state.ok) return { ok: false, reason: this.#state.reason };
    const p = this.#state.runtime.policy;
    const id = `${p.namespace ? `${p.namespace}/` : ''}${p.name}${p.generation !== undefined ? ` generation ${p.generation}` : ''}`;
    return this.#stale ? { ok: true, warning: `enforcing the last good policy ${id}: ${this.#stale}` } : { ok: true, reason: `enforcing ${id}` };
  }

  /** Applies an update; updates are serialized, and a newer one wins over a slower older one. */
  async apply(update: PolicyUpdate): Promise<void> {
    this.#lastPolicy = update.ok ? update : undefined;
    return this.#build(update);
  }

  /**
   * Mounted Secrets change under the sidecar (kubelet swaps the files on rotation), and a
   * Secret missing when the policy arrived may appear later: rebuild in either case.
   */
  async #checkSecrets(): Promise<void> {
    const last = this.#lastPolicy;
    if (last === undefined) return;
    if (!this.#state.ok) {
      await this.#build(last);
      return;
    }
    const stamps = await stampFiles(this.#state.runtime.secretFiles);
    const changed = [...stamps].some(([file, stamp]) => this.#stamps.get(file) !== stamp);
    if (changed) {
      this.#opts.logger.info('a Secret the policy uses changed; reloading', { files: [...stamps.keys()] });
      await this.#build(last);
    }
  }

  async #build(update: PolicyUpdate): Promise<void> {
    const serial = ++this.#serial;
    let next: PolicyState;
    if (!update.ok) {
      next = { ok: false, reason: update.reason };
    } else {
      try {
        const runtime = await buildRuntime(update.policy, {
          secretsDir: this.#opts.secretsDir,
          logger: this.#opts.logger,
          previous: this.#state.ok ? this.#state.runtime : undefined,
          ...(this.#opts.fetch ? { fetch: this.#opts.fetch } : {}),
          ...(this.#opts.unknownKidCooldownMs !== undefined ? { unknownKidCooldownMs: this.#opts.unknownKidCooldownMs } : {}),
        });
        next = { ok: true, runtime };
      } catch (err) {
        next = { ok: false, reason: `policy ${update.policy.name} cannot be enforced: ${(err as Error).message}` };
      }
    }
    if (serial !== this.#serial) {
      if (next.ok) retireRuntime(next.runtime, this.#state.ok ? this.#state.runtime : undefined);
      return;
    }
    const old = this.#state;
    this.#state = next;
    this.#stamps = next.ok ? await stampFiles(next.runtime.secretFiles) : new Map<string, string>();
    this.#stale = undefined;
    if (old.ok) retireRuntime(old.runtime, next.ok ? next.runtime : undefined);
    this.#opts.metrics.policyLoaded.set(next.ok ? 1 : 0);
    this.#opts.metrics.policyStale.set(0);
    if (next.ok) {
      const p: PolicyRuntime['policy'] = next.runtime.policy;
      this.#opts.logger.info('policy loaded', { policy: p.name, namespace: p.namespace, generation: p.generation });
    } else {
      this.#opts.logger.error('no enforceable policy: refusing every request', { reason: next.reason });
    }
    for (const l of this.#listeners) l(next);
  }

  /** The source cannot be reached: keep enforcing what we have, and say so. */
  markStale(reason: string | undefined): void {
    if (reason === this.#stale) return;
    this.#stale = reason;
    this.#opts.metrics.policyStale.set(reason !== undefined && this.#state.ok ? 1 : 0);
    if (reason) this.#opts.logger.warn('policy source unreachable; keeping the last good policy', { reason });
    else this.#opts.logger.info('policy source reachable again');
  }

  close(): void {
    clearTimeout(this.#secretTimer);
    if (this.#state.ok) retireRuntime(this.#state.runtime, undefined);
  }
}

async function stampFiles(files: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const f of files) out.set(f, await fileStamp(f));
  return out;
}
