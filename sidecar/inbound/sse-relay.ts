// Relays an SSE stream from the MCP server to the client event by event: each event's JSON-RPC
// message is inspected and rewritten as it arrives, never the whole stream buffered. Event ids
// (resumption), retry hints and comments (keep-alives) pass through unchanged.
import type { ServerResponse } from 'node:http';
import type { UpstreamResponse } from './upstream.ts';
import { once } from 'node:events';
import { SseParser, serializeEvent, type SseEvent } from '../sse/index.ts';
import { forwardableHeaders } from '../http/headers.ts';
import { malformedReason, type JsonRpcMessage } from './jsonrpc.ts';

export interface SseRelayHandlers {
  /** The message as the client may see it; undefined drops the event. */
  onMessage(message: JsonRpcMessage): Promise<JsonRpcMessage | undefined>;
  /** Data that is not a JSON-RPC message (masked as text by the caller). */
  onText(text: string): string;
  /** The legacy transport's `endpoint` event: returns the URL the client should post to. */
  onEndpoint?(data: string): string;
}

export interface SseRelayOptions {
  readonly maxEventBytes: number;
  /** Extra response headers, e.g. a session id. */
  readonly headers?: Record<string, string>;
  /** The client's stream is already open (a held call kept it alive): write into it. */
  readonly reply?: SseReply;
}

const SSE_HEADERS = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache, no-transform',
  // Proxies in front of the sidecar must not hold events back either.
  'x-accel-buffering': 'no',
} as const;

/**
 * An SSE answer the gateway opens itself, before the server has answered: a call held for
 * approval can take minutes, and a client waiting on a silent connection gives up. Comments
 * keep it alive; a client that asked for progress gets notifications/progress.
 */
export class SseReply {
  readonly res: ServerResponse;
  #timer: NodeJS.Timeout | undefined;

  constructor(res: ServerResponse, headers: Record<string, string> = {}) {
    this.res = res;
    res.writeHead(200, { ...SSE_HEADERS, ...headers });
    res.flushHeaders();
  }

  async send(message: JsonRpcMessage): Promise<void> {
    if (this.res.destroyed) return;
    if (!this.res.write(serializeEvent({ event: 'message', data: JSON.stringify(message) }))) await once(this.res, 'drain');
  }

  /** Until stopped: a progress notification per token (or a comment) every `everyMs`. */
  keepAlive(progressTokens: readonly (string | number)[], message: string, everyMs = 10_000): void {
    let progress = 0;
    const tick = (): void => {
      progress++;
      if (progressTokens.length === 0) this.res.write(serializeEvent({ comments: [message] }));
      for (const progressToken of progressTokens) void this.send({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken, progress, message } });
    };
    tick();
    this.#timer = setInterval(tick, everyMs);
    this.#timer.unref();
  }

  stopKeepAlive(): void {
    clearInterval(this.#timer);
  }

  end(): void {
    this.stopKeepAlive();
    if (!this.res.destroyed) this.res.end();
  }
}

export async function relaySse(upstream: UpstreamResponse, res: ServerResponse, handlers: SseRelayHandlers, options: SseRelayOptions): Promise<void> {
  if (options.reply === undefined) {
    const headers = forwardableHeaders(upstream.headers, ['content-length', 'content-encoding', 'content-type']);
    res.writeHead(upstream.statusCode ?? 200, { ...headers, ...options.headers, ...SSE_HEADERS });
    res.flushHeaders();
  }
  const parser = new SseParser({ maxEventSize: options.maxEventBytes });
  const write = async (event: SseEvent): Promise<void> => {
    const out = await transform(event, handlers);
    if (out === undefined || res.destroyed) return;
    if (!res.write(serializeEvent(out))) await once(res, 'drain');
  };
  try {
    for await (const chunk of upstream) {
      for (const event of parser.push(chunk as Buffer)) await write(event);
      if (res.destroyed) break;
    }
    const last = parser.end();
    if (last !== undefined) await write(last);
  } finally {
    if (!res.destroyed) res.end();
    upstream.destroy();
  }
}

async function transform(event: SseEvent, handlers: SseRelayHandlers): Promise<SseEvent | undefined> {
  if (event.data === undefined || event.data === '') return event; // priming events, comments, retry hints
  if (event.event === 'endpoint' && handlers.onEndpoint) return { ...event, data: handlers.onEndpoint(event.data) };
  let parsed: unknown;
  try {
    parsed = JSON.parse(event.data);
  } catch {
    return { ...event, data: handlers.onText(event.data) };
  }
  if (Array.isArray(parsed)) {
    // A 2025-03-26 batch: each message on its own.
    const out: JsonRpcMessage[] = [];
    for (const m of parsed) {
      if (malformedReason(m) !== undefined) continue;
      const safe = await handlers.onMessage(m as JsonRpcMessage);
      if (safe !== undefined) out.push(safe);
    }
    return out.length === 0 ? undefined : { ...event, data: JSON.stringify(out) };
  }
  if (malformedReason(parsed) !== undefined) return { ...event, data: handlers.onText(event.data) };
  const safe = await handlers.onMessage(parsed as JsonRpcMessage);
  return safe === undefined ? undefined : { ...event, data: JSON.stringify(safe) };
}
