// Reviewing tool changes on a standalone sidecar's admin port, with the approval rules:
//   GET  /tools/pending                    changes waiting for review, with masked diffs
//   POST /tools/<name>/approve|reject      {"fingerprint": "sha256:...", "reason": "..."}
// Only members of the policy's approver groups, never the principal whose tools/list revealed
// the change, and only for the fingerprint they were shown. Each decision is an audit record.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AdminRoute } from '../admin/server.ts';
import { authorizeApprover, readJsonBody, send } from '../approvals/admin-routes.ts';
import type { AuditSink } from '../inbound/exchange.ts';
import type { PolicyState } from '../policy/runtime.ts';
import type { FilePinStore } from './file-store.ts';

export function pinRoutes(store: FilePinStore, policy: () => PolicyState, audit: AuditSink): AdminRoute {
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const path = (req.url ?? '').split('?')[0]!;
    const m = /^\/tools\/(?:(pending)|([^/]+)\/(approve|reject))$/u.exec(path);
    if (m === null) return false;
    const auth = await authorizeApprover(req, res, policy);
    if (auth === undefined) return true;
    const p = auth.policy;
    if (m[1] !== undefined) {
      if (req.method !== 'GET') return send(res, 405, { error: 'use GET /tools/pending' }), true;
      return send(res, 200, { policy: p.name, pinning: p.tools.pinning, items: store.pending(p.name) }), true;
    }
    if (req.method !== 'POST') return send(res, 405, { error: 'use POST /tools/<name>/approve|reject' }), true;
    const tool = decodeURIComponent(m[2]!);
    const verdict = m[3] === 'approve' ? 'approved' : 'rejected';
    const body = await readJsonBody<{ fingerprint: unknown; reason: unknown }>(req, res, '{"fingerprint": "sha256:...", "reason": "..."}');
    if (body === undefined) return true;
    const reason = typeof body.reason === 'string' ? body.reason.slice(0, 4096) : undefined;
    const fp = typeof body.fingerprint === 'string' ? body.fingerprint : undefined;
    const record = (change: { fingerprint: string }): Promise<unknown> =>
      audit.append({
        kind: 'approval',
        principal: { sub: auth.principal.sub, ...(auth.principal.issuer ? { issuer: auth.principal.issuer } : {}), groups: [...auth.principal.groups] },
        decision: verdict,
        reason: `tool definition ${change.fingerprint} ${verdict} by ${auth.principal.sub}${reason ? `: ${reason}` : ''}`,
        method: 'tools/list',
        tool,
        policy: { name: p.name },
        masked: {},
        approval: { id: `tool/${p.name}/${tool}`, phase: verdict, digest: change.fingerprint },
      });
    let outcome;
    try {
      outcome = await store.decide(p.name, tool, fp, verdict, auth.principal, reason, record);
    } catch (err) {
      return send(res, 503, { error: `the decision cannot be recorded, so it is not taken: ${(err as Error).message}` }), true;
    }
    if (!outcome.ok) return send(res, outcome.status, { error: outcome.message }), true;
    send(res, 200, { tool, fingerprint: outcome.change.fingerprint, verdict, decidedBy: auth.principal.sub, file: store.file });
    return true;
  };
}
