// Relaying one answer of the MCP server to the client, whatever its form (JSON, SSE, anything
// else), on one rule: the client gets only what the gateway read, matched to what it let
// through. A response is released only for an outstanding request with exactly its id (string
// "12" is not 12); an answer the gateway cannot read is replaced by a JSON-RPC error that says
// why, counted and recorded. Responses a broken SSE stream left unsent may come back on a
// resumed GET stream: the calls they answer are parked per session, so a replayed tools/list
// is filtered like a live one, and anything else replayed is dropped.
import { BodyTooLargeError, readBody } from '../http/body.ts';
import { sendJson, sendRpcError, takeCall, type Exchange, type PendingCall } from './exchange.ts';
import { ErrorCode, errorResponse, isErrorResponse, isResult, type JsonRpcId, type JsonRpcMessage } from './jsonrpc.ts';
import { isEventStream, isJson, passedHeaders, readReplyBytes, replyHeaderProblem, type Withheld } from './replies.ts';
import type { GatewayLimits, RequestScope } from './scope.ts';
import { relaySse, type EventIds, type SseReply } from './sse-relay.ts';
import type { UpstreamResponse } from './upstream.ts';

/**
 * Calls whose SSE stream ended before their answer, by session, until a resumed stream
 * answers them. Bounded per session and in sessions (oldest dropped first).
 */
export class ParkedCalls {
  readonly #bySession = new Map<string, Map<JsonRpcId, PendingCall>>();
  readonly #maxSessions: number;
  readonly #perSession: number;

  constructor(maxSessions = 10_000, perSession = 64) {
    this.#maxSessions = maxSessions;
    this.#perSession = perSession;
  }

