// Keeps each MCPResidencyPolicy's status true to the cluster (Ready or Invalid with the
// validation message, observedGeneration, enforcing and unprotected pod counts), exports the
// same numbers as metrics, and tells every unprotected pod so with an Event. Only the leader
// writes; every replica keeps the caches, which the pod webhook reads policies from.
import type { Logger } from '../../lib/log.ts';
import { isNotFound, type KubeClient } from '../../kube/client.ts';
import type { Informer } from '../../kube/informer.ts';
import { WorkQueue } from '../../kube/queue.ts';
import { POLICIES } from '../../kube/resources.ts';
import { objectKey } from '../../kube/types.ts';
import type { ApprovalObject, PolicyObject } from '../../policy/types.ts';
import type { PolicyLookup, PolicySource } from '../admission/pods.ts';
import { ANNOTATION_CAPTURE, SIDECAR_CONTAINER } from '../inject/constants.ts';
import type { EventRecorder } from '../events.ts';
import type { OperatorMetrics } from '../metrics.ts';
import { checkPolicy, type PolicyCheck } from '../policies/check.ts';
import { countPods, type PodSummary } from './pods.ts';
import { desiredStatus, READY, sameStatus } from './status.ts';

export interface PolicyControllerOptions {
  readonly client: KubeClient;
  readonly policies: Informer<PolicyObject>;
  readonly pods: Informer<PodSummary>;
  readonly events: EventRecorder;
  readonly metrics: OperatorMetrics;
  readonly logger: Logger;
  readonly excludedNamespaces: ReadonlySet<string>;
  /** MCPApprovals: pending tool changes (pinning) are counted in the status and told as Events. */
  readonly approvals?: Informer<ApprovalObject>;
}

const policyKeyOf = (p: PodSummary): string => `${p.metadata.namespace}/${p.policy}`;

export class PolicyController implements PolicySource {
  readonly #o: PolicyControllerOptions;
  /** policy key -> keys of the pods naming it */
  readonly #podsByPolicy = new Map<string, Set<string>>();
  readonly #checks = new Map<string, { uid: string | undefined; generation: number | undefined; rv: string | undefined; check: PolicyCheck }>();
  readonly #statusQueue: WorkQueue;
  readonly #podQueue: WorkQueue;
  #leading = false;

