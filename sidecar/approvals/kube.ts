// Approvals in a cluster: each held call becomes an MCPApproval object in the pod's namespace
// (masked arguments, the digest of the exact arguments, who asked, until when). An approver
// decides by writing its status (`mcp-residency approvals approve NAME`, or kubectl); the
// operator's admission webhook lets only members of the policy's approver groups do that,
// never the requester, only for that digest and before expiry. The sidecar watches its
// approvals, marks an approved one Used when it sends the call on (once: a resourceVersion
// precondition makes a second use fail), Expired at the deadline, Abandoned when the client
// goes away or the sidecar restarts.
import type { Logger } from '../../lib/log.ts';
import type { KubeClient } from '../../kube/client.ts';
import { Informer } from '../../kube/informer.ts';
import { APPROVALS } from '../../kube/resources.ts';
import type { KubeObject } from '../../kube/types.ts';
import type { ApprovalObject, ApprovalStatus } from '../../policy/types.ts';
import { API_GROUP, API_VERSION, APPROVAL_KIND } from '../../policy/names.ts';
import type { Principal } from '../audit/record.ts';
import type { AuditSink } from '../inbound/exchange.ts';
import { argumentsDigest } from './digest.ts';
import type { ApprovalAnswer, ApprovalHook, ApprovalQuestion } from './hook.ts';
import { recordApproval, type ApprovalEvent } from './records.ts';

export const POD_LABEL = 'mcpresidency.io/pod';
export const POLICY_LABEL = 'mcpresidency.io/policy';
const CALL_ANNOTATION = 'mcpresidency.io/call-id';
const MAX_ARGUMENTS = 65_536;

export interface KubeApprovalsOptions {
  readonly client: KubeClient;
  readonly namespace: string;
  readonly pod: string;
  readonly audit: AuditSink;
  readonly logger: Logger;
  readonly now?: () => number;
  /** Each recorded step (requested, decided, expired, abandoned): what notifications announce. */
  readonly onEvent?: ((e: ApprovalEvent) => void) | undefined;
}

type Waiter = (obj: ApprovalObject | 'deleted' | 'stopping') => void;

export class KubeApprovals implements ApprovalHook {
  readonly #o: KubeApprovalsOptions;
  readonly #now: () => number;
  readonly #waiters = new Map<string, Waiter>();
  #informer: Informer<ApprovalObject> | undefined;

