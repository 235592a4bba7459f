// Pins in a cluster, shared by every pod of a policy: a changed or new tool definition becomes
// an MCPApproval of kind tool (argumentsDigest = the new fingerprint, arguments = the masked
// definition and diff), named after the tool and fingerprint so that every pod meeting the same
// change finds the same object. An approver decides with `mcp-residency tools approve`; the
// operator's webhook applies the held-call rules (approver groups, not the requester, decidedBy
// and the fingerprint). Every sidecar of the policy watches these objects: once one is
// Approved, its fingerprint pins the tool everywhere, and it outlives pod restarts.
import type { Logger } from '../../lib/log.ts';
import { isAlreadyExists, type KubeClient } from '../../kube/client.ts';
import { Informer } from '../../kube/informer.ts';
import { APPROVALS } from '../../kube/resources.ts';
import type { KubeObject } from '../../kube/types.ts';
import { TOOL_REVIEW_DAYS } from '../../policy/defaults.ts';
import { API_GROUP, API_VERSION, APPROVAL_KIND } from '../../policy/names.ts';
import type { ApprovalObject } from '../../policy/types.ts';
import { dnsPrefix, POLICY_LABEL, truncate } from '../approvals/kube.ts';
import type { AuditSink } from '../inbound/exchange.ts';
import type { PinStore, Reviewers, ToolChange } from './store.ts';

export const KIND_LABEL = 'mcpresidency.io/kind';

export interface KubePinStoreOptions {
  readonly client: KubeClient;
  readonly namespace: string;
  readonly policy: string;
  readonly pod: string;
  readonly logger: Logger;
  /** The pod that put a change up for review also records its decision in its audit log. */
  readonly audit?: AuditSink;
}

export class KubePinStore implements PinStore {
  readonly #o: KubePinStoreOptions;
  readonly #informer: Informer<ApprovalObject>;

  constructor(options: KubePinStoreOptions) {
    this.#o = options;
    this.#informer = new Informer<ApprovalObject>(options.client, {
      resource: APPROVALS,
      namespace: options.namespace,
      labelSelector: `${KIND_LABEL}=tool`,
      transform: (obj) => obj as unknown as ApprovalObject,
      backoffMaxMs: 5_000,
      logger: options.logger.child({ component: 'pin-watch' }),
    });
    this.#informer.addHandler({ onUpdate: (obj, old) => void this.#recordDecision(obj, old) });
  }

  /** Who approved or rejected which fingerprint, in the audit log of the pod that asked. */
  async #recordDecision(obj: ApprovalObject, old: ApprovalObject): Promise<void> {
    const phase = obj.status?.phase;
    if (this.#o.audit === undefined || obj.spec.kind !== 'tool' || obj.spec.pod !== this.#o.pod) return;
    if ((phase !== 'Approved' && phase !== 'Rejected') || old.status?.phase === phase) return;
    const by = obj.status?.decidedBy ?? 'unknown';
    const verdict = phase === 'Approved' ? 'approved' : 'rejected';
    try {
      await this.#o.audit.append({
        kind: 'approval',
        principal: { sub: by, issuer: 'kubernetes' },
        decision: verdict,
        reason: `tool definition ${obj.spec.argumentsDigest} ${verdict} by ${by}${obj.status?.reason ? `: ${obj.status.reason}` : ''}`,
        method: 'tools/list',
        tool: obj.spec.tool,
        policy: { name: obj.spec.policy },
        masked: {},
        approval: { id: `${this.#o.namespace}/${obj.metadata.name}`, phase: verdict, digest: obj.spec.argumentsDigest },
      });
    } catch (err) {
      this.#o.logger.error('a tool pin decision could not be recorded', { error: err, approval: obj.metadata.name });
    }
  }

  /** Starts watching. Until the first list arrives nothing counts as approved (fail closed) and /readyz says so. */
  start(): void {
    this.#informer.start();
  }

  get synced(): boolean {
    return this.#informer.synced;
  }

  async stop(): Promise<void> {
    await this.#informer.stop();
  }

  #tools(policy: string, tool: string): ApprovalObject[] {
    return this.#informer.list().filter((a) => a.spec.kind === 'tool' && a.spec.policy === policy && a.spec.tool === tool);
  }

  approved(policy: string, tool: string): readonly string[] {
    return this.#tools(policy, tool)
      .filter((a) => a.status?.phase === 'Approved' && a.status.argumentsDigest === a.spec.argumentsDigest)
      .sort((a, b) => (b.status?.decidedAt ?? '').localeCompare(a.status?.decidedAt ?? ''))
      .map((a) => a.spec.argumentsDigest);
  }

  rejected(policy: string, tool: string, fingerprint: string): boolean {
    return this.#tools(policy, tool).some((a) => a.spec.argumentsDigest === fingerprint && a.status?.phase === 'Rejected');
  }

  async propose(change: ToolChange, reviewers: Reviewers | undefined): Promise<void> {
    const live = this.#tools(change.policy, change.tool).filter((a) => a.spec.argumentsDigest === change.fingerprint);
    if (live.some((a) => ['Pending', 'Approved', 'Rejected', undefined].includes(a.status?.phase))) return;
    if (reviewers === undefined) throw new Error(`policy ${change.policy} has no approval.approverGroups, so nobody can review the change; pin it in tools.pins`);
    const base = this.nameFor(change);
    const now = Date.parse(change.observedAt);
    const body = {
      apiVersion: `${API_GROUP}/${API_VERSION}`,
      kind: APPROVAL_KIND,
      metadata: {
        // A dead object of the same name (Expired) must not block a new review.
        ...(live.length === 0 ? { name: base } : { generateName: `${base}-` }),
        namespace: this.#o.namespace,
        labels: { [POLICY_LABEL]: change.policy, [KIND_LABEL]: 'tool' },
      },
      spec: {
        kind: 'tool',
        policy: change.policy,
        pod: this.#o.pod,
        tool: change.tool,
        arguments: truncate(JSON.stringify({ change: change.change, pinned: change.pinned ?? null, definition: change.definition, diff: change.diff })),
        argumentsDigest: change.fingerprint,
        requester: { sub: change.requester.sub, ...(change.requester.groups?.length ? { groups: change.requester.groups } : {}) },
        requestedAt: change.observedAt,
        expiresAt: new Date(now + TOOL_REVIEW_DAYS * 86_400_000).toISOString(),
      },
    };
    let name: string;
    try {
      name = (await this.#o.client.create<ApprovalObject & KubeObject>(APPROVALS, body as unknown as ApprovalObject & KubeObject, { namespace: this.#o.namespace })).metadata.name;
    } catch (err) {
      if (isAlreadyExists(err)) return; // another pod of the policy met the same change first
      throw err;
    }
    await this.#o.client.patch(APPROVALS, name, { status: { phase: 'Pending' } }, 'merge', { namespace: this.#o.namespace, subresource: 'status' });
    this.#o.logger.info('tool change put up for review', { approval: `${this.#o.namespace}/${name}`, tool: change.tool, fingerprint: change.fingerprint });
  }

  nameFor(change: Pick<ToolChange, 'tool' | 'fingerprint'>): string {
    return `tool-${dnsPrefix(change.tool)}-${change.fingerprint.slice('sha256:'.length, 'sha256:'.length + 12)}`;
  }

  howToApprove(change: Pick<ToolChange, 'tool' | 'fingerprint'>): string {
    const name = this.nameFor(change);
    return `kubectl mcp-residency tools diff ${name} -n ${this.#o.namespace}, then tools approve ${name} -n ${this.#o.namespace}`;
  }
}
