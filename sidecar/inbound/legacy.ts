// The HTTP+SSE transport of protocol version 2024-11-05 (deprecated, still widely deployed):
// the client opens a GET stream whose first event, `endpoint`, names a URL to POST messages
// to; POSTs are answered 202 and every response arrives later on the GET stream. So the
// gateway decides on the POST, remembers which request ids it let through, and correlates
// the responses on the stream; a refusal is injected into the stream as the error response
// the client waits for. The message endpoint is bound to the principal that opened the stream.
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { serializeEvent } from '../sse/index.ts';
import type { PolicyRuntime } from '../policy/runtime.ts';
import type { Principal } from '../audit/record.ts';
import { classify, decide, refuseAll } from './decide.ts';
import { sendRpcError, takeCall, type PendingCall } from './exchange.ts';
import type { RequestScope } from './scope.ts';
import { ErrorCode, errorResponse, isErrorResponse, isResult, type JsonRpcId, type JsonRpcMessage } from './jsonrpc.ts';
import { readMessages, upstreamHeaders, type TransportDeps } from './streamable.ts';

interface LegacyEntry {
  /** The endpoint (path and query) the server named; the client is given one of the sidecar's own. */
  readonly upstreamPath: string;
  readonly owner: string;
  readonly principal: Principal;
  readonly runtime: PolicyRuntime;
  readonly stream: ServerResponse;
  readonly pending: Map<JsonRpcId, PendingCall>;
}

export interface LegacyStream {
  /** The URL (path and query) the client should POST to: always on the gateway. */
  readonly endpoint: string;
  answer(message: JsonRpcMessage): Promise<JsonRpcMessage | undefined>;
  close(): void;
}

export class LegacySessions {
  readonly #deps: TransportDeps;
  /** Keyed by the endpoint the client was given, e.g. "/messages?mcp-residency-session=4f0c...". */
  readonly #entries = new Map<string, LegacyEntry>();

  constructor(deps: TransportDeps) {
    this.#deps = deps;
  }

  owns(req: { url?: string | undefined }): boolean {
    return this.#entries.has(req.url ?? '');
  }

  /** Registers a stream whose first event named its message endpoint. */
  open(endpointData: string, scope: RequestScope, upstreamOrigin: URL): LegacyStream {
    const url = new URL(endpointData.trim(), new URL(scope.req.url ?? '/', upstreamOrigin));
    // The server's query (its session id, whatever it holds) never reaches the client.
    const key = `${url.pathname}?mcp-residency-session=${randomUUID()}`;
    const entry: LegacyEntry = { upstreamPath: `${url.pathname}${url.search}`, owner: scope.caller.key, principal: scope.caller.principal, runtime: scope.runtime, stream: scope.res, pending: new Map() };
    this.#entries.set(key, entry);
    const exchange = this.#deps.exchange;
    return {
      endpoint: key,
      answer: async (m) => {
        const call = takeCall(entry.pending, m);
        if (call === undefined && (isResult(m) || isErrorResponse(m)) && m.id !== null) {
          const reason = `a response with id ${JSON.stringify(m.id)} (${typeof m.id}) matches no outstanding request`;
          await exchange.withheld({ label: 'unmatched-id', reason }, 'GET', entry.principal, entry.runtime, key, scope.started, []);
          return undefined;
        }
        return exchange.answer(m, call, call?.runtime ?? entry.runtime, key, entry.principal);
      },
      close: () => {
        this.#entries.delete(key);
        for (const call of entry.pending.values()) void exchange.upstreamFailed(call, 'the event stream closed before the server answered');
        entry.pending.clear();
      },
    };
  }

  async post(scope: RequestScope): Promise<void> {
    const key = scope.req.url ?? '';
    const entry = this.#entries.get(key);
    if (entry === undefined || entry.owner !== scope.caller.key) {
      await this.#deps.exchange.refuse(
        { decision: 'deny', method: 'POST', reason: entry ? 'the session belongs to another principal' : 'unknown session', session: key },
        scope.caller.principal,
        scope.runtime,
        scope.started,
      );
      return sendRpcError(scope.res, 404, null, ErrorCode.InvalidRequest, 'Session not found');
    }
    const messages = await readMessages(scope, this.#deps.limits.maxRequestBytes, this.#deps.refusals);
    if (messages === undefined) return;
    // Answers travel on the stream, so the POST is accepted now; the decision (which may wait
    // for an approver) and the forwarding happen after, and refusals go into the stream.
    scope.res.writeHead(202, { 'content-type': 'text/plain' }).end('Accepted');
    const inject = (m: JsonRpcMessage): void => {
      if (!entry.stream.destroyed) entry.stream.write(serializeEvent({ event: 'message', data: JSON.stringify(m) }));
    };
    const decisions = await decide(scope, classify(scope, messages), key, this.#deps.approvals);
    const { allowed } = decisions;
    if (decisions.refused.length > 0) {
      // The replies are injected whether or not their records could be written, so each record is attempted.
      const { replies } = await refuseAll(this.#deps.exchange, scope, key, decisions, false);
      if (messages.batch) inject(replies as unknown as JsonRpcMessage);
      else inject(replies[0]!);
      return;
    }
    for (const c of allowed) entry.pending.set(c.request.id, c);
    const failAll = async (why: string): Promise<void> => {
      for (const c of allowed) {
        if (!entry.pending.delete(c.request.id)) continue;
        await this.#deps.exchange.upstreamFailed(c, why);
        inject(errorResponse(c.request.id, ErrorCode.UpstreamUnavailable, `mcp-residency: ${why}`));
      }
    };
    let upstreamRes;
    try {
      // Not tied to the POST's own connection, which is already answered.
      upstreamRes = await this.#deps.upstream.request({ method: 'POST', path: entry.upstreamPath, headers: upstreamHeaders(scope.req), body: messages.body });
    } catch (err) {
      return failAll((err as Error).message);
    }
    upstreamRes.resume();
    if ((upstreamRes.statusCode ?? 500) >= 300) return failAll(`the server refused the message with HTTP ${upstreamRes.statusCode}`);
    await this.#deps.exchange.forwarded(messages, scope.caller.principal, scope.runtime, key, scope.started);
  }

  closeAll(): void {
    for (const entry of this.#entries.values()) entry.stream.end();
    this.#entries.clear();
  }
}