  constructor(options: KubeApprovalsOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  /** Approvals this pod left Pending (the sidecar restarted mid-wait) can never be used: abandon them. */
  async abandonLeftovers(): Promise<number> {
    const list = await this.#o.client.listAll<ApprovalObject & KubeObject>(APPROVALS, { namespace: this.#o.namespace, labelSelector: podSelector(this.#o.pod) });
    let n = 0;
    for (const obj of list.items) {
      if (obj.spec.pod !== this.#o.pod || (obj.status?.phase ?? 'Pending') !== 'Pending') continue;
      await this.#setPhase(obj.metadata.name, 'Abandoned', 'the sidecar restarted while the call waited; the client got an error').catch(() => undefined);
      n++;
    }
    return n;
  }

  async ask(q: ApprovalQuestion): Promise<ApprovalAnswer> {
    const digest = argumentsDigest(q.arguments);
    const requestedAt = new Date(this.#now());
    const expiresAt = new Date(requestedAt.getTime() + q.timeoutSeconds * 1000);
    let name: string;
    try {
      this.#ensureInformer();
      await this.#informer!.waitForSync();
      const created = await this.#o.client.create<ApprovalObject & KubeObject>(APPROVALS, {
        apiVersion: `${API_GROUP}/${API_VERSION}`,
        kind: APPROVAL_KIND,
        metadata: {
          generateName: `${dnsPrefix(q.tool)}-`,
          namespace: this.#o.namespace,
          labels: { [POLICY_LABEL]: q.policy, ...podLabel(this.#o.pod) },
          annotations: { [CALL_ANNOTATION]: q.callId },
        },
        spec: {
          policy: q.policy,
          pod: this.#o.pod,
          tool: q.tool,
          arguments: truncate(JSON.stringify(q.maskedArguments ?? {})),
          argumentsDigest: digest,
          requester: { sub: q.principal.sub, ...(q.principal.groups?.length ? { groups: q.principal.groups } : {}) },
          requestedAt: requestedAt.toISOString(),
          expiresAt: expiresAt.toISOString(),
        },
      } as unknown as ApprovalObject & KubeObject, { namespace: this.#o.namespace });
      name = created.metadata.name;
      await this.#setPhase(name, 'Pending', undefined);
    } catch (err) {
      return { outcome: 'unavailable', reason: `cannot create the MCPApproval: ${(err as Error).message}` };
    }
    const event = async (phase: ApprovalEvent['phase'], actor: Principal, reason: string): Promise<void> => {
      const e: ApprovalEvent = { id: `${this.#o.namespace}/${name}`, phase, question: q, digest, expiresAt: expiresAt.toISOString(), actor, reason };
      await recordApproval(this.#o.audit, e);
      this.#o.onEvent?.(e);
    };
    try {
      await event('requested', q.principal, `held for approval by [${q.approverGroups.join(', ')}] until ${expiresAt.toISOString()}: kubectl mcp-residency approvals approve ${name} -n ${this.#o.namespace}`);
    } catch (err) {
      await this.#setPhase(name, 'Abandoned', 'the request could not be recorded').catch(() => undefined);
      return { outcome: 'unavailable', reason: `the approval request cannot be recorded: ${(err as Error).message}` };
    }
    this.#o.logger.info('call held for approval', { approval: `${this.#o.namespace}/${name}`, tool: q.tool, requester: q.principal.sub, expiresAt: expiresAt.toISOString() });

    const answer = await this.#await(name, digest, expiresAt, q.signal);
    const approver: Principal = { sub: answer.decidedBy ?? 'unknown', issuer: 'kubernetes' };
    const phase = answer.outcome === 'approved' ? 'approved' : answer.outcome === 'rejected' ? 'rejected' : answer.outcome === 'expired' ? 'expired' : 'abandoned';
    const actor = phase === 'approved' || phase === 'rejected' ? approver : q.principal;
    await event(phase, actor, answerText(answer)).catch((err: unknown) => {
      this.#o.logger.error('approval outcome could not be recorded', { error: err, approval: name });
    });
    return answer;
  }

  /** Shutdown: waiting calls end now with a clear error; their approvals are marked abandoned. */
  async stop(): Promise<void> {
    for (const w of [...this.#waiters.values()]) w('stopping');
    await this.#informer?.stop();
  }

  #ensureInformer(): void {
    if (this.#informer) return;
    this.#informer = new Informer<ApprovalObject>(this.#o.client, {
      resource: APPROVALS,
      namespace: this.#o.namespace,
      labelSelector: podSelector(this.#o.pod),
      transform: (obj) => obj as unknown as ApprovalObject,
      backoffMaxMs: 5_000,
      logger: this.#o.logger.child({ component: 'approval-watch' }),
    });
    const notify = (obj: ApprovalObject): void => this.#waiters.get(obj.metadata.name)?.(obj);
    this.#informer.addHandler({ onAdd: notify, onUpdate: notify, onDelete: (obj) => this.#waiters.get(obj.metadata.name)?.('deleted') });
    this.#informer.start();
  }

  #await(name: string, digest: string, expiresAt: Date, signal: AbortSignal): Promise<ApprovalAnswer> {
    return new Promise<ApprovalAnswer>((resolve) => {
      let done = false;
      const finish = (answer: ApprovalAnswer): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        this.#waiters.delete(name);
        resolve(answer);
      };
      const timer = setTimeout(() => {
        void this.#setPhase(name, 'Expired', 'no decision before expiry').catch(() => undefined);
        finish({ outcome: 'expired', reason: `no decision before ${expiresAt.toISOString()}` });
      }, Math.max(0, expiresAt.getTime() - this.#now()));
      timer.unref();
      const onAbort = (): void => {
        void this.#setPhase(name, 'Abandoned', 'the client went away before a decision').catch(() => undefined);
        finish({ outcome: 'abandoned', reason: 'the client went away before a decision' });
      };
      signal.addEventListener('abort', onAbort, { once: true });
      let claiming = false;
      const onChange = (obj: ApprovalObject | 'deleted' | 'stopping'): void => {
        // Once this sidecar claims the approval, its own Used update echoes back: not news.
        if (claiming) return;
        if (obj === 'deleted') return finish({ outcome: 'abandoned', reason: `the MCPApproval ${name} was deleted` });
        if (obj === 'stopping') {
          const reason = 'the sidecar is shutting down; the call was not run';
          void this.#setPhase(name, 'Abandoned', reason).catch(() => undefined);
          return finish({ outcome: 'abandoned', reason });
        }
        const s = obj.status ?? {};
        switch (s.phase) {
          case 'Approved':
            // The webhook checked the approver; the digest check here is the sidecar's own guard.
            if (s.argumentsDigest !== digest) return finish({ outcome: 'rejected', reason: `approved for arguments ${s.argumentsDigest ?? '?'}, not ${digest}` });
            claiming = true;
            void this.#use(obj, s).then(finish);
            return;
          case 'Rejected':
            return finish({ outcome: 'rejected', decidedBy: s.decidedBy ?? 'unknown', ...(s.reason ? { reason: s.reason } : {}) });
          case 'Expired':
            return finish({ outcome: 'expired', reason: s.reason ?? 'expired' });
          case 'Abandoned':
          case 'Used':
            return finish({ outcome: 'abandoned', reason: s.reason ?? `the approval is ${s.phase}` });
          default:
            return undefined;
        }
      };
      this.#waiters.set(name, onChange);
      const current = this.#informer?.get(`${this.#o.namespace}/${name}`);
      if (current) onChange(current);
    });
  }

  /** Marks the approval Used, once: the patch carries the resourceVersion it was approved at. */
  async #use(obj: ApprovalObject, s: ApprovalStatus): Promise<ApprovalAnswer> {
    try {
      await this.#o.client.patch(APPROVALS, obj.metadata.name, { metadata: { resourceVersion: obj.metadata.resourceVersion }, status: { ...s, phase: 'Used' } }, 'merge', {
        namespace: this.#o.namespace,
        subresource: 'status',
      });
    } catch (err) {
      return { outcome: 'rejected', reason: `the approval could not be claimed for this call: ${(err as Error).message}` };
    }
    return { outcome: 'approved', decidedBy: s.decidedBy ?? 'unknown', ...(s.reason ? { reason: s.reason } : {}) };
  }

  async #setPhase(name: string, phase: NonNullable<ApprovalStatus['phase']>, reason: string | undefined): Promise<void> {
    await this.#o.client.patch(APPROVALS, name, { status: { phase, ...(reason ? { reason } : {}) } }, 'merge', { namespace: this.#o.namespace, subresource: 'status' });
  }
}

function answerText(a: ApprovalAnswer): string {
  switch (a.outcome) {
    case 'approved':
      return `approved by ${a.decidedBy ?? 'unknown'}${a.reason ? `: ${a.reason}` : ''}`;
    case 'rejected':
      return `rejected${a.decidedBy ? ` by ${a.decidedBy}` : ''}${a.reason ? `: ${a.reason}` : ''}`;
    default:
      return a.reason ?? a.outcome;
  }
}

/** Label values are at most 63 characters; longer pod names are matched by spec.pod only. */
function podLabel(pod: string): Record<string, string> {
  return pod.length <= 63 ? { [POD_LABEL]: pod } : {};
}

function podSelector(pod: string): string | undefined {
  return pod.length <= 63 ? `${POD_LABEL}=${pod}` : undefined;
}

export function dnsPrefix(tool: string): string {
  const s = tool.toLowerCase().replace(/[^a-z0-9-]+/gu, '-').replace(/^-+|-+$/gu, '').slice(0, 40);
  return s === '' ? 'call' : s;
}

/** Keeps the field valid JSON when the masked arguments are too large to show whole. */
export function truncate(text: string): string {
  return text.length <= MAX_ARGUMENTS ? text : JSON.stringify({ truncated: true, prefix: text.slice(0, MAX_ARGUMENTS - 100) });
}
