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
import type { LocalApprovals } from './local.ts';

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(`${JSON.stringify(body)}\n`);
}

export function approvalRoutes(approvals: LocalApprovals, policy: () => PolicyState): AdminRoute {
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const path = (req.url ?? '').split('?')[0]!;
    const m = /^\/approvals(?:\/([0-9a-f-]{36})(?:\/(approve|deny))?)?$/u.exec(path);
    if (m === null) return false;
    const [, id, verdict] = m;
    const state = policy();
    if (!state.ok) return send(res, 503, { error: `no policy in force: ${state.reason}` }), true;
    const { verifier, policy: p } = state.runtime;
    if (verifier === undefined) return send(res, 403, { error: 'approvals need authentication.mode: oidc, so that approvers can be identified' }), true;
    const auth = await verifier.verify(req.headers.authorization);
    if (!auth.ok) return send(res, auth.status, { error: auth.description }), true;
    const groups = p.approval?.approverGroups ?? [];
    if (!auth.principal.groups.some((g) => groups.includes(g))) {
      return send(res, 403, { error: `${auth.principal.sub} is not in the approver groups [${groups.join(', ')}] of policy ${p.name}` }), true;
    }
    if (req.method === 'GET' && id === undefined) return send(res, 200, { items: approvals.list() }), true;
    if (req.method === 'GET' && verdict === undefined) {
      const view = approvals.get(id!);
      return send(res, view ? 200 : 404, view ?? { error: `no pending approval ${id}` }), true;
    }
    if (req.method !== 'POST' || verdict === undefined) return send(res, 405, { error: 'use GET /approvals[/<id>] or POST /approvals/<id>/approve|deny' }), true;
    let body: { reason?: unknown; digest?: unknown } = {};
    try {
      const raw = (await readBody(req, 64 * 1024)).toString('utf8');
      if (raw.trim() !== '') body = JSON.parse(raw) as typeof body;
    } catch {
      return send(res, 400, { error: 'the body must be JSON: {"reason": "...", "digest": "sha256:..."}' }), true;
    }
    const reason = typeof body.reason === 'string' ? body.reason.slice(0, 4096) : undefined;
    const digest = typeof body.digest === 'string' ? body.digest : undefined;
    const outcome = await approvals.decide(id!, auth.principal, verdict === 'approve' ? 'approve' : 'deny', reason, digest);
    send(res, outcome.ok ? 200 : outcome.status, outcome.ok ? outcome.approval : { error: outcome.message });
    return true;
  };
}
