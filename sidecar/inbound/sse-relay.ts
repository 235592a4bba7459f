// Relays an SSE stream from the MCP server to the client event by event: each event's JSON-RPC
// message is inspected and rewritten as it arrives, never the whole stream buffered. Every field
// is a channel: data must be strict JSON-RPC (else the event is replaced by an error naming
// why), comments are dropped, the event type is the sidecar's own ("message"), and an event id
// that holds personal data is replaced by one of the sidecar's own, mapped back when the
// client resumes with Last-Event-ID. Retry hints (numbers) pass.
import type { ServerResponse } from 'node:http';
import type { UpstreamResponse } from './upstream.ts';
import { once } from 'node:events';
import { SseParser, serializeEvent, type SseEvent } from '../sse/index.ts';
import { randomUUID } from 'node:crypto';
import type { JsonRpcMessage } from './jsonrpc.ts';
import { readReplyText, type Withheld } from './replies.ts';

export interface SseRelayHandlers {
  /** The message as the client may see it; undefined drops the event. */
  onMessage(message: JsonRpcMessage): Promise<JsonRpcMessage | undefined>;
  /** Data that is not strict JSON-RPC: what the client gets instead (undefined drops the event). */
  onUnreadable(withheld: Withheld): Promise<JsonRpcMessage | undefined>;
  /** Masks an event id. */
  maskText(this: void, text: string): string;
  /** The legacy transport's `endpoint` event: returns the URL the client should post to. */
  onEndpoint?(data: string): string;
}

export interface SseRelayOptions {
  readonly maxEventBytes: number;
  /** Extra response headers, e.g. a session id. */
  readonly headers?: Record<string, string>;
  /** The client's stream is already open (a held call kept it alive): write into it. */
  readonly reply?: SseReply;
  /** Where ids replaced by the sidecar's own are remembered for resumption. */
  readonly eventIds: EventIds;
  /** The response headers the server may pass (already allow-listed and masked). */
  readonly passed?: Record<string, string>;
}

/**
 * Event ids the sidecar replaced because they held personal data: its own id -> the server's,
 * so a client resuming with Last-Event-ID resumes where the server expects. Bounded: the
 * oldest are forgotten first (a client resuming from one of those starts afresh).
 */
export class EventIds {
  readonly #ids = new Map<string, string>();
  readonly #max: number;

  constructor(max = 10_000) {
    this.#max = max;
  }

  /** The id the client gets for the server's `id`. */
  outgoing(id: string, maskText: (t: string) => string): string {
    if (id === '' || maskText(id) === id) return id;
    const own = `mcpr-${randomUUID()}`;
    if (this.#ids.size >= this.#max) this.#ids.delete(this.#ids.keys().next().value!);
    this.#ids.set(own, id);
    return own;
  }

  /** The server's id for a Last-Event-ID the client sends. */
  incoming(id: string): string {
    return this.#ids.get(id) ?? id;
  }
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
    res.writeHead(upstream.statusCode ?? 200, { ...options.passed, ...options.headers, ...SSE_HEADERS });
    res.flushHeaders();
  }
  const parser = new SseParser({ maxEventSize: options.maxEventBytes });
  const write = async (event: SseEvent): Promise<void> => {
    const out = await transform(event, handlers, options.eventIds);
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

async function transform(raw: SseEvent, handlers: SseRelayHandlers, ids: EventIds): Promise<SseEvent | undefined> {
  // Comments never reach the client, and the event type is the sidecar's own.
  const event: { id?: string; retry?: number; comments: string[] } = { comments: [] };
  if (raw.id !== undefined) event.id = ids.outgoing(raw.id, handlers.maskText);
  if (raw.retry !== undefined) event.retry = raw.retry;
  // Priming events (an id and empty data) and retry hints.
  if (raw.data === undefined || raw.data === '') return event.id === undefined && event.retry === undefined && raw.data === undefined ? undefined : { ...event, ...(raw.data === '' ? { data: '' } : {}) };
  if (raw.event === 'endpoint' && handlers.onEndpoint) return { ...event, event: 'endpoint', data: handlers.onEndpoint(raw.data) };
  const read = readReplyText(raw.data);
  if ('withheld' in read) {
    const instead = await handlers.onUnreadable(read.withheld);
    return instead === undefined ? undefined : { ...event, event: 'message', data: JSON.stringify(instead) };
  }
  const out: JsonRpcMessage[] = [];
  for (const m of read.messages) {
    const safe = await handlers.onMessage(m);
    if (safe !== undefined) out.push(safe);
  }
  if (out.length === 0) return undefined;
  // A 2025-03-26 batch stays a batch.
  return { ...event, event: 'message', data: JSON.stringify(read.batch ? out : out[0]) };
}
