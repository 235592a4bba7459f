// The standalone approval API on the admin port:
//   GET  /approvals                  pending approvals (masked arguments only)
//   GET  /approvals/<id>
//   POST /approvals/<id>/approve     {"reason": "...", "digest": "sha256:..."}  (both optional)
//   POST /approvals/<id>/deny        {"reason": "..."}
// Every request needs a bearer token the policy's OIDC settings accept, from a member of the
// policy's approver groups; LocalApprovals checks the rest (not the requester, not expired, once).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AdminRoute } from '../admin/server.ts';
import { readBody } from '../http/body.ts';
import type { PolicyState } from '../policy/runtime.ts';
import type { ResolvedPolicy } from '../../policy/types.ts';
import type { Approver, LocalApprovals } from './local.ts';

export function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(`${JSON.stringify(body)}\n`);
}

/** The caller as an approver of the policy in force, or undefined once it was answered with why not. */
export async function authorizeApprover(req: IncomingMessage, res: ServerResponse, policy: () => PolicyState): Promise<{ principal: Approver; policy: ResolvedPolicy } | undefined> {
  const state = policy();
  if (!state.ok) return send(res, 503, { error: `no policy in force: ${state.reason}` }), undefined;
  const { verifier, policy: p } = state.runtime;
  if (verifier === undefined) return send(res, 403, { error: 'approvals need authentication.mode: oidc, so that approvers can be identified' }), undefined;
  const auth = await verifier.verify(req.headers.authorization);
  if (!auth.ok) return send(res, auth.status, { error: auth.description }), undefined;
  const groups = p.approval?.approverGroups ?? [];
  if (!auth.principal.groups.some((g) => groups.includes(g))) {
    return send(res, 403, { error: `${auth.principal.sub} is not in the approver groups [${groups.join(', ')}] of policy ${p.name}` }), undefined;
  }
  return { principal: auth.principal, policy: p };
}

/** A JSON request body, or undefined once the client was told it is not JSON. */
export async function readJsonBody<T extends object>(req: IncomingMessage, res: ServerResponse, example: string): Promise<Partial<T> | undefined> {
  try {
    const raw = (await readBody(req, 64 * 1024)).toString('utf8');
    return raw.trim() === '' ? {} : (JSON.parse(raw) as Partial<T>);
  } catch {
    return send(res, 400, { error: `the body must be JSON: ${example}` }), undefined;
  }
}

export function approvalRoutes(approvals: LocalApprovals, policy: () => PolicyState): AdminRoute {
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const path = (req.url ?? '').split('?')[0]!;
    const m = /^\/approvals(?:\/([0-9a-f-]{36})(?:\/(approve|deny))?)?$/u.exec(path);
    if (m === null) return false;
    const [, id, verdict] = m;
    const auth = await authorizeApprover(req, res, policy);
    if (auth === undefined) return true;
    if (req.method === 'GET' && id === undefined) return send(res, 200, { items: approvals.list() }), true;
    if (req.method === 'GET' && verdict === undefined) {
      const view = approvals.get(id!);
      return send(res, view ? 200 : 404, view ?? { error: `no pending approval ${id}` }), true;
    }
    if (req.method !== 'POST' || verdict === undefined) return send(res, 405, { error: 'use GET /approvals[/<id>] or POST /approvals/<id>/approve|deny' }), true;
    const body = await readJsonBody<{ reason: unknown; digest: unknown }>(req, res, '{"reason": "...", "digest": "sha256:..."}');
    if (body === undefined) return true;
    const reason = typeof body.reason === 'string' ? body.reason.slice(0, 4096) : undefined;
    const digest = typeof body.digest === 'string' ? body.digest : undefined;
    const outcome = await approvals.decide(id!, auth.principal, verdict === 'approve' ? 'approve' : 'deny', reason, digest);
    send(res, outcome.ok ? 200 : outcome.status, outcome.ok ? outcome.approval : { error: outcome.message });
    return true;
  };
}
