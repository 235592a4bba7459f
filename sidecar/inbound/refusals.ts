// Refusals the gateway makes before a request reaches the transport (no policy, audit down,
// refused origin or Host, missing or invalid token, missing scope, malformed body, header
// mismatch, oversized body), each answered, logged at info and audited with its reason.
//
// An unauthenticated client can send such requests as fast as it likes, and every one of them
// must not cost a disk write. So identical refusals (same reason, same client address, same
// subject, verified or claimed) are aggregated: the first of a window is written at once, the rest of that
// window are counted and written as one record with `count` when the window ends. While the
// audit log itself is unavailable nothing can be written: the counts wait in memory (bounded),
// are logged, and are written once the log is back.
import type { IncomingMessage } from 'node:http';
import type { Logger } from '../../lib/log.ts';
import type { SidecarMetrics } from '../admin/metrics.ts';
import type { AuditEntry, Principal } from '../audit/record.ts';
import type { PolicyRuntime } from '../policy/runtime.ts';
import { readBody } from '../http/body.ts';
import { policyRef, type AuditSink } from './exchange.ts';
import { isRequest } from './jsonrpc.ts';

export type RefusalKind =
  | 'policy-unavailable'
  | 'audit-unavailable'
  | 'origin'
  | 'token-missing'
  | 'token-expired'
  | 'token-invalid'
  | 'insufficient-scope'
  | 'malformed'
  | 'header-mismatch'
  | 'body-too-large'
  | 'method-not-allowed';

export interface GatewayRefusal {
  readonly kind: RefusalKind;
  readonly status: number;
  /** Why, for the audit record and the log line (the client gets its own message). */
  readonly reason: string;
  /** The verified caller, when the refusal comes after authentication. */
  readonly principal?: Principal;
  readonly method?: string | undefined;
  readonly requestId?: string | number | null | undefined;
  readonly runtime?: PolicyRuntime | undefined;
}

export interface RefusalRecorderOptions {
  readonly audit: AuditSink;
  readonly logger: Logger;
  readonly metrics: SidecarMetrics;
  /** Identical refusals within this window share one record. */
  readonly windowMs?: number;
  /** Distinct (kind, client, subject) keys remembered at once; beyond, they share one per kind. */
  readonly maxKeys?: number;
  readonly now?: () => number;
}

interface Pending {
  readonly since: number;
  readonly entry: AuditEntry;
  /** Refusals counted but not yet written. */
  count: number;
  written: boolean;
}

const UNAUTHENTICATED = 'unauthenticated';
/** Claims of an unverified token are attacker-chosen: keep them short. */
const MAX_CLAIM = 256;

export class RefusalRecorder {
  readonly #opts: RefusalRecorderOptions;
  readonly #windowMs: number;
  readonly #maxKeys: number;
  readonly #now: () => number;
  readonly #pending = new Map<string, Pending>();
  readonly #timer: NodeJS.Timeout;

  constructor(options: RefusalRecorderOptions) {
    this.#opts = options;
    this.#windowMs = options.windowMs ?? 60_000;
    this.#maxKeys = options.maxKeys ?? 10_000;
    this.#now = options.now ?? Date.now;
    this.#timer = setInterval(() => void this.flush(), Math.min(this.#windowMs, 60_000));
    this.#timer.unref();
  }

