// The policy decision for a client's JSON-RPC messages, taken on the body: tools/call is
// allowed, denied, or held for approval according to the tool rules and the caller's groups.
// Every other method passes (what it returns is masked on the way back).
import { randomUUID } from 'node:crypto';
import type { ApprovalHook } from '../approvals/hook.ts';
import { MaskReport } from '../masking/engine.ts';
import type { RequestScope } from './scope.ts';
import { pendingCall, type Exchange, type PendingCall } from './exchange.ts';
import { ErrorCode, errorResponse, isRequest, toolName, type JsonRpcError, type JsonRpcMessage, type JsonRpcRequest } from './jsonrpc.ts';
import { maskKeepingBinary } from './messages.ts';
import type { ToolDecision } from './tool-policy.ts';

export interface Refusal {
  readonly request: JsonRpcRequest;
  readonly tool: string | undefined;
  readonly decision: 'deny' | 'rejected' | 'error';
  /** For the audit record. */
  readonly reason: string;
  /** For the client. */
  readonly code: number;
  readonly message: string;
  readonly callId: string;
}

export interface Decisions {
  readonly allowed: PendingCall[];
  readonly refused: Refusal[];
}

/** A client request, with the tool rules' verdict when it is a tools/call. */
export type Classified = { readonly request: JsonRpcRequest; readonly tool?: undefined } | { readonly request: JsonRpcRequest; readonly tool: string; readonly verdict: ToolDecision };

/** The requests among `messages`, each tools/call with its verdict (taken once: the transport needs it before deciding, to know which calls will be held). */
export function classify(scope: RequestScope, messages: readonly JsonRpcMessage[]): Classified[] {
  return messages.filter(isRequest).map((request) => {
    const tool = toolName(request);
    if (tool === undefined) return { request };
    const verdict = scope.runtime.engines.tools.decide(tool, scope.caller.principal.groups);
    return { request, tool, verdict: scope.pinning ? scope.pinning.verdict(scope.runtime.policy, tool, verdict) : verdict };
  });
}

export async function decide(scope: RequestScope, requests: readonly Classified[], session: string | undefined, approvals: ApprovalHook): Promise<Decisions> {
  const { runtime, caller } = scope;
  const allowed: PendingCall[] = [];
  const refused: Refusal[] = [];
  for (const c of requests) {
    const m = c.request;
    const callId = randomUUID();
    if (c.tool === undefined) {
      allowed.push(pendingCall(m, caller.principal, runtime, session, 'allow', 'allowed', callId));
      continue;
    }
    const { tool } = c;
    // Tool pinning: a tool never listed through this sidecar is listed now, then checked.
    const verdict = scope.pinning?.isUnseen(c.verdict) ? await scope.pinning.recheck(scope, tool) : c.verdict;
    if (verdict.action === 'allow') {
      allowed.push(pendingCall(m, caller.principal, runtime, session, 'allow', verdict.reason, callId));
    } else if (verdict.action === 'deny') {
      refused.push({
        request: m,
        tool,
        decision: 'deny',
        reason: verdict.reason,
        code: ErrorCode.PolicyDenied,
        message: verdict.message ?? `mcp-residency: policy "${runtime.policy.name}" denied the tool "${tool}" (${verdict.reason})`,
        callId,
      });
    } else {
      const approval = runtime.policy.approval;
      const answer = await approvals.ask({
        policy: runtime.policy.name,
        tool,
        arguments: m.params?.arguments ?? {},
        // Only the masked form ever leaves the process (audit record, MCPApproval object).
        maskedArguments: maskKeepingBinary(m.params?.arguments ?? {}, runtime.engines.masker, new MaskReport()),
        recordArguments: runtime.policy.audit.payloads === 'masked',
        principal: caller.principal,
        callId,
        timeoutSeconds: approval?.timeoutSeconds ?? 300,
        approverGroups: approval?.approverGroups ?? [],
        notify: approval?.notify ?? [],
        signal: scope.signal,
      });
      if (answer.outcome === 'approved') {
        allowed.push(pendingCall(m, caller.principal, runtime, session, 'approved', `${verdict.reason}; approved by ${answer.decidedBy ?? 'an approver'}`, callId));
      } else {
        const why = approvalRefusal(answer.outcome, answer.decidedBy, answer.reason);
        refused.push({
          request: m,
          tool,
          decision: answer.outcome === 'rejected' ? 'rejected' : answer.outcome === 'unavailable' ? 'error' : 'rejected',
          reason: `${verdict.reason}; ${why}`,
          code: ErrorCode.ApprovalRejected,
          message: `mcp-residency: the call to "${tool}" needs approval (${verdict.reason}): ${why}`,
          callId,
        });
      }
    }
  }
  return { allowed, refused };
}

/**
 * Records the refusals of one POST and returns the error responses for the client. A batch is
 * not split: when anything is refused, the calls allowed beside it are refused too.
 * `stopAtAuditFailure`: write no more records after one fails (the client then gets an audit
 * error instead of these replies).
 */
export async function refuseAll(exchange: Exchange, scope: RequestScope, session: string | undefined, decisions: Decisions, stopAtAuditFailure: boolean): Promise<{ replies: JsonRpcError[]; recorded: boolean }> {
  const replies: JsonRpcError[] = [];
  let recorded = true;
  const refuse = async (refusal: Parameters<Exchange['refuse']>[0], reply: JsonRpcError): Promise<void> => {
    if (recorded || !stopAtAuditFailure) recorded = (await exchange.refuse({ ...refusal, session }, scope.caller.principal, scope.runtime, scope.started)) && recorded;
    replies.push(reply);
  };
  for (const r of decisions.refused) await refuse(r, errorResponse(r.request.id, r.code, r.message));
  const reason = 'not sent: another call in the same batch was refused';
  for (const c of decisions.allowed) await refuse({ request: c.request, decision: 'deny', reason, callId: c.callId }, errorResponse(c.request.id, ErrorCode.PolicyDenied, `mcp-residency: ${reason}`));
  return { replies, recorded };
}

function approvalRefusal(outcome: string, by: string | undefined, reason: string | undefined): string {
  switch (outcome) {
    case 'rejected':
      return `rejected by ${by ?? 'an approver'}${reason ? `: ${reason}` : ''}`;
    case 'expired':
      return `no decision before the approval expired${reason ? ` (${reason})` : ''}`;
    case 'abandoned':
      return `abandoned${reason ? `: ${reason}` : ''}`;
    default:
      return reason ?? 'approval is unavailable';
  }
}
