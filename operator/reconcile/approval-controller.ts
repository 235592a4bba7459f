// Approvals whose sidecar can no longer settle them: the pod is gone (Abandoned), or the
// deadline passed without the sidecar marking it (Expired). The sidecar does both itself while
// it lives; this is the operator catching what a dead sidecar left behind. Leader only.
import type { Logger } from '../../lib/log.ts';
import type { KubeClient } from '../../kube/client.ts';
import type { Informer } from '../../kube/informer.ts';
import { APPROVALS } from '../../kube/resources.ts';
import { objectKey } from '../../kube/types.ts';
import type { ApprovalObject } from '../../policy/types.ts';
import type { PodSummary } from './pods.ts';

/** The sidecar's own expiry runs first; the operator only steps in after this grace. */
const GRACE_MS = 30_000;

export interface ApprovalControllerOptions {
  readonly client: KubeClient;
  readonly approvals: Informer<ApprovalObject>;
  readonly pods: Informer<PodSummary>;
  readonly logger: Logger;
  readonly intervalMs?: number;
  readonly now?: () => number;
}

export class ApprovalController {
  readonly #o: ApprovalControllerOptions;
  #timer: NodeJS.Timeout | undefined;
  #leading = false;

  constructor(options: ApprovalControllerOptions) {
    this.#o = options;
  }

  setLeading(leading: boolean): void {
    this.#leading = leading;
    clearInterval(this.#timer);
    if (!leading) return;
    this.#timer = setInterval(() => void this.sweep(), this.#o.intervalMs ?? 15_000);
    this.#timer.unref();
  }

  stop(): void {
    this.setLeading(false);
  }

  /** One pass over the cached approvals; returns how many it settled. */
  async sweep(): Promise<number> {
    if (!this.#leading || !this.#o.approvals.synced || !this.#o.pods.synced) return 0;
    const now = (this.#o.now ?? Date.now)();
    let settled = 0;
    for (const a of this.#o.approvals.list()) {
      const phase = a.status?.phase ?? 'Pending';
      if (phase !== 'Pending' && phase !== 'Approved') continue;
      const ns = a.metadata.namespace ?? '';
      // A tool change belongs to the policy, not to the pod that met it first.
      const podGone = a.spec.kind !== 'tool' && a.spec.pod !== undefined && this.#o.pods.get(`${ns}/${a.spec.pod}`) === undefined;
      const overdue = now > Date.parse(a.spec.expiresAt) + GRACE_MS;
      if (!podGone && !overdue) continue;
      const [next, reason] = podGone ? (['Abandoned', `pod ${a.spec.pod ?? ''} is gone`] as const) : (['Expired', 'no decision before expiry'] as const);
      try {
        await this.#o.client.patch(APPROVALS, a.metadata.name, { status: { phase: next, reason } }, 'merge', { namespace: ns, subresource: 'status' });
        settled++;
        this.#o.logger.info('settled an approval its sidecar left', { approval: objectKey(a.metadata), phase: next, reason });
      } catch (err) {
        this.#o.logger.warn('cannot settle an approval', { approval: objectKey(a.metadata), error: err });
      }
    }
    return settled;
  }
}
