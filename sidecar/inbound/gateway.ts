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
import { originAllowed } from './origin.ts';
import { DEFAULT_LIMITS, type Caller, type GatewayLimits, type RequestScope } from './scope.ts';
import { SessionRegistry } from './sessions.ts';
import { StreamableTransport } from './streamable.ts';
import type { Upstream } from './upstream.ts';

export interface GatewayOptions {
  readonly upstream: Upstream;
  readonly policy: () => PolicyState;
  readonly audit: AuditSink;
  readonly metrics: SidecarMetrics;
  readonly logger: Logger;
  readonly approvals: ApprovalHook;
  readonly limits?: Partial<GatewayLimits>;
  readonly pinning?: ToolPinning | undefined;
}

export class Gateway {
  readonly #opts: GatewayOptions;
  readonly #streamable: StreamableTransport;
  readonly #legacy: LegacySessions;
  readonly limits: GatewayLimits;

  constructor(options: GatewayOptions) {
    this.#opts = options;
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    const exchange = new Exchange({ audit: options.audit, metrics: options.metrics, logger: options.logger, pinning: options.pinning });
    const shared = { upstream: options.upstream, exchange, limits: this.limits, logger: options.logger, approvals: options.approvals };
    this.#legacy = new LegacySessions(shared);
    this.#streamable = new StreamableTransport({ ...shared, sessions: new SessionRegistry(), legacy: this.#legacy });
  }

  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    this.#handle(req, res).catch((err: unknown) => {
      this.#opts.logger.error('request failed', { error: err, method: req.method, path: req.url });
      sendRpcError(res, 500, null, ErrorCode.InternalError, 'mcp-residency: internal error');
    });
  };

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = process.hrtime.bigint();
    const path = (req.url ?? '/').split('?')[0]!;
    const state = this.#opts.policy();
    if (path === PRM_PREFIX || path.startsWith(`${PRM_PREFIX}/`)) return this.#serveMetadata(req, res, path, state);
    if (!state.ok) {
      return sendRpcError(res, 503, null, ErrorCode.Unavailable, `mcp-residency refuses every request: ${state.reason}`, { 'retry-after': '5' });
    }
    const runtime = state.runtime;
    const audit = this.#opts.audit.health();
    if (!audit.ok) {
      return sendRpcError(res, 503, null, ErrorCode.Unavailable, `mcp-residency refuses every request: the audit log is unavailable: ${audit.reason ?? 'unknown'}`, {
        'retry-after': '5',
      });
    }
    const auth = runtime.policy.authentication;
    if (!originAllowed(req.headers.origin, auth.allowedOrigins)) {
      return sendRpcError(res, 403, null, ErrorCode.InvalidRequest, `mcp-residency: origin ${String(req.headers.origin)} is not allowed (authentication.allowedOrigins)`);
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
      default:
        return sendRpcError(res, 405, null, ErrorCode.InvalidRequest, `mcp-residency: ${String(req.method)} is not an MCP request`, { allow: 'GET, POST, DELETE' });
    }
  }

  async #authenticate(req: IncomingMessage, res: ServerResponse, path: string, runtime: PolicyRuntime): Promise<Caller | undefined> {
    if (runtime.verifier === undefined) return { principal: { sub: 'anonymous', groups: [] }, key: 'anonymous' };
    if (/[?&]access_token=/u.test(req.url ?? '')) {
      sendRpcError(res, 400, null, ErrorCode.InvalidRequest, 'mcp-residency: access tokens in the query string are not accepted; use the Authorization header');
      return undefined;
    }
    const outcome = await runtime.verifier.verify(req.headers.authorization);
    if (outcome.ok) return { principal: outcome.principal, key: `${outcome.principal.issuer ?? ''}\n${outcome.principal.sub}` };
    const header = challenge(outcome, metadataUrl(externalOrigin(req.headers), path), runtime.verifier.requiredScopes);
    this.#opts.metrics.requests.inc({ kind: 'mcp', decision: 'deny' });
    sendRpcError(res, outcome.status, null, ErrorCode.InvalidRequest, `mcp-residency: ${outcome.description}`, { 'www-authenticate': header });
    return undefined;
  }

  #serveMetadata(req: IncomingMessage, res: ServerResponse, path: string, state: PolicyState): void {
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendJson(res, 405, { error: 'method not allowed' }, { allow: 'GET' });
    if (!state.ok) return sendJson(res, 503, { error: 'temporarily_unavailable', error_description: state.reason });
    const auth = state.runtime.policy.authentication;
    if (auth.mode !== 'oidc') return sendJson(res, 404, { error: 'not_found', error_description: 'this MCP server does not use OAuth (authentication.mode: none)' });
    const suffix = path.slice(PRM_PREFIX.length) || '/';
    sendJson(res, 200, metadataDocument(externalOrigin(req.headers), suffix === '/' ? '' : suffix, auth), { 'cache-control': 'max-age=300' });
  }

  /** Sessions and streams end with the process; nothing to flush. */
  close(): void {
    this.#legacy.closeAll();
  }
}
