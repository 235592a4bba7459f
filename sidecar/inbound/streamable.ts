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
import { randomUUID } from 'node:crypto';
import { parseStrictJson, StrictJsonError } from '../http/strict-json.ts';
import { classify, decide, refuseAll, type Decisions, type Refusal } from './decide.ts';
import { headerMismatch, isModern, protocolVersionOf } from './era.ts';
import { sendJson, sendRpcError, type Exchange, type PendingCall } from './exchange.ts';
import type { GatewayLimits, RequestScope } from './scope.ts';
import { clientMessageProblem, ErrorCode, errorResponse, isRequest, isResult, type JsonRpcId, type JsonRpcMessage, type JsonRpcRequest } from './jsonrpc.ts';
import type { LegacySessions } from './legacy.ts';
import type { SessionRegistry } from './sessions.ts';
import { hasRoutingHeaders, type ParamHeaders } from './param-headers.ts';
import type { RefusalKind, RefusalRecorder } from './refusals.ts';
import { addressedTask, type TaskRegistry } from './tasks.ts';
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
  readonly refusals: RefusalRecorder;
  readonly paramHeaders: ParamHeaders;
  readonly tasks: TaskRegistry;
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
    this.#replyDeps = { exchange: deps.exchange, limits: deps.limits, eventIds: new EventIds(), parked: new ParkedCalls(), observe: (m, call, owner) => this.#observe(m, call, owner) };
    this.#sessions = deps.sessions;
    this.#legacy = deps.legacy;
  }

  async post(scope: RequestScope): Promise<void> {
    const { req, res, runtime, caller } = scope;
    const messages = await readMessages(scope, this.#deps.limits.maxRequestBytes, this.#deps.refusals);
    if (messages === undefined) return;
    if (messages.length > 1 || messages.batch) {
      const version = req.headers['mcp-protocol-version'];
      if (typeof version === 'string' && version >= BATCHES_REMOVED) {
        return refuseRequest(scope, this.#deps.refusals, 'malformed', 400, null, ErrorCode.InvalidRequest, `JSON-RPC batches are not part of protocol version ${version}`);
      }
      // Mcp-Method, Mcp-Name and Mcp-Param-* describe one message: on a batch they cannot match its body.
      if (hasRoutingHeaders(req.headers)) {
        return refuseRequest(scope, this.#deps.refusals, 'header-mismatch', 400, null, ErrorCode.HeaderMismatch, 'Mcp-Method, Mcp-Name and Mcp-Param-* headers describe a single message, and this POST is a batch');
      }
    } else if ('method' in messages[0]!) {
      const modern = isModern(protocolVersionOf(req.headers, messages[0]));
      const mismatch = headerMismatch(req.headers, messages[0]) ?? this.#deps.paramHeaders.mismatch(req.headers, messages[0], modern);
      if (mismatch !== undefined) {
        const id = 'id' in messages[0] ? (messages[0] as { id: JsonRpcId }).id : null;
        return refuseRequest(scope, this.#deps.refusals, 'header-mismatch', 400, id, ErrorCode.HeaderMismatch, mismatch, messages[0].method);
      }
    }
    const session = this.#checkSession(scope, messages);
    if (session === false) return;
    const taskRefusals = await this.#checkTasks(scope, messages, session);
    if (taskRefusals.length > 0) return this.#refuse(scope, messages, { allowed: [], refused: taskRefusals }, session);

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

    const calls = new Map<JsonRpcId, PendingCall>();
    for (const c of allowed) calls.set(c.request.id, c);
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

  /**
   * tasks/* requests naming a task the caller did not create, or one the gateway never saw
   * (created before a restart, or made up): refused and recorded, yet still sent on with the
   * task id swapped for a fresh unknown one, so the client gets exactly the server's answer for
   * an unknown task and cannot tell another principal's task from none. Returns the refusals
   * for a task whose tool the policy now denies (cancelling it stays possible).
   */
  async #checkTasks(scope: RequestScope, messages: ParsedMessages, session: string | undefined): Promise<Refusal[]> {
    const refused: Refusal[] = [];
    let swapped = false;
    for (const m of messages) {
      if (!isRequest(m)) continue;
      const taskId = addressedTask(m);
      if (taskId === undefined) continue;
      const { verdict, tool } = this.#deps.tasks.check(taskId, scope.caller.key);
      if (verdict !== 'ok') {
        const reason = `${verdict === 'foreign' ? 'the task belongs to another principal' : 'unknown task'}; the server was asked about an unknown task instead`;
        await this.#deps.exchange.refuse({ request: structuredClone(m), decision: 'deny', reason, session }, scope.caller.principal, scope.runtime, scope.started);
        m.params = { ...m.params, taskId: `mcp-residency-unknown-${randomUUID()}` };
        swapped = true;
        continue;
      }
      const now = tool === undefined || m.method === 'tasks/cancel' ? undefined : scope.runtime.engines.tools.decide(tool, scope.caller.principal.groups);
      if (now?.action === 'deny') {
        const message = `mcp-residency: policy "${scope.runtime.policy.name}" denied the tool "${tool}" (${now.reason}); its task cannot be read`;
        refused.push({ request: m, tool, decision: 'deny', reason: `${now.reason} (through task ${taskId})`, code: ErrorCode.PolicyDenied, message, callId: randomUUID() });
      }
    }
    if (swapped) messages.body = Buffer.from(JSON.stringify(messages.batch ? [...messages] : messages[0]));
    return refused;
  }

  /** Learns from what the server answers: x-mcp-header arguments from tools/list, task owners from created tasks. */
  #observe(m: JsonRpcMessage, call: PendingCall | undefined, owner: string): void {
    if (call === undefined || !isResult(m)) return;
    if (call.request.method === 'tools/list') this.#deps.paramHeaders.learn(m.result.tools);
    this.#deps.tasks.bindFrom(m, call.request, owner, call.tool);
  }

  /** The session id the request names, undefined for none, false when refused (already answered). */
  #checkSession(scope: RequestScope, messages?: ParsedMessages): string | undefined | false {
    const id = scope.req.headers['mcp-session-id'];
    if (typeof id !== 'string') return undefined;
    const check = this.#sessions.check(id, scope.caller.key);
    if (check === 'ok') return id;
    // Foreign and unknown sessions get the same answer, so a session id cannot be probed.
    const reason = check === 'foreign' ? 'the session belongs to another principal' : 'unknown session';
    void this.#deps.exchange.refuse(
      { decision: 'deny', method: scope.req.method, reason, session: id },
      scope.caller.principal,
      scope.runtime,
      scope.started,
    );
    sendRpcError(scope.res, 404, singleId(messages), ErrorCode.InvalidRequest, 'Session not found');
    return false;
  }

  async #refuse(scope: RequestScope, messages: ParsedMessages, decisions: Decisions, session: string | undefined, early?: SseReply): Promise<void> {
    const { replies, recorded } = await refuseAll(this.#deps.exchange, scope, session, decisions, true);
    if (early) {
      for (const reply of recorded ? replies : replies.map((r) => errorResponse(r.id, ErrorCode.Unavailable, 'mcp-residency: the audit log cannot record this request'))) await early.send(reply);
      return early.end();
    }
    if (!recorded) return sendRpcError(scope.res, 503, singleId(messages), ErrorCode.Unavailable, 'mcp-residency: the audit log cannot record this request');
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

/** The id of a POST's only request, for an error answering the whole POST; null for a batch or a notification. */
function singleId(messages: ParsedMessages | undefined): JsonRpcId | null {
  const only = messages?.length === 1 && !messages.batch ? messages[0] : undefined;
  return only !== undefined && isRequest(only) ? only.id : null;
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
export async function readMessages(scope: RequestScope, limit: number, refusals: RefusalRecorder): Promise<ParsedMessages | undefined> {
  const { req } = scope;
  let body: Buffer;
  try {
    body = await readBody(req, limit);
  } catch (err) {
    if (err instanceof BodyTooLargeError) await refuseRequest(scope, refusals, 'body-too-large', 413, null, ErrorCode.InvalidRequest, `request body larger than ${limit} bytes`);
    return undefined;
  }
  let parsed: unknown;
  try {
    parsed = parseStrictJson(body);
  } catch (err) {
    if (!(err instanceof StrictJsonError)) throw err;
    await refuseRequest(scope, refusals, 'malformed', 400, null, ErrorCode.ParseError, `the request body is not strict JSON (RFC 8259, UTF-8): ${err.message}`);
    return undefined;
  }
  const batch = Array.isArray(parsed);
  const list = (batch ? parsed : [parsed]) as unknown[];
  if (list.length === 0) {
    await refuseRequest(scope, refusals, 'malformed', 400, null, ErrorCode.InvalidRequest, 'empty batch');
    return undefined;
  }
  for (let i = 0; i < list.length; i++) {
    const m = list[i];
    const reason = clientMessageProblem(m);
    if (reason !== undefined) {
      // The id, when the message has a usable one, lets the client match the error to its request.
      const raw = batch ? undefined : (m as { id?: unknown } | null)?.id;
      const id = typeof raw === 'string' || (typeof raw === 'number' && Number.isSafeInteger(raw)) ? raw : null;
      await refuseRequest(scope, refusals, 'malformed', 400, id, ErrorCode.InvalidRequest, `${batch ? `message ${i}: ` : ''}${reason}`);
      return undefined;
    }
  }
  const messages = list as ParsedMessages;
  messages.batch = batch;
  messages.body = Buffer.from(JSON.stringify(parsed));
  return messages;
}

/** Audits and logs a refusal of an authenticated request, then answers it with `id`. */
export async function refuseRequest(
  scope: RequestScope,
  refusals: RefusalRecorder,
  kind: RefusalKind,
  status: number,
  id: JsonRpcId | null,
  code: number,
  reason: string,
  method?: string,
): Promise<void> {
  await refusals.record(scope.req, { kind, status, reason, principal: scope.caller.principal, runtime: scope.runtime, requestId: id, method });
  sendRpcError(scope.res, status, id, code, `mcp-residency: ${reason}`);
}

/**
 * What the server gets: the client's headers minus its token ("MUST NOT pass through the token
 * it received"), hop-by-hop headers and compression (the gateway must read what comes back).
 * A POST body is the sidecar's own UTF-8 JSON, so its type is the sidecar's to say too: a
 * client's charset or content-encoding would make the server read the bytes differently.
 */
export function upstreamHeaders(req: IncomingMessage): Record<string, string | string[] | number> {
  const headers = forwardableHeaders(req.headers, NOT_FORWARDED) as Record<string, string | string[]>;
  headers['accept-encoding'] = 'identity';
  if (req.method === 'POST') headers['content-type'] = 'application/json';
  return headers;
}

// `expect` too: a 100-continue handshake is between the client and us, not the server.
const NOT_FORWARDED: ReadonlySet<string> = new Set(['authorization', 'host', 'content-length', 'accept-encoding', 'cookie', 'expect', 'content-type', 'content-encoding']);
