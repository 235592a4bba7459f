// POST /validate/mcpapprovals (CREATE, and UPDATE of the status subresource): the API server
// asks before any MCPApproval changes, so the rules hold whatever client writes the status
// (our CLI, kubectl, a script):
//   - an approval is created by the sidecar of the pod it names, for a policy with approvers;
//   - Pending -> Approved/Rejected only by a member of that policy's approver groups, never the
//     requester, with decidedBy = the user's name and the digest of the call's arguments,
//     before expiry;
//   - Approved -> Used, and Pending -> Expired/Abandoned, only by that sidecar (or the operator);
//   - nothing else: an approval is decided once and used once.
// Approvals of kind tool (a changed tool definition, tool pinning) follow the same rules, with
// the fingerprint as the digest, the principal whose tools/list revealed it as the requester,
// and a review window of days rather than the policy's call timeout.
import { TOOL_REVIEW_DAYS } from '../../policy/defaults.ts';
import type { ApprovalObject } from '../../policy/types.ts';
import type { PolicyLookup } from './pods.ts';
import { allow, deny, type AdmissionRequest, type AdmissionResponse } from './review.ts';

export interface ApprovalAdmissionContext {
  /** The policy as the pod webhook sees it. */
  lookupPolicy(namespace: string, name: string): Promise<PolicyLookup>;
  /** The service account of a pod, or undefined when the pod does not exist. */
  podServiceAccount(namespace: string, pod: string): Promise<string | undefined>;
  /** The operator's own user name: it may expire and abandon approvals too. */
  readonly operatorUser: string | undefined;
  /** Stripped from approvers' user names before comparing them with the requester (e.g. "oidc:"). */
  readonly usernamePrefix: string;
  readonly now: () => number;
}

export type ApprovalOutcome = 'allowed' | 'denied';
type Phase = NonNullable<NonNullable<ApprovalObject['status']>['phase']> | 'None';

const SIDECAR_MOVES: ReadonlySet<string> = new Set(['None>Pending', 'Approved>Used', 'Pending>Expired', 'Pending>Abandoned', 'Approved>Expired', 'Approved>Abandoned']);
const OPERATOR_MOVES: ReadonlySet<string> = new Set(['Pending>Expired', 'Pending>Abandoned', 'Approved>Expired', 'Approved>Abandoned']);

export async function admitApproval(req: AdmissionRequest, ctx: ApprovalAdmissionContext): Promise<{ response: AdmissionResponse; outcome: ApprovalOutcome }> {
  const no = (message: string, code = 403): { response: AdmissionResponse; outcome: ApprovalOutcome } => ({
    response: deny(req.uid, `MCPApproval "${req.name ?? ''}": ${message}`, code, code === 403 ? 'Forbidden' : 'Invalid'),
    outcome: 'denied',
  });
  const ok = { response: allow(req.uid), outcome: 'allowed' as const };
  const obj = req.object as ApprovalObject | undefined;
  const namespace = req.namespace ?? '';
  const user = req.userInfo?.username ?? '';
  const groups = req.userInfo?.groups ?? [];
  if (obj === undefined) return ok;

  const sidecarUser = async (): Promise<string | undefined> => {
    const sa = await ctx.podServiceAccount(namespace, obj.spec.pod ?? '');
    return sa === undefined ? undefined : `system:serviceaccount:${namespace}:${sa}`;
  };

  if (req.operation === 'CREATE') {
    const expected = await sidecarUser();
    if (expected === undefined) return no(`the pod "${obj.spec.pod ?? ''}" it names does not exist`);
    if (user !== expected && user !== ctx.operatorUser) return no(`approvals are created by the sidecar of pod ${obj.spec.pod ?? ''} (${expected}), not ${user}`);
    const policy = await ctx.lookupPolicy(namespace, obj.spec.policy);
    if (policy.state !== 'valid') return no(`policy ${obj.spec.policy} is ${policy.state}`, 422);
    if (policy.policy.approval === undefined) return no(`policy ${obj.spec.policy} has no approvers (approval.approverGroups)`, 422);
    // A tool change (pinning) waits for review for days; a held call only as long as its caller.
    const tool = obj.spec.kind === 'tool';
    const maxMs = tool ? TOOL_REVIEW_DAYS * 86_400_000 + 60_000 : (policy.policy.approval.timeoutSeconds + 60) * 1000;
    if (Date.parse(obj.spec.expiresAt) - ctx.now() > maxMs) {
      return no(`expiresAt ${obj.spec.expiresAt} is beyond ${tool ? `${TOOL_REVIEW_DAYS} days` : "the policy's approval.timeoutSeconds"}`, 422);
    }
    return ok;
  }
  if (req.operation !== 'UPDATE' || req.subResource !== 'status') return ok; // spec is immutable (CEL); metadata is free

  const old = req.oldObject as ApprovalObject | undefined;
  const from: Phase = old?.status?.phase ?? 'None';
  const to: Phase = obj.status?.phase ?? 'None';
  if (from === to) {
    return JSON.stringify(old?.status ?? {}) === JSON.stringify(obj.status ?? {}) ? ok : no(`a ${from} approval cannot be edited`);
  }
  const move = `${from}>${to}`;
  if (from === 'Pending' && (to === 'Approved' || to === 'Rejected')) return decide(obj, user, groups, namespace, ctx, no, ok);
  if (SIDECAR_MOVES.has(move) && user === (await sidecarUser())) return ok;
  if (OPERATOR_MOVES.has(move) && ctx.operatorUser !== undefined && user === ctx.operatorUser) return ok;
  if (SIDECAR_MOVES.has(move)) return no(`only the sidecar of pod ${obj.spec.pod ?? ''} moves an approval from ${from} to ${to}`);
  return no(`an approval is decided once and used once: ${from} to ${to} is not allowed`);
}

async function decide(
  obj: ApprovalObject,
  user: string,
  groups: readonly string[],
  namespace: string,
  ctx: ApprovalAdmissionContext,
  no: (m: string, code?: number) => { response: AdmissionResponse; outcome: ApprovalOutcome },
  ok: { response: AdmissionResponse; outcome: ApprovalOutcome },
): Promise<{ response: AdmissionResponse; outcome: ApprovalOutcome }> {
  const policy = await ctx.lookupPolicy(namespace, obj.spec.policy);
  if (policy.state !== 'valid' || policy.policy.approval === undefined) return no(`policy ${obj.spec.policy} has no approvers now, so nobody can decide`);
  const approvers = policy.policy.approval.approverGroups;
  if (!groups.some((g) => approvers.includes(g))) return no(`${user} is not in the approver groups [${approvers.join(', ')}] of policy ${obj.spec.policy}`);
  const name = ctx.usernamePrefix && user.startsWith(ctx.usernamePrefix) ? user.slice(ctx.usernamePrefix.length) : user;
  if (name === obj.spec.requester.sub) return no(obj.spec.kind === 'tool' ? 'nobody may decide on a tool change their own tools/list revealed' : 'nobody may decide on their own call');
  const s = obj.status ?? {};
  if (s.decidedBy !== user) return no(`status.decidedBy must be the deciding user (${user}), not ${s.decidedBy ?? 'empty'}`, 422);
  if (s.argumentsDigest !== obj.spec.argumentsDigest) {
    return no(`the decision is for arguments ${s.argumentsDigest ?? '(none)'}, but this approval is for ${obj.spec.argumentsDigest}`, 422);
  }
  if (ctx.now() >= Date.parse(obj.spec.expiresAt)) return no(`it expired at ${obj.spec.expiresAt}`);
  return ok;
}
