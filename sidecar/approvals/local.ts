// Approvals without a cluster (standalone sidecar): held calls wait in memory and approvers
// decide through the admin port with an OIDC token. The rules are the Kubernetes flow's: only
// a member of an approver group, never the requester, only for that call (its id and its
// arguments' digest), before it expires, and used once.
import { randomUUID } from 'node:crypto';
import type { Logger } from '../../lib/log.ts';
import type { Principal } from '../audit/record.ts';
import type { AuditSink } from '../inbound/exchange.ts';
import { argumentsDigest } from './digest.ts';
import type { ApprovalAnswer, ApprovalHook, ApprovalQuestion } from './hook.ts';
import { recordApproval, type ApprovalEvent } from './records.ts';

export type LocalPhase = 'Pending' | 'Approved' | 'Rejected' | 'Expired' | 'Abandoned';

export interface ApprovalView {
  readonly id: string;
  readonly policy: string;
  readonly tool: string;
  readonly arguments: unknown;
  readonly argumentsDigest: string;
  readonly requester: { readonly sub: string; readonly issuer?: string };
  readonly requestedAt: string;
  readonly expiresAt: string;
  readonly approverGroups: readonly string[];
  readonly phase: LocalPhase;
  readonly decidedBy?: string;
  readonly reason?: string;
}

export type DecisionOutcome = { readonly ok: true; readonly approval: ApprovalView } | { readonly ok: false; readonly status: 403 | 404 | 409 | 410; readonly message: string };

export interface Approver {
  readonly sub: string;
  readonly issuer?: string | undefined;
  readonly groups: readonly string[];
}

interface Entry {
  readonly view: ApprovalView;
  readonly question: ApprovalQuestion;
  readonly settle: (answer: ApprovalAnswer) => void;
  readonly timer: NodeJS.Timeout;
}

export class LocalApprovals implements ApprovalHook {
  readonly #audit: AuditSink;
  /** Each recorded step (requested, decided, expired, abandoned): what notifications announce. */
  readonly #onEvent: ((e: ApprovalEvent) => void) | undefined;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #entries = new Map<string, Entry>();

  constructor(options: { audit: AuditSink; logger: Logger; now?: () => number; onEvent?: ((e: ApprovalEvent) => void) | undefined }) {
    this.#onEvent = options.onEvent;
    this.#audit = options.audit;
    this.#logger = options.logger;
    this.#now = options.now ?? Date.now;
  }

