// The policy decision for a client's JSON-RPC messages, taken on the body: tools/call is
// allowed, denied, or held for approval according to the tool rules and the caller's groups.
// Every other method passes (what it returns is masked on the way back).
import { randomUUID } from 'node:crypto';
import type { ApprovalHook } from '../approvals/hook.ts';
import { MaskReport } from '../masking/engine.ts';
import type { RequestScope } from './gateway.ts';
import { pendingCall, type PendingCall } from './exchange.ts';
import { ErrorCode, isRequest, toolName, type JsonRpcMessage, type JsonRpcRequest } from './jsonrpc.ts';
import { maskKeepingBinary } from './messages.ts';

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

export async function decide(scope: RequestScope, messages: readonly JsonRpcMessage[], session: string | undefined, approvals: ApprovalHook): Promise<Decisions> {
  const { runtime, caller } = scope;
  const allowed: PendingCall[] = [];
  const refused: Refusal[] = [];
  for (const m of messages) {
    if (!isRequest(m)) continue;
    const tool = toolName(m);
    const callId = randomUUID();
    if (tool === undefined) {
      allowed.push(pendingCall(m, caller.principal, runtime, session, 'allow', 'allowed', callId));
      continue;
    }
    const verdict = runtime.engines.tools.decide(tool, caller.principal.groups);
    if (verdict.action === 'allow') {
      allowed.push(pendingCall(m, caller.principal, runtime, session, 'allow', verdict.reason, callId));
    } else if (verdict.action === 'deny') {
      refused.push({
        request: m,
        tool,
        decision: 'deny',
        reason: verdict.reason,
        code: ErrorCode.PolicyDenied,
        message: `mcp-residency: policy "${runtime.policy.name}" denied the tool "${tool}" (${verdict.reason})`,
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
