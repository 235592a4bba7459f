// The inbound MCP gateway (port 15080). To an MCP client it is the MCP server; to the server it
// is the client. Every request passes, in order: policy loaded (or refuse, fail closed), audit
// log healthy (or refuse), Origin allowed, bearer token verified, then the transport handler,
// which decides on the JSON-RPC body and masks what comes back.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../lib/log.ts';
import type { ApprovalHook } from '../approvals/hook.ts';
import type { SidecarMetrics } from '../admin/metrics.ts';
import type { ToolPinning } from '../pinning/guard.ts';
import type { PolicyRuntime, PolicyState } from '../policy/runtime.ts';
import { challenge, externalOrigin, metadataDocument, metadataUrl, PRM_PREFIX } from './auth/resource-metadata.ts';
import { Exchange, sendJson, sendRpcError, type AuditSink } from './exchange.ts';
import { ErrorCode } from './jsonrpc.ts';
import { LegacySessions } from './legacy.ts';
import { checkOrigin } from './origin.ts';
import { ParamHeaders } from './param-headers.ts';
import { TaskRegistry } from './tasks.ts';
import { peekRequest, RefusalRecorder, type GatewayRefusal, type RefusalRecorderOptions } from './refusals.ts';
import { DEFAULT_LIMITS, type Caller, type GatewayLimits, type RequestScope } from './scope.ts';
import { SessionRegistry } from './sessions.ts';
import { StreamableTransport } from './streamable.ts';
import type { Upstream } from './upstream.ts';
import { TOKEN_EXPIRED } from './auth/verifier.ts';

/** How much of a refused POST is read to find its JSON-RPC id. */
const PEEK_BYTES = 64 * 1024;

export interface GatewayOptions {
  readonly upstream: Upstream;
  readonly policy: () => PolicyState;
  readonly audit: AuditSink;
  readonly metrics: SidecarMetrics;
  readonly logger: Logger;
  readonly approvals: ApprovalHook;
  readonly limits?: Partial<GatewayLimits>;
  /** Aggregation of repeated refusals (tests shorten the window). */
  readonly refusals?: Pick<RefusalRecorderOptions, 'windowMs' | 'maxKeys' | 'now'>;
  readonly pinning?: ToolPinning | undefined;
}

export class Gateway {
  readonly #opts: GatewayOptions;
  readonly #streamable: StreamableTransport;
  readonly #legacy: LegacySessions;
  readonly #refusals: RefusalRecorder;
  readonly limits: GatewayLimits;

