// Audit records of the approval flow (kind: approval), linked to the call by callId. `decision`
// stays within the contract's values: a held call is `deny` until decided; a decision is
// `approved` or `rejected`; an expiry is `rejected` (phase expired); an abandoned wait `error`.
import type { AuditDecision, ApprovalPhase, Principal } from '../audit/record.ts';
import type { AuditSink } from '../inbound/exchange.ts';
import type { ApprovalQuestion } from './hook.ts';

const DECISION: Record<ApprovalPhase, AuditDecision> = {
  requested: 'deny',
  approved: 'approved',
  rejected: 'rejected',
  expired: 'rejected',
  abandoned: 'error',
};

export interface ApprovalEvent {
  readonly id: string;
  readonly phase: ApprovalPhase;
  readonly question: ApprovalQuestion;
  readonly digest: string;
  readonly expiresAt: string;
  /** Who acted: the requester for requested/expired/abandoned, the approver for a decision. */
  readonly actor: Principal;
  readonly reason: string;
}

export async function recordApproval(audit: AuditSink, e: ApprovalEvent): Promise<void> {
  await audit.append({
    kind: 'approval',
    principal: e.actor,
    decision: DECISION[e.phase],
    reason: e.reason,
    method: 'tools/call',
    tool: e.question.tool,
    policy: { name: e.question.policy },
    callId: e.question.callId,
    masked: {},
    approval: { id: e.id, phase: e.phase, digest: e.digest, expiresAt: e.expiresAt },
    ...(e.phase === 'requested' && e.question.recordArguments ? { payload: { arguments: e.question.maskedArguments } } : {}),
  });
}