  park(session: string, calls: Iterable<PendingCall>): void {
    let parked = this.#bySession.get(session);
    if (parked === undefined) {
      if (this.#bySession.size >= this.#maxSessions) this.#bySession.delete(this.#bySession.keys().next().value!);
      parked = new Map();
      this.#bySession.set(session, parked);
    }
    for (const c of calls) {
      if (parked.size >= this.#perSession) parked.delete(parked.keys().next().value!);
      parked.set(c.request.id, c);
    }
  }

  take(session: string | undefined, m: JsonRpcMessage): PendingCall | undefined {
    const parked = session === undefined ? undefined : this.#bySession.get(session);
    return parked === undefined ? undefined : takeCall(parked, m);
  }

  forget(session: string): void {
    this.#bySession.delete(session);
  }
}

export interface ReplyDeps {
  readonly exchange: Exchange;
  readonly limits: GatewayLimits;
  readonly eventIds: EventIds;
  readonly parked: ParkedCalls;
  /** Sees every answer matched to its call, before masking: what the transport learns from the server. */
  readonly observe?: (m: JsonRpcMessage, call: PendingCall | undefined, owner: string) => void;
}

/** A response (not a request or notification) that names an id: it must answer something. */
function answersAnId(m: JsonRpcMessage): m is JsonRpcMessage & { id: JsonRpcId } {
  return (isResult(m) || isErrorResponse(m)) && m.id !== null;
}

export class ReplyRelay {
  readonly #deps: ReplyDeps;
  readonly #scope: RequestScope;
  readonly #session: string | undefined;
  readonly #calls: Map<JsonRpcId, PendingCall>;
  readonly #early: SseReply | undefined;

  constructor(deps: ReplyDeps, scope: RequestScope, session: string | undefined, calls: Map<JsonRpcId, PendingCall>, early?: SseReply) {
    this.#deps = deps;
    this.#scope = scope;
    this.#session = session;
    this.#calls = calls;
    this.#early = early;
  }

  /** The message as the client may see it, or undefined when it answers nothing outstanding (dropped and recorded). */
  readonly answer = async (m: JsonRpcMessage): Promise<JsonRpcMessage | undefined> => {
    const { runtime, caller } = this.#scope;
    const call = takeCall(this.#calls, m) ?? this.#deps.parked.take(this.#session, m);
    if (call === undefined && answersAnId(m)) {
      const w: Withheld = { label: 'unmatched-id', reason: `a response with id ${JSON.stringify(m.id)} (${typeof m.id}) matches no outstanding request` };
      await this.#deps.exchange.withheld(w, this.#method(), caller.principal, runtime, this.#session, this.#scope.started, []);
      return undefined;
    }
    this.#deps.observe?.(m, call, caller.key);
    return this.#deps.exchange.answer(m, call, runtime, this.#session, caller.principal);
  };

  /** What the client gets instead of an answer the gateway cannot read: an error for the one call it must answer, else for nobody. */
  readonly unreadable = async (w: Withheld): Promise<JsonRpcMessage> => {
    const only = this.#calls.size === 1 ? [...this.#calls.values()] : [];
    for (const c of only) this.#calls.delete(c.request.id);
    const { runtime, caller } = this.#scope;
    await this.#deps.exchange.withheld(w, this.#method(), caller.principal, runtime, this.#session, this.#scope.started, only);
    return errorResponse(only[0]?.request.id ?? null, ErrorCode.UpstreamUnavailable, `mcp-residency: ${w.reason}`);
  };

  /** Checks the headers, then relays the body by its type. */
  async relay(upstreamRes: UpstreamResponse, extra: Record<string, string>): Promise<void> {
    const { res, runtime } = this.#scope;
    const masker = runtime.engines.masker;
    const problem = replyHeaderProblem(upstreamRes.headers, masker);
    if (problem !== undefined) {
      // Not read, so not kept: the connection goes (undici reports the abort as an error).
      upstreamRes.on('error', () => undefined).destroy();
      return this.#withholdAll(problem, 502);
    }
    const headers = { ...passedHeaders(upstreamRes.headers, masker), ...extra };
    const status = upstreamRes.statusCode ?? 502;
    if (isEventStream(upstreamRes.headers)) {
      await relaySse(
        upstreamRes,
        res,
        { onMessage: this.answer, onUnreadable: this.unreadable, maskText: (t) => masker.maskText(t) },
        { maxEventBytes: this.#deps.limits.maxEventBytes, headers, eventIds: this.#deps.eventIds, ...(this.#early ? { reply: this.#early } : {}) },
      );
      // The stream may be resumed on a GET: its answers are matched there.
      if (this.#session !== undefined && this.#calls.size > 0) this.#deps.parked.park(this.#session, this.#calls.values());
      await this.#unanswered('the server ended the response without answering this request', false);
      return;
    }
    let body: Buffer;
    try {
      body = await readBody(upstreamRes, this.#deps.limits.maxResponseBytes);
    } catch (err) {
      const reason = err instanceof BodyTooLargeError ? `the server's answer is larger than ${err.limit} bytes and cannot be inspected, so it is withheld` : 'the server dropped the connection';
      return this.#withholdAll({ label: 'not-json', reason }, 502);
    }
    // Nothing to read (202 Accepted for notifications, 204): the status passes, any body does not.
    if (this.#early === undefined && (body.length === 0 || status === 202 || status === 204)) {
      res.writeHead(status, headers).end();
      await this.#unanswered('the server answered without a JSON-RPC message', false);
      return;
    }
    const read = isJson(upstreamRes.headers)
      ? readReplyBytes(body)
      : { withheld: { label: 'content-type', reason: `the server answered HTTP ${status} with content-type ${JSON.stringify(upstreamRes.headers['content-type'] ?? '')}, which the sidecar does not read` } as const };
    if ('withheld' in read) return this.#withholdAll(read.withheld, status < 300 ? 502 : status);
    const out: JsonRpcMessage[] = [];
    for (const m of read.messages) {
      const safe = await this.answer(m);
      if (safe !== undefined) out.push(safe);
    }
    out.push(...(await this.#unanswered("the server's answer held no response to this request", true)));
    if (this.#early) {
      for (const m of out) await this.#early.send(m);
      return this.#early.end();
    }
    if (out.length === 0) return sendRpcError(res, 502, null, ErrorCode.UpstreamUnavailable, "mcp-residency: the server's answer held nothing the client may see", headers);
    sendJson(res, status, read.batch || out.length > 1 ? out : out[0], headers);
  }

  /** The whole answer is withheld: each call gets an error naming why (or the client one error). */
  async #withholdAll(w: Withheld, status: number): Promise<void> {
    const calls = [...this.#calls.values()];
    this.#calls.clear();
    const { runtime, caller, res } = this.#scope;
    await this.#deps.exchange.withheld(w, this.#method(), caller.principal, runtime, this.#session, this.#scope.started, calls);
    const replies = (calls.length > 0 ? calls.map((c) => c.request.id) : [null]).map((id) => errorResponse(id, ErrorCode.UpstreamUnavailable, `mcp-residency: ${w.reason}`));
    if (this.#early) {
      for (const r of replies) await this.#early.send(r);
      return this.#early.end();
    }
    sendJson(res, status, replies.length > 1 ? replies : replies[0]);
  }

  /** Records the calls still waiting; with `reply`, returns the errors their clients get. */
  async #unanswered(why: string, reply: boolean): Promise<JsonRpcMessage[]> {
    const out: JsonRpcMessage[] = [];
    for (const c of this.#calls.values()) {
      await this.#deps.exchange.upstreamFailed(c, why);
      if (reply) out.push(errorResponse(c.request.id, ErrorCode.UpstreamUnavailable, `mcp-residency: ${why}`));
    }
    this.#calls.clear();
    return out;
  }

  #method(): string {
    return this.#scope.req.method ?? 'POST';
  }
}