  constructor(options: GatewayOptions) {
    this.#opts = options;
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    const exchange = new Exchange({ audit: options.audit, metrics: options.metrics, logger: options.logger, pinning: options.pinning });
    this.#refusals = new RefusalRecorder({ audit: options.audit, logger: options.logger, metrics: options.metrics, ...options.refusals });
    const shared = {
      upstream: options.upstream,
      exchange,
      limits: this.limits,
      logger: options.logger,
      approvals: options.approvals,
      refusals: this.#refusals,
      paramHeaders: new ParamHeaders(),
      tasks: new TaskRegistry(),
    };
    this.#legacy = new LegacySessions(shared);
    this.#streamable = new StreamableTransport({ ...shared, sessions: new SessionRegistry(), legacy: this.#legacy });
  }

  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    this.#handle(req, res).catch((err: unknown) => {
      // A client closing its stream (a GET stream it no longer needs, a cancelled call) aborts
      // the upstream read: normal operation, not a fault.
      if (res.destroyed || (err as { name?: unknown } | null)?.name === 'AbortError') {
        this.#opts.logger.debug('request ended: the client closed the connection', { method: req.method, path: req.url });
        return;
      }
      this.#opts.logger.error('request failed', { error: err, method: req.method, path: req.url });
      sendRpcError(res, 500, null, ErrorCode.InternalError, 'mcp-residency: internal error');
    });
  };

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = process.hrtime.bigint();
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    const path = query === -1 ? url : url.slice(0, query);
    const state = this.#opts.policy();
    if (path === PRM_PREFIX || path.startsWith(`${PRM_PREFIX}/`)) return this.#serveMetadata(req, res, path, state);
    if (!state.ok) {
      const reason = `mcp-residency refuses every request: ${state.reason}`;
      return this.#refuse(req, res, { kind: 'policy-unavailable', status: 503, code: ErrorCode.Unavailable, reason, message: reason, headers: { 'retry-after': '5' } });
    }
    const runtime = state.runtime;
    const audit = this.#opts.audit.health();
    if (!audit.ok) {
      const reason = `mcp-residency refuses every request: the audit log is unavailable: ${audit.reason ?? 'unknown'}`;
      return this.#refuse(req, res, { kind: 'audit-unavailable', status: 503, code: ErrorCode.Unavailable, reason, message: reason, runtime, headers: { 'retry-after': '5' } });
    }
    const auth = runtime.policy.authentication;
    const origin = checkOrigin({ origin: req.headers.origin, host: req.headers.host, localAddress: req.socket.localAddress, allowed: auth.allowedOrigins });
    if (!origin.ok) {
      return this.#refuse(req, res, { kind: 'origin', status: 403, code: ErrorCode.InvalidRequest, reason: origin.reason, message: `mcp-residency: ${origin.reason}`, runtime });
    }
    const caller = await this.#authenticate(req, res, path, runtime);
    if (caller === undefined) return;

    const abort = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) abort.abort();
    });
    const scope: RequestScope = { req, res, runtime, caller, started, signal: abort.signal, pinning: this.#opts.pinning };
    switch (req.method) {
      case 'POST':
        return this.#legacy.owns(req) ? this.#legacy.post(scope) : this.#streamable.post(scope);
      case 'GET':
        return this.#streamable.get(scope);
      case 'DELETE':
        return this.#streamable.delete(scope);
      default: {
        const reason = `${String(req.method)} is not an MCP request`;
        return this.#refuse(req, res, { kind: 'method-not-allowed', status: 405, code: ErrorCode.InvalidRequest, reason, message: `mcp-residency: ${reason}`, runtime, principal: caller.principal, headers: { allow: 'GET, POST, DELETE' } });
      }
    }
  }

  async #authenticate(req: IncomingMessage, res: ServerResponse, path: string, runtime: PolicyRuntime): Promise<Caller | undefined> {
    if (runtime.verifier === undefined) return { principal: { sub: 'anonymous', groups: [] }, key: 'anonymous' };
    if (/[?&]access_token=/u.test(req.url ?? '')) {
      const reason = 'access tokens in the query string are not accepted; use the Authorization header';
      await this.#refuse(req, res, { kind: 'token-invalid', status: 400, code: ErrorCode.InvalidRequest, reason, message: `mcp-residency: ${reason}`, runtime });
      return undefined;
    }
    const outcome = await runtime.verifier.verify(req.headers.authorization);
    if (outcome.ok) return { principal: outcome.principal, key: `${outcome.principal.issuer ?? ''}\n${outcome.principal.sub}` };
    const header = challenge(outcome, metadataUrl(externalOrigin(req.headers), path), runtime.verifier.requiredScopes);
    const kind = outcome.error === undefined ? 'token-missing' : outcome.error === 'insufficient_scope' ? 'insufficient-scope' : outcome.description === TOKEN_EXPIRED ? 'token-expired' : 'token-invalid';
    await this.#refuse(req, res, { kind, status: outcome.status, code: ErrorCode.InvalidRequest, reason: outcome.description, message: `mcp-residency: ${outcome.description}`, runtime, headers: { 'www-authenticate': header } });
    return undefined;
  }

  /**
   * Audits and answers a refusal made before the transport. A POST's body is read (bounded)
   * so the answer can carry the request's id and the record its method.
   */
  async #refuse(req: IncomingMessage, res: ServerResponse, refusal: GatewayRefusal & { code: number; message: string; headers?: Record<string, string> }): Promise<void> {
    const peeked = req.method === 'POST' ? await peekRequest(req, PEEK_BYTES) : undefined;
    await this.#refusals.record(req, { ...refusal, requestId: peeked?.id, method: peeked?.method ?? refusal.method });
    sendRpcError(res, refusal.status, peeked?.id ?? null, refusal.code, refusal.message, refusal.headers);
  }

  #serveMetadata(req: IncomingMessage, res: ServerResponse, path: string, state: PolicyState): void {
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendJson(res, 405, { error: 'method not allowed' }, { allow: 'GET' });
    if (!state.ok) return sendJson(res, 503, { error: 'temporarily_unavailable', error_description: state.reason });
    const auth = state.runtime.policy.authentication;
    if (auth.mode !== 'oidc') return sendJson(res, 404, { error: 'not_found', error_description: 'this MCP server does not use OAuth (authentication.mode: none)' });
    const suffix = path.slice(PRM_PREFIX.length) || '/';
    sendJson(res, 200, metadataDocument(externalOrigin(req.headers), suffix === '/' ? '' : suffix, auth), { 'cache-control': 'max-age=300' });
  }

  /** Sessions and streams end with the process; counted refusals are written now. */
  async close(): Promise<void> {
    this.#legacy.closeAll();
    this.#refusals.close();
    await this.#refusals.flush(true);
  }
}
