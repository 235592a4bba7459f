// Streamable HTTP (protocol versions 2025-03-26 to 2025-11-25) and the session-less 2026-07-28
// revision: POST carries client messages and gets JSON or an SSE stream back; GET opens a
// stream of server-initiated messages (or, with Last-Event-ID, resumes one); DELETE ends a
// session. The legacy HTTP+SSE transport (legacy.ts) is recognized on GET by its `endpoint`
// event, so one path can serve both.
import type { IncomingMessage } from 'node:http';
import type { Logger } from '../../lib/log.ts';
import type { ApprovalHook } from '../approvals/hook.ts';
import { BodyTooLargeError, readBody } from '../http/body.ts';
import { forwardableHeaders } from '../http/headers.ts';
import { parseStrictJson, StrictJsonError } from '../http/strict-json.ts';
import { classify, decide, refuseAll, type Decisions } from './decide.ts';
import { headerMismatch } from './era.ts';
import { sendJson, sendRpcError, type Exchange, type PendingCall } from './exchange.ts';
import type { GatewayLimits, RequestScope } from './scope.ts';
import { clientMessageProblem, ErrorCode, errorResponse, type JsonRpcId, type JsonRpcMessage, type JsonRpcRequest } from './jsonrpc.ts';
import type { LegacySessions } from './legacy.ts';
import type { SessionRegistry } from './sessions.ts';
import { ParkedCalls, ReplyRelay, type ReplyDeps } from './reply-relay.ts';
import { isEventStream, passedHeaders, replyHeaderProblem } from './replies.ts';
import { EventIds, relaySse, SseReply } from './sse-relay.ts';
import { UpstreamError, type Upstream, type UpstreamResponse } from './upstream.ts';

export interface TransportDeps {
  readonly upstream: Upstream;
  readonly exchange: Exchange;
  readonly limits: GatewayLimits;
  readonly logger: Logger;
  readonly approvals: ApprovalHook;
}

/** Batches were removed from the protocol in 2025-06-18. */
const BATCHES_REMOVED = '2025-06-18';

export class StreamableTransport {
  readonly #deps: TransportDeps;
  readonly #sessions: SessionRegistry;
  readonly #legacy: LegacySessions;
  readonly #replyDeps: ReplyDeps;

  constructor(deps: TransportDeps & { sessions: SessionRegistry; legacy: LegacySessions }) {
    this.#deps = deps;
    this.#replyDeps = { exchange: deps.exchange, limits: deps.limits, eventIds: new EventIds(), parked: new ParkedCalls() };
    this.#sessions = deps.sessions;
    this.#legacy = deps.legacy;
  }