  /** Logs and audits one refusal (aggregated as described above). */
  async record(req: IncomingMessage, given: GatewayRefusal): Promise<void> {
    // A reason may quote what the client sent (a tool name, a resource URI): masked like any value.
    const refusal = given.runtime === undefined ? given : { ...given, reason: given.runtime.engines.masker.maskText(given.reason) };
    const client = req.socket.remoteAddress ?? 'unknown';
    // Unverified claims are attacker-chosen text: masked like any other value before they are kept.
    const masker = refusal.runtime?.engines.masker;
    const claimed = refusal.principal === undefined && masker !== undefined ? claimedIdentity(req.headers.authorization, (t) => masker.maskText(t)) : undefined;
    const principal: Principal = refusal.principal ?? { sub: UNAUTHENTICATED };
    const fields = { refusal: refusal.kind, status: refusal.status, client, sub: principal.sub, ...(claimed ? { claimed } : {}) };
    this.#opts.metrics.requests.inc({ kind: 'mcp', decision: decisionOf(refusal) });
    let key = `${refusal.kind}\n${refusal.reason}\n${client}\n${principal.sub}\n${claimed?.issuer ?? ''}\n${claimed?.sub ?? ''}`;
    if (!this.#pending.has(key) && this.#pending.size >= this.#maxKeys) key = `${refusal.kind}\n*`;
    const now = this.#now();
    const open = this.#pending.get(key);
    if (open !== undefined && now - open.since < this.#windowMs) {
      open.count++;
      this.#opts.logger.debug(`refused: ${refusal.reason} (counted, recorded with the window)`, fields);
      return;
    }
    if (open !== undefined) await this.#write(key, open);
    // Counts that could not be written (audit log down) ride on the next record.
    const carried = open?.count ?? 0;
    this.#opts.logger.info(`refused: ${refusal.reason}`, fields);
    const entry: AuditEntry = {
      kind: 'mcp',
      principal,
      decision: decisionOf(refusal),
      reason: refusal.reason,
      ...(refusal.method !== undefined ? { method: refusal.method } : {}),
      ...(refusal.requestId !== undefined && refusal.requestId !== null ? { requestId: refusal.requestId } : {}),
      ...(refusal.runtime !== undefined ? { policy: policyRef(refusal.runtime) } : {}),
      status: refusal.status,
      client: key.endsWith('\n*') ? 'many' : client,
      ...(claimed ? { claimed } : {}),
      masked: {},
    };
    const pending: Pending = { since: now, entry, count: 1 + carried, written: false };
    this.#pending.set(key, pending);
    await this.#write(key, pending);
  }

  /** Writes every window that has ended (and what waited for the audit log to come back). */
  async flush(all = false): Promise<void> {
    const now = this.#now();
    for (const [key, p] of [...this.#pending]) {
      if (all || now - p.since >= this.#windowMs) await this.#write(key, p);
      if ((all || now - p.since >= this.#windowMs) && p.count === 0) this.#pending.delete(key);
    }
  }

  close(): void {
    clearInterval(this.#timer);
  }

  async #write(key: string, p: Pending): Promise<void> {
    if (p.count === 0) return;
    if (!this.#opts.audit.health().ok) {
      this.#opts.logger.warn('a refusal cannot be audited while the audit log is unavailable; it is counted and written once the log is back', {
        refusal: key.split('\n')[0],
        waiting: p.count,
      });
      return;
    }
    const count = p.count;
    let entry: AuditEntry = p.entry;
    if (p.written) {
      // The window's later refusals: their count, not the first one's request id.
      const { requestId: _first, ...rest } = p.entry;
      entry = { ...rest, count, reason: `${p.entry.reason ?? ''} (repeated)` };
    } else if (count > 1) {
      entry = { ...p.entry, count };
    }
    try {
      await this.#opts.audit.append(entry);
      p.count -= count;
      p.written = true;
    } catch (err) {
      this.#opts.logger.warn('a refusal could not be audited; it is counted and written once the log is back', { error: err, waiting: p.count });
    }
  }
}

function decisionOf(refusal: GatewayRefusal): 'deny' | 'error' {
  return refusal.kind === 'policy-unavailable' || refusal.kind === 'audit-unavailable' ? 'error' : 'deny';
}

/**
 * The issuer and subject a bearer token claims, read without verifying it (it failed or was
 * not checked): for the record of who tried, never for a decision. Undefined when it does not parse.
 */
export function claimedIdentity(authorization: string | undefined, mask: (text: string) => string): { sub?: string; issuer?: string } | undefined {
  const m = /^Bearer +(\S+)$/iu.exec(authorization ?? '');
  if (m === null) return undefined;
  try {
    const payload = unverifiedClaims(m[1]!);
    if (payload === undefined) return undefined;
    const out: { sub?: string; issuer?: string } = {};
    if (typeof payload.sub === 'string') out.sub = mask(payload.sub.slice(0, MAX_CLAIM));
    if (typeof payload.iss === 'string') out.issuer = mask(payload.iss.slice(0, MAX_CLAIM));
    return out.sub === undefined && out.issuer === undefined ? undefined : out;
  } catch {
    return undefined;
  }
}

/** A compact JWS's claims, decoded and not verified (no jose: an idle sidecar does not load it, issue 17). */
function unverifiedClaims(token: string): Record<string, unknown> | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[1] === '') return undefined;
  const claims: unknown = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'));
  return typeof claims === 'object' && claims !== null && !Array.isArray(claims) ? (claims as Record<string, unknown>) : undefined;
}

/**
 * The id and method of the JSON-RPC request in a refused POST's body, read up to `limit`
 * bytes; undefined when the body is larger, not JSON, or not a single request.
 */
export async function peekRequest(req: IncomingMessage, limit: number): Promise<{ id: string | number; method: string } | undefined> {
  let body: Buffer;
  try {
    body = await readBody(req, limit);
  } catch {
    return undefined;
  }
  try {
    const m = JSON.parse(body.toString('utf8')) as unknown;
    return isRequest(m) ? { id: m.id, method: m.method } : undefined;
  } catch {
    return undefined;
  }
}
