// Leader election on a coordination.k8s.io Lease, the protocol client-go uses, so
// `kubectl get lease` reads the same for us as for any controller. Expiry is judged by the
// local clock from when this process last saw the lease change (not by the holder's renewTime),
// so clock skew between replicas cannot make two leaders. Unlike client-go, losing the lease
// does not exit: the leader's work is cancelled and the replica goes back to campaigning, still
// serving webhooks.
import type { Logger } from '../lib/log.ts';
import { silentLogger } from '../lib/log.ts';
import { sleep } from '../lib/sleep.ts';
import { isConflict, isNotFound, type KubeClient } from './client.ts';
import type { Lease } from './core.ts';
import { LEASES } from './resources.ts';

export interface LeaderElectionOptions {
  readonly namespace: string;
  readonly name: string;
  readonly identity: string;
  readonly leaseDurationMs?: number;
  readonly renewDeadlineMs?: number;
  readonly retryPeriodMs?: number;
  readonly logger?: Logger;
  /** the signal aborts when leadership is lost or the elector stops */
  readonly onStartedLeading: (signal: AbortSignal) => void;
  readonly onStoppedLeading?: () => void;
}

/** RFC 3339 with microseconds: the MicroTime format the Lease fields use. */
export function microTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/u, '.$1000Z');
}

export class LeaderElector {
  readonly #client: KubeClient;
  readonly #o: Required<Omit<LeaderElectionOptions, 'onStoppedLeading' | 'logger'>> & Pick<LeaderElectionOptions, 'onStoppedLeading'>;
  readonly #log: Logger;
  #abort: AbortController | undefined;
  #leading: AbortController | undefined;
  #loop: Promise<void> | undefined;
  #observedVersion: string | undefined;
  #observedAt = 0;

  constructor(client: KubeClient, options: LeaderElectionOptions) {
    this.#client = client;
    this.#o = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000, ...options };
    this.#log = (options.logger ?? silentLogger).child({ lease: `${options.namespace}/${options.name}` });
  }

  get isLeader(): boolean {
    return this.#leading !== undefined && !this.#leading.signal.aborted;
  }

  start(): void {
    if (this.#loop) return;
    this.#abort = new AbortController();
    this.#loop = this.#run(this.#abort.signal);
  }

  /** Stops campaigning and, when leading, releases the lease so another replica takes over at once. */
  async stop(): Promise<void> {
    this.#abort?.abort();
    await this.#loop;
    this.#loop = undefined;
    if (this.isLeader) {
      this.#stepDown();
      try {
        const lease = await this.#client.get<Lease>(LEASES, this.#o.name, this.#o.namespace);
        if (lease.spec.holderIdentity === this.#o.identity) {
          lease.spec = { ...lease.spec, holderIdentity: null, leaseDurationSeconds: 1, renewTime: microTime(new Date()) };
          await this.#client.replace(LEASES, lease);
        }
      } catch (err) {
        this.#log.warn('could not release the lease; it expires on its own', { error: err });
      }
    }
  }

  #stepDown(): void {
    if (!this.#leading) return;
    this.#leading.abort();
    this.#leading = undefined;
    this.#o.onStoppedLeading?.();
  }

  async #run(signal: AbortSignal): Promise<void> {
    let lastRenew = 0;
    while (!signal.aborted) {
      let ok = false;
      try {
        ok = await this.#tryAcquireOrRenew();
      } catch (err) {
        this.#log.debug('lease attempt failed', { error: err });
      }
      if (signal.aborted) break;
      const now = Date.now();
      if (ok) {
        lastRenew = now;
        if (!this.#leading) {
          this.#log.info('became leader', { identity: this.#o.identity });
          this.#leading = new AbortController();
          this.#o.onStartedLeading(this.#leading.signal);
        }
      } else if (this.#leading && now - lastRenew > this.#o.renewDeadlineMs) {
        this.#log.warn('lost the lease (could not renew in time); stepping down');
        this.#stepDown();
      }
      await sleep(this.#o.retryPeriodMs * (this.#leading ? 1 : 0.8 + Math.random() * 0.4), signal);
    }
  }

  async #tryAcquireOrRenew(): Promise<boolean> {
    const now = new Date();
    const durationSeconds = Math.max(1, Math.round(this.#o.leaseDurationMs / 1000));
    let lease: Lease;
    try {
      lease = await this.#client.get<Lease>(LEASES, this.#o.name, this.#o.namespace);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      try {
        await this.#client.create<Lease>(LEASES, {
          metadata: { name: this.#o.name, namespace: this.#o.namespace },
          spec: { holderIdentity: this.#o.identity, leaseDurationSeconds: durationSeconds, acquireTime: microTime(now), renewTime: microTime(now), leaseTransitions: 0 },
        });
        return true;
      } catch (createErr) {
        if (isConflict(createErr)) return false;
        throw createErr;
      }
    }
    if (lease.metadata.resourceVersion !== this.#observedVersion) {
      this.#observedVersion = lease.metadata.resourceVersion;
      this.#observedAt = now.getTime();
    }
    const holder = lease.spec.holderIdentity ?? '';
    const mine = holder === this.#o.identity;
    const heldFor = (lease.spec.leaseDurationSeconds ?? durationSeconds) * 1000;
    if (!mine && holder !== '' && this.#observedAt + heldFor > now.getTime()) return false;
    lease.spec = {
      holderIdentity: this.#o.identity,
      leaseDurationSeconds: durationSeconds,
      acquireTime: mine && lease.spec.acquireTime ? lease.spec.acquireTime : microTime(now),
      renewTime: microTime(now),
      leaseTransitions: (lease.spec.leaseTransitions ?? 0) + (mine ? 0 : 1),
    };
    try {
      const updated = await this.#client.replace<Lease>(LEASES, lease);
      this.#observedVersion = updated.metadata.resourceVersion;
      this.#observedAt = now.getTime();
      return true;
    } catch (err) {
      if (isConflict(err)) return false;
      throw err;
    }
  }
}