  async post(scope: RequestScope): Promise<void> {
    const { req, res, runtime, caller } = scope;
    const messages = await readMessages(scope, this.#deps.limits.maxRequestBytes, this.#deps.exchange);
    if (messages === undefined) return;
    if (messages.length > 1 || messages.batch) {
      const version = req.headers['mcp-protocol-version'];
      if (typeof version === 'string' && version >= BATCHES_REMOVED) {
        return sendRpcError(res, 400, null, ErrorCode.InvalidRequest, `mcp-residency: JSON-RPC batches are not part of protocol version ${version}`);
      }
    }
    // Mcp-* headers must agree with every message that carries a method, in a batch too: a
    // router reading the headers and the gateway reading the body must see the same calls.
    const headed = messages.length === 1 || req.headers['mcp-method'] !== undefined || req.headers['mcp-name'] !== undefined;
    for (const m of headed ? messages : []) {
      if (!('method' in m)) continue;
      const mismatch = headerMismatch(req.headers, m);
      if (mismatch !== undefined) return sendRpcError(res, 400, 'id' in m ? m.id : null, ErrorCode.HeaderMismatch, `mcp-residency: ${mismatch}`);
    }
    const session = this.#checkSession(scope);
    if (session === false) return;

    // A call held for approval may wait minutes: answer with a stream at once and keep it alive.
    const requests = classify(scope, messages);
    const held = requests.filter((c) => c.tool !== undefined && c.verdict.action === 'approve');
    const early = held.length > 0 && acceptsEventStream(req) ? new SseReply(res, session !== undefined ? { 'mcp-session-id': session } : {}) : undefined;
    early?.keepAlive(held.flatMap((c) => progressToken(c.request)), `waiting for approval of ${held.map((c) => c.tool).join(', ')}`);
    let decisions;
    try {
      decisions = await decide(scope, requests, session, this.#deps.approvals);
    } finally {
      early?.stopKeepAlive();
    }
    const { allowed, refused } = decisions;
    if (refused.length > 0) return this.#refuse(scope, messages, decisions, session, early);

    let upstreamRes: UpstreamResponse;
    try {
      upstreamRes = await this.#deps.upstream.request({ method: 'POST', path: req.url ?? '/', headers: upstreamHeaders(req), body: messages.body, signal: scope.signal });
    } catch (err) {
      return this.#upstreamFailed(scope, err, allowed, early);
    }

    // A session id the relay will refuse (repeated, not ASCII, personal data) is never bound.
    const newSession = replyHeaderProblem(upstreamRes.headers, runtime.engines.masker) === undefined ? upstreamRes.headers['mcp-session-id'] : undefined;
    if (typeof newSession === 'string' && messages.some((m) => 'method' in m && m.method === 'initialize')) this.#sessions.bind(newSession, caller.key);
    if (upstreamRes.statusCode === 404 && session !== undefined) this.#sessions.forget(session);
    const currentSession = typeof newSession === 'string' ? newSession : session;

    const calls = new Map<JsonRpcId, PendingCall>(allowed.map((c) => [c.request.id, c]));
    if ((upstreamRes.statusCode ?? 500) < 300) await this.#deps.exchange.forwarded(messages, caller.principal, runtime, currentSession, scope.started);
    const extra: Record<string, string> = currentSession !== undefined ? { 'mcp-session-id': currentSession } : {};
    await new ReplyRelay(this.#replyDeps, scope, currentSession, calls, early).relay(upstreamRes, extra);
  }

  async get(scope: RequestScope): Promise<void> {
    const { res, runtime } = scope;
    const forwarded = await this.#forward(scope, 'GET');
    if (forwarded === undefined) return;
    const { session, upstreamRes } = forwarded;
    const relay = new ReplyRelay(this.#replyDeps, scope, session, new Map());
    if (!isEventStream(upstreamRes.headers) || replyHeaderProblem(upstreamRes.headers, runtime.engines.masker) !== undefined) return relay.relay(upstreamRes, {});
    // A stream without a session may be the legacy transport: its first event says so.
    let legacy: ReturnType<LegacySessions['open']> | undefined;
    await relaySse(
      upstreamRes,
      res,
      {
        onEndpoint: (data) => {
          legacy = this.#legacy.open(data, scope, this.#deps.upstream.origin);
          return legacy.endpoint;
        },
        onMessage: (m) => (legacy ? legacy.answer(m) : relay.answer(m)),
        onUnreadable: relay.unreadable,
        maskText: (t) => runtime.engines.masker.maskText(t),
      },
      { maxEventBytes: this.#deps.limits.maxEventBytes, eventIds: this.#replyDeps.eventIds, passed: passedHeaders(upstreamRes.headers, runtime.engines.masker) },
    );
    legacy?.close();
  }

  async delete(scope: RequestScope): Promise<void> {
    const forwarded = await this.#forward(scope, 'DELETE');
    if (forwarded === undefined) return;
    const { session, upstreamRes } = forwarded;
    if (session !== undefined && (upstreamRes.statusCode ?? 500) < 300) {
      this.#sessions.forget(session);
      this.#replyDeps.parked.forget(session);
    }
    return new ReplyRelay(this.#replyDeps, scope, session, new Map()).relay(upstreamRes, {});
  }

  /** A body-less request (GET, DELETE) passed on in the caller's session; undefined when the client was already answered. */
  async #forward(scope: RequestScope, method: 'GET' | 'DELETE'): Promise<{ session: string | undefined; upstreamRes: UpstreamResponse } | undefined> {
    const session = this.#checkSession(scope);
    if (session === false) return undefined;
    try {
      const headers = upstreamHeaders(scope.req);
      const last = scope.req.headers['last-event-id'];
      if (typeof last === 'string') headers['last-event-id'] = this.#replyDeps.eventIds.incoming(last);
      const upstreamRes = await this.#deps.upstream.request({ method, path: scope.req.url ?? '/', headers, signal: scope.signal });
      return { session, upstreamRes };
    } catch (err) {
      sendRpcError(scope.res, 502, null, ErrorCode.UpstreamUnavailable, `mcp-residency: ${(err as Error).message}`);
      return undefined;
    }
  }

  /** The session id the request names, undefined for none, false when refused (already answered). */
  #checkSession(scope: RequestScope): string | undefined | false {
    const id = scope.req.headers['mcp-session-id'];
    if (typeof id !== 'string') return undefined;
    const check = this.#sessions.check(id, scope.caller.key);
    if (check === 'ok') return id;
    // Foreign and unknown sessions get the same answer, so a session id cannot be probed.
    this.#deps.logger.warn(check === 'foreign' ? 'session presented by a principal that did not open it' : 'unknown session', {
      sub: scope.caller.principal.sub,
    });
    void this.#deps.exchange.refuse(
      { decision: 'deny', method: scope.req.method, reason: check === 'foreign' ? 'the session belongs to another principal' : 'unknown session', session: id },
      scope.caller.principal,
      scope.runtime,
      scope.started,
    );
    sendRpcError(scope.res, 404, null, ErrorCode.InvalidRequest, 'Session not found');
    return false;
  }

  async #refuse(scope: RequestScope, messages: ParsedMessages, decisions: Decisions, session: string | undefined, early?: SseReply): Promise<void> {
    const { replies, recorded } = await refuseAll(this.#deps.exchange, scope, session, decisions, true);
    if (early) {
      for (const reply of recorded ? replies : replies.map((r) => errorResponse(r.id, ErrorCode.Unavailable, 'mcp-residency: the audit log cannot record this request'))) await early.send(reply);
      return early.end();
    }
    if (!recorded) return sendRpcError(scope.res, 503, null, ErrorCode.Unavailable, 'mcp-residency: the audit log cannot record this request');
    sendJson(scope.res, 200, messages.batch ? replies : replies[0]);
  }

  async #upstreamFailed(scope: RequestScope, err: unknown, calls: PendingCall[], early?: SseReply): Promise<void> {
    if (!(err instanceof UpstreamError)) throw err;
    if (err.reason === 'aborted') return early?.end();
    for (const c of calls) await this.#deps.exchange.upstreamFailed(c, err.message);
    const ids = calls.map((c) => c.request.id);
    const reply = (id: JsonRpcId | null): JsonRpcMessage => errorResponse(id, ErrorCode.UpstreamUnavailable, `mcp-residency: ${err.message}`);
    if (early) {
      for (const id of ids) await early.send(reply(id));
      return early.end();
    }
    sendJson(scope.res, 502, ids.length > 1 ? ids.map(reply) : reply(ids[0] ?? null));
  }
}