  async ask(question: ApprovalQuestion): Promise<ApprovalAnswer> {
    const id = randomUUID();
    const requestedAt = new Date(this.#now());
    const expiresAt = new Date(requestedAt.getTime() + question.timeoutSeconds * 1000);
    const view: ApprovalView = {
      id,
      policy: question.policy,
      tool: question.tool,
      arguments: question.maskedArguments,
      argumentsDigest: argumentsDigest(question.arguments),
      requester: { sub: question.principal.sub, ...(question.principal.issuer ? { issuer: question.principal.issuer } : {}) },
      requestedAt: requestedAt.toISOString(),
      expiresAt: expiresAt.toISOString(),
      approverGroups: question.approverGroups,
      phase: 'Pending',
    };
    try {
      await this.#record(view, question, 'requested', question.principal, `held for approval by [${question.approverGroups.join(', ')}] until ${view.expiresAt}`);
    } catch (err) {
      return { outcome: 'unavailable', reason: `the approval request cannot be recorded: ${(err as Error).message}` };
    }
    this.#logger.info('call held for approval', { id, tool: question.tool, requester: question.principal.sub, expiresAt: view.expiresAt });
    return new Promise<ApprovalAnswer>((resolve) => {
      const finish = (phase: 'Expired' | 'Abandoned', reason: string): void => {
        const entry = this.#entries.get(id);
        if (entry === undefined) return;
        void this.#record({ ...entry.view, phase, reason }, question, phase === 'Expired' ? 'expired' : 'abandoned', question.principal, reason).catch(() => undefined);
        this.#end(entry, { outcome: phase === 'Expired' ? 'expired' : 'abandoned', reason });
      };
      const timer = setTimeout(() => finish('Expired', `no decision within ${question.timeoutSeconds}s`), expiresAt.getTime() - this.#now());
      timer.unref();
      this.#entries.set(id, { view, question, settle: resolve, timer });
      question.signal.addEventListener('abort', () => finish('Abandoned', 'the client went away before a decision'), { once: true });
    });
  }

  list(): ApprovalView[] {
    return [...this.#entries.values()].map((e) => e.view);
  }

  get(id: string): ApprovalView | undefined {
    return this.#entries.get(id)?.view;
  }

  /** An approver's decision, checked against everything that binds the approval. */
  async decide(id: string, approver: Approver, verdict: 'approve' | 'deny', reason: string | undefined, digest: string | undefined): Promise<DecisionOutcome> {
    const entry = this.#entries.get(id);
    if (entry === undefined) return { ok: false, status: 404, message: `no pending approval ${id} (it may have been decided, expired or abandoned)` };
    const { view, question } = entry;
    if (this.#now() >= Date.parse(view.expiresAt)) return { ok: false, status: 410, message: `approval ${id} expired at ${view.expiresAt}` };
    if (!approver.groups.some((g) => view.approverGroups.includes(g))) {
      return { ok: false, status: 403, message: `${approver.sub} is not in the approver groups [${view.approverGroups.join(', ')}] of policy ${view.policy}` };
    }
    if (approver.sub === view.requester.sub && (approver.issuer ?? '') === (view.requester.issuer ?? '')) {
      return { ok: false, status: 403, message: 'nobody may decide on their own call' };
    }
    if (digest !== undefined && digest !== view.argumentsDigest) {
      return { ok: false, status: 409, message: `approval ${id} is for arguments ${view.argumentsDigest}, not ${digest}` };
    }
    const phase = verdict === 'approve' ? 'Approved' : 'Rejected';
    const decided: ApprovalView = { ...view, phase, decidedBy: approver.sub, ...(reason ? { reason } : {}) };
    const actor: Principal = { sub: approver.sub, ...(approver.issuer ? { issuer: approver.issuer } : {}), groups: [...approver.groups] };
    try {
      await this.#record(decided, question, verdict === 'approve' ? 'approved' : 'rejected', actor, `${verdict === 'approve' ? 'approved' : 'rejected'} by ${approver.sub}${reason ? `: ${reason}` : ''}`);
    } catch (err) {
      return { ok: false, status: 409, message: `the decision cannot be recorded, so it is not taken: ${(err as Error).message}` };
    }
    this.#end(entry, { outcome: verdict === 'approve' ? 'approved' : 'rejected', decidedBy: approver.sub, ...(reason ? { reason } : {}) });
    return { ok: true, approval: decided };
  }

  /** Shutdown: every waiting call is abandoned (its client gets an error, the log says why). */
  abandonAll(reason: string): void {
    for (const entry of [...this.#entries.values()]) {
      void this.#record({ ...entry.view, phase: 'Abandoned' }, entry.question, 'abandoned', entry.question.principal, reason).catch(() => undefined);
      this.#end(entry, { outcome: 'abandoned', reason });
    }
  }

  /** Used once: the entry leaves the table with its answer. */
  #end(entry: Entry, answer: ApprovalAnswer): void {
    this.#entries.delete(entry.view.id);
    clearTimeout(entry.timer);
    entry.settle(answer);
  }

  async #record(view: ApprovalView, question: ApprovalQuestion, phase: ApprovalEvent['phase'], actor: Principal, reason: string): Promise<void> {
    const e: ApprovalEvent = { id: view.id, phase, question, digest: view.argumentsDigest, expiresAt: view.expiresAt, actor, reason };
    await recordApproval(this.#audit, e);
    this.#onEvent?.(e);
  }
}