  constructor(options: PolicyControllerOptions) {
    this.#o = options;
    const onError = (): void => options.metrics.reconcileErrors.inc({ controller: 'policy-status' });
    this.#statusQueue = new WorkQueue((key) => this.#reconcileStatus(key), { concurrency: 4, logger: options.logger, onError });
    this.#podQueue = new WorkQueue((key) => this.#reconcilePod(key), { concurrency: 2, logger: options.logger, onError });

    options.policies.addHandler({
      onAdd: (p) => this.#statusQueue.add(objectKey(p.metadata)),
      onUpdate: (p) => this.#statusQueue.add(objectKey(p.metadata)),
      onDelete: (p) => {
        this.#checks.delete(objectKey(p.metadata));
        this.#statusQueue.add(objectKey(p.metadata));
      },
      onResync: () => this.#enqueueAll(),
      onSynced: () => this.#enqueueAll(),
    });
    const toolChange = (a: ApprovalObject): void => {
      if (a.spec.kind === 'tool') this.#statusQueue.add(`${a.metadata.namespace ?? ''}/${a.spec.policy}`);
    };
    options.approvals?.addHandler({ onAdd: toolChange, onUpdate: toolChange, onDelete: toolChange, onSynced: () => this.#enqueueAll() });
    options.pods.addHandler({
      onAdd: (p) => this.#podChanged(p, undefined),
      onUpdate: (p, old) => this.#podChanged(p, old),
      onDelete: (p) => {
        this.#unindex(p);
        this.#statusQueue.add(policyKeyOf(p));
      },
      onResync: () => this.#enqueueAll(),
      onSynced: () => this.#enqueueAll(),
    });
  }

  setLeading(leading: boolean): void {
    this.#leading = leading;
    if (leading) this.#enqueueAll();
    else {
      // Only the leader exports the per-policy gauges, so a sum over replicas stays right.
      this.#o.metrics.unprotectedPods.reset();
      this.#o.metrics.enforcingPods.reset();
      this.#o.metrics.policyReady.reset();
    }
  }

  stop(): void {
    this.#statusQueue.stop();
    this.#podQueue.stop();
  }

  /** For tests and benchmarks: resolves when no status or event work is pending. */
  async idle(): Promise<void> {
    await Promise.all([this.#statusQueue.idle(), this.#podQueue.idle()]);
  }

  /** The pod webhook's view of a policy: the cache first, the API server when the cache has not seen it. */
  async lookup(namespace: string, name: string): Promise<PolicyLookup> {
    let policy = this.#o.policies.get(`${namespace}/${name}`);
    if (!policy) {
      try {
        // Well inside the webhook's timeoutSeconds, so the pod gets our message, not a timeout.
        policy = await this.#o.client.get<PolicyObject>(POLICIES, name, namespace, AbortSignal.timeout(3000));
      } catch (err) {
        if (isNotFound(err)) return { state: 'missing' };
        throw err;
      }
    }
    const check = this.#check(policy);
    return check.ok ? { state: 'valid', policy: check.policy } : { state: 'invalid', message: check.message };
  }

  /** Validation is pure but not free: once per stored version of each policy. */
  #check(policy: PolicyObject): PolicyCheck {
    const key = objectKey(policy.metadata);
    const cached = this.#checks.get(key);
    const { uid, generation, resourceVersion } = policy.metadata;
    if (cached && cached.uid === uid && (cached.generation === generation && generation !== undefined ? true : cached.rv === resourceVersion)) return cached.check;
    const check = checkPolicy(policy);
    this.#checks.set(key, { uid, generation, rv: resourceVersion, check });
    return check;
  }

  #enqueueAll(): void {
    if (!this.#leading) return;
    for (const p of this.#o.policies.keys()) this.#statusQueue.add(p);
    for (const k of this.#podsByPolicy.keys()) this.#statusQueue.add(k);
    for (const p of this.#o.pods.list()) if (!p.protected && !p.terminated) this.#podQueue.add(objectKey(p.metadata));
  }

  #podChanged(p: PodSummary, old: PodSummary | undefined): void {
    if (old && policyKeyOf(old) !== policyKeyOf(p)) {
      this.#unindex(old);
      this.#statusQueue.add(policyKeyOf(old));
    }
    const key = objectKey(p.metadata);
    const set = this.#podsByPolicy.get(policyKeyOf(p)) ?? new Set<string>();
    set.add(key);
    this.#podsByPolicy.set(policyKeyOf(p), set);
    // Pod updates are frequent (status, conditions); only the ones that change a count matter.
    if (!old || old.protected !== p.protected || old.terminated !== p.terminated || policyKeyOf(old) !== policyKeyOf(p)) {
      this.#statusQueue.add(policyKeyOf(p));
    }
    if (!p.protected && !p.terminated) this.#podQueue.add(key);
  }

  #unindex(p: PodSummary): void {
    const set = this.#podsByPolicy.get(policyKeyOf(p));
    set?.delete(objectKey(p.metadata));
    if (set?.size === 0) this.#podsByPolicy.delete(policyKeyOf(p));
  }

  async #reconcileStatus(key: string): Promise<void> {
    if (!this.#leading || !this.#o.pods.synced || !this.#o.policies.synced) return;
    const slash = key.indexOf('/');
    const namespace = key.slice(0, slash);
    const name = key.slice(slash + 1);
    const pods = [...(this.#podsByPolicy.get(key) ?? [])].flatMap((k) => {
      const p = this.#o.pods.get(k);
      return p ? [p] : [];
    });
    const counts = countPods(pods);
    const labels = { namespace, policy: name };
    const policy = this.#o.policies.get(key);
    if (counts.enforcing + counts.unprotected === 0 && !policy) {
      this.#o.metrics.unprotectedPods.remove(labels);
      this.#o.metrics.enforcingPods.remove(labels);
    } else {
      this.#o.metrics.unprotectedPods.set(labels, counts.unprotected);
      this.#o.metrics.enforcingPods.set(labels, counts.enforcing);
    }
    if (!policy) {
      this.#o.metrics.policyReady.remove(labels);
      return;
    }
    const check = this.#check(policy);
    this.#o.metrics.policyReady.set(labels, check.ok ? 1 : 0);
    const pendingTools = this.#pendingTools(namespace, name);
    const want = desiredStatus(policy.metadata.generation, check, { ...counts, ...(pendingTools ? { toolsPending: pendingTools.length } : {}) }, policy.status, new Date());
    await this.#tellToolChanges(policy, pendingTools ?? []);
    if (sameStatus(policy.status, want)) return;
    try {
      await this.#o.client.patch(POLICIES, name, { status: want }, 'merge', { namespace, subresource: 'status' });
    } catch (err) {
      if (isNotFound(err)) return; // deleted meanwhile
      throw err;
    }
    const before = policy.status?.conditions?.find((c) => c.type === READY)?.status;
    const after = want.conditions?.[0]?.status;
    if (before !== after) {
      const ref = { apiVersion: policy.apiVersion, kind: policy.kind, name, namespace, uid: policy.metadata.uid };
      if (!check.ok) {
        this.#o.logger.warn('policy is invalid', { policy: key, reason: check.message });
        await this.#o.events.emit(ref, 'Warning', 'InvalidPolicy', `the policy is invalid and pods naming it are refused: ${check.message}`);
      } else if (before === 'False') {
        await this.#o.events.emit(ref, 'Normal', 'PolicyValid', 'the policy is valid again; pods naming it get the sidecar');
      }
    }
  }

  /** Pending tool changes of a policy; undefined while the approvals are not listed yet. */
  #pendingTools(namespace: string, policy: string): ApprovalObject[] | undefined {
    const approvals = this.#o.approvals;
    if (!approvals?.synced) return undefined;
    return approvals.list().filter((a) => a.spec.kind === 'tool' && a.metadata.namespace === namespace && a.spec.policy === policy && (a.status?.phase ?? 'Pending') === 'Pending');
  }

  /** One Warning per pending tool change on the policy (the recorder tells each message once). */
  async #tellToolChanges(policy: PolicyObject, pending: readonly ApprovalObject[]): Promise<void> {
    const { name, namespace = '', uid } = policy.metadata;
    for (const a of pending) {
      let change = 'changed';
      try {
        change = (JSON.parse(a.spec.arguments) as { change?: string }).change ?? change;
      } catch {
        // the default wording
      }
      const what = change === 'new' ? 'is new (no pin)' : 'changed since it was pinned';
      await this.#o.events.emit(
        { apiVersion: policy.apiVersion, kind: policy.kind, name, namespace, uid },
        'Warning',
        'ToolDefinitionChanged',
        `the definition of tool "${a.spec.tool}" ${what} (${a.spec.argumentsDigest}), seen by ${a.spec.requester.sub}; it waits for review: kubectl mcp-residency tools diff ${a.metadata.name} -n ${namespace}`,
      );
    }
  }

  async #reconcilePod(key: string): Promise<void> {
    if (!this.#leading) return;
    const p = this.#o.pods.get(key);
    if (!p || p.protected || p.terminated) return;
    const ns = p.metadata.namespace;
    const why = this.#o.excludedNamespaces.has(ns)
      ? `mcp-residency never injects in namespace ${ns}`
      : 'it was created while the injector webhook was not running, or in a namespace the webhook does not cover';
    const message = p.captureOptOut
      ? `the pod asks for MCPResidencyPolicy "${p.policy}" but its traffic is not captured (${ANNOTATION_CAPTURE}: "false", or injected before capture existed), so its processes can reach LLM providers and be reached around the ${SIDECAR_CONTAINER} sidecar; remove the annotation and re-create the pod to protect it`
      : `the pod asks for MCPResidencyPolicy "${p.policy}" but runs without the ${SIDECAR_CONTAINER} sidecar (${why}), so its MCP traffic is not protected; delete the pod to have it re-created with the sidecar`;
    await this.#o.events.emit({ apiVersion: 'v1', kind: 'Pod', name: p.metadata.name, namespace: ns, uid: p.metadata.uid }, 'Warning', 'Unprotected', message);
  }
}
