// Keeps, in every namespace with protected pods, the Role and RoleBinding rbac.ts describes;
// removes them when the last such pod is gone. Watches its own Roles and RoleBindings (by label)
// so a deleted or edited one is put back. Leader only.
import type { Logger } from '../../lib/log.ts';
import { isNotFound, type KubeClient } from '../../kube/client.ts';
import type { Role, RoleBinding } from '../../kube/core.ts';
import type { Informer } from '../../kube/informer.ts';
import { WorkQueue } from '../../kube/queue.ts';
import { ROLE_BINDINGS, ROLES } from '../../kube/resources.ts';
import { objectKey } from '../../kube/types.ts';
import type { OperatorMetrics } from '../metrics.ts';
import type { PodSummary } from './pods.ts';
import { bindingUpToDate, desiredBinding, desiredRole, MANAGED_BY, roleUpToDate } from './rbac.ts';

export interface RbacControllerOptions {
  readonly client: KubeClient;
  readonly pods: Informer<PodSummary>;
  readonly roles: Informer<Role>;
  readonly bindings: Informer<RoleBinding>;
  /** the Role and RoleBinding name in every namespace */
  readonly name: string;
  readonly excludedNamespaces: ReadonlySet<string>;
  readonly metrics: OperatorMetrics;
  readonly logger: Logger;
}

export class RbacController {
  readonly #o: RbacControllerOptions;
  /** namespace -> pod key -> service account, for protected, running pods */
  readonly #accounts = new Map<string, Map<string, string>>();
  readonly #queue: WorkQueue;
  #leading = false;

  constructor(options: RbacControllerOptions) {
    this.#o = options;
    this.#queue = new WorkQueue((ns) => this.#reconcile(ns), {
      concurrency: 2,
      logger: options.logger,
      onError: () => options.metrics.reconcileErrors.inc({ controller: 'sidecar-rbac' }),
    });
    const track = (p: PodSummary): void => {
      const ns = p.metadata.namespace;
      const m = this.#accounts.get(ns) ?? new Map<string, string>();
      const key = objectKey(p.metadata);
      const before = m.get(key);
      if (p.protected && !p.terminated) m.set(key, p.serviceAccount);
      else m.delete(key);
      if (m.size > 0) this.#accounts.set(ns, m);
      else this.#accounts.delete(ns);
      if (before !== m.get(key)) this.#enqueue(ns);
    };
    const all = (): void => this.#enqueueAll();
    options.pods.addHandler({
      onAdd: track,
      onUpdate: track,
      onDelete: (p) => {
        const m = this.#accounts.get(p.metadata.namespace);
        if (m?.delete(objectKey(p.metadata))) this.#enqueue(p.metadata.namespace);
        if (m?.size === 0) this.#accounts.delete(p.metadata.namespace);
      },
      onSynced: all,
      onResync: all,
    });
    for (const inf of [options.roles, options.bindings] as Informer<Role | RoleBinding>[]) {
      inf.addHandler({
        onAdd: (o) => this.#enqueue(o.metadata.namespace ?? ''),
        onUpdate: (o) => this.#enqueue(o.metadata.namespace ?? ''),
        onDelete: (o) => this.#enqueue(o.metadata.namespace ?? ''),
        onSynced: all,
      });
    }
  }

  setLeading(leading: boolean): void {
    this.#leading = leading;
    if (leading) this.#enqueueAll();
  }

  stop(): void {
    this.#queue.stop();
  }

  idle(): Promise<void> {
    return this.#queue.idle();
  }

  #enqueue(ns: string): void {
    if (this.#leading && ns) this.#queue.add(ns);
  }

  #enqueueAll(): void {
    const namespaces = new Set([...this.#accounts.keys(), ...this.#o.roles.list().map((r) => r.metadata.namespace ?? ''), ...this.#o.bindings.list().map((b) => b.metadata.namespace ?? '')]);
    for (const ns of namespaces) this.#enqueue(ns);
  }

  async #reconcile(ns: string): Promise<void> {
    const o = this.#o;
    if (!this.#leading || !o.pods.synced || !o.roles.synced || !o.bindings.synced) return;
    const accounts = o.excludedNamespaces.has(ns) ? [] : [...(this.#accounts.get(ns)?.values() ?? [])];
    const key = `${ns}/${o.name}`;
    const role = o.roles.get(key);
    const binding = o.bindings.get(key);
    if (accounts.length === 0) {
      for (const [resource, existing] of [[ROLE_BINDINGS, binding], [ROLES, role]] as const) {
        if (!existing) continue;
        try {
          await o.client.delete(resource, o.name, ns);
          o.logger.info(`removed the sidecar ${resource.kind}`, { namespace: ns, name: o.name });
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }
      return;
    }
    const wantRole = desiredRole(ns, o.name);
    if (!roleUpToDate(role, wantRole)) {
      await o.client.apply(ROLES, wantRole, MANAGED_BY);
      o.logger.info('applied the sidecar Role', { namespace: ns, name: o.name });
    }
    const wantBinding = desiredBinding(ns, o.name, accounts);
    if (!bindingUpToDate(binding, wantBinding)) {
      await o.client.apply(ROLE_BINDINGS, wantBinding, MANAGED_BY);
      o.logger.info('applied the sidecar RoleBinding', { namespace: ns, name: o.name, serviceAccounts: wantBinding.subjects?.map((s) => s.name) });
    }
  }
}