function progressToken(m: JsonRpcRequest): (string | number)[] {
  const token = (m.params?._meta as { progressToken?: unknown } | undefined)?.progressToken;
  return typeof token === 'string' || typeof token === 'number' ? [token] : [];
}

function acceptsEventStream(req: IncomingMessage): boolean {
  return (req.headers.accept ?? '').toLowerCase().includes('text/event-stream');
}

export type ParsedMessages = JsonRpcMessage[] & { batch?: boolean; body?: Buffer };

/**
 * Reads and checks a POST body strictly; answers the client itself (and records the refusal)
 * and returns undefined when it is unusable. The body the server gets is the sidecar's own
 * serialization of what it decided on, never the client's bytes: no decoder on the server side
 * can read anything the sidecar did not.
 */
export async function readMessages(scope: RequestScope, limit: number, exchange: Exchange): Promise<ParsedMessages | undefined> {
  const { req, res } = scope;
  let body: Buffer;
  try {
    body = await readBody(req, limit);
  } catch (err) {
    if (err instanceof BodyTooLargeError) sendRpcError(res, 413, null, ErrorCode.InvalidRequest, `mcp-residency: request body larger than ${limit} bytes`);
    return undefined;
  }
  const refuse = async (status: number, code: number, reason: string): Promise<undefined> => {
    const recorded = await exchange.refuse({ decision: 'deny', method: 'POST', reason: `unreadable request: ${reason}` }, scope.caller.principal, scope.runtime, scope.started);
    if (!recorded) sendRpcError(res, 503, null, ErrorCode.Unavailable, 'mcp-residency: the audit log cannot record this request');
    else sendRpcError(res, status, null, code, `mcp-residency: ${reason}`);
    return undefined;
  };
  let parsed: unknown;
  try {
    parsed = parseStrictJson(body);
  } catch (err) {
    if (!(err instanceof StrictJsonError)) throw err;
    return refuse(400, ErrorCode.ParseError, `the request body is not strict JSON (RFC 8259, UTF-8): ${err.message}`);
  }
  const batch = Array.isArray(parsed);
  const list = (batch ? parsed : [parsed]) as unknown[];
  if (list.length === 0) return refuse(400, ErrorCode.InvalidRequest, 'empty batch');
  for (const [i, m] of list.entries()) {
    const reason = clientMessageProblem(m);
    if (reason !== undefined) return refuse(400, ErrorCode.InvalidRequest, `${batch ? `message ${i}: ` : ''}${reason}`);
  }
  const messages = list as ParsedMessages;
  messages.batch = batch;
  messages.body = Buffer.from(JSON.stringify(parsed));
  return messages;
}

/**
 * What the server gets: the client's headers minus its token ("MUST NOT pass through the token
 * it received"), hop-by-hop headers and compression (the gateway must read what comes back).
 * A POST body is the sidecar's own UTF-8 JSON, so its type is the sidecar's to say too: a
 * client's charset or content-encoding would make the server read the bytes differently.
 */
export function upstreamHeaders(req: IncomingMessage): Record<string, string | string[] | number> {
  // `expect` too: a 100-continue handshake is between the client and us, not the server.
  const drop = ['authorization', 'host', 'content-length', 'accept-encoding', 'cookie', 'expect', 'content-type', 'content-encoding'];
  const headers = forwardableHeaders(req.headers, drop) as Record<string, string | string[]>;
  return { ...headers, 'accept-encoding': 'identity', ...(req.method === 'POST' ? { 'content-type': 'application/json' } : {}) };
}
