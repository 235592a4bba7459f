// A stand-in LLM provider over HTTPS: OpenAI-compatible (chat completions, responses,
// embeddings) and Anthropic-compatible (messages), streaming and not. The "model" echoes the
// user's text back ("Echo: <text>"), streamed in small deltas that split masking tokens, so a
// test knows exactly what the real model would have said about the real values. It counts
// every TCP connection and byte it receives, so a refused call can be shown to send nothing.
import https from 'node:https';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { TestPki } from './pki.ts';

export interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface FakeProviderOptions {
  /** Characters per streamed delta. */
  readonly chunk?: number;
  /** Milliseconds between streamed deltas. */
  readonly delayMs?: number;
}

export class FakeProvider {
  readonly received: Received[] = [];
  tcpConnections = 0;
  tcpBytes = 0;
  /** Per-path overrides: a test installs a handler for a path. */
  readonly routes = new Map<string, (req: IncomingMessage, res: ServerResponse, body: string) => void>();
  chunk: number;
  delayMs: number;
  readonly #server: https.Server;
  readonly #sockets = new Set<Socket>();
  port = 0;

  constructor(pki: TestPki, options: FakeProviderOptions = {}) {
    this.chunk = options.chunk ?? 3;
    this.delayMs = options.delayMs ?? 0;
    this.#server = https.createServer({ cert: pki.certPem, key: pki.keyPem }, (req, res) => void this.#handle(req, res));
    this.#server.on('connection', (socket: Socket) => {
      this.tcpConnections++;
      this.#sockets.add(socket);
      socket.on('data', (d: Buffer) => (this.tcpBytes += d.length));
      socket.on('close', () => this.#sockets.delete(socket));
    });
  }

  /** On a free loopback port, or where a network namespace test puts it. */
  async start(host = '127.0.0.1', port = 0): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(port, host, resolve));
    this.port = (this.#server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  reset(): void {
    this.received.length = 0;
    this.tcpConnections = 0;
    this.tcpBytes = 0;
    this.routes.clear();
  }

  /** Everything the provider received, as one string (for "no raw value arrived" checks). */
  everything(): string {
    return this.received.map((r) => `${r.method} ${r.url}\n${JSON.stringify(r.headers)}\n${r.body}`).join('\n');
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    this.received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
    const path = (req.url ?? '').split('?')[0]!;
    const custom = this.routes.get(path);
    if (custom !== undefined) return custom(req, res, body);
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(body) as Record<string, unknown>;
    } catch {
      // not JSON: handled per route
    }
    if (path.endsWith('/chat/completions')) return this.#chat(json, res);
    if (path.endsWith('/responses')) return this.#responses(json, res);
    if (path.endsWith('/embeddings')) return this.#embeddings(json, res);
    if (path.endsWith('/messages')) return this.#anthropic(json, res);
    if (path.endsWith('/text')) {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      return this.#stream(res, `Echo: ${body}`.match(new RegExp(`[\\s\\S]{1,${this.chunk}}`, 'gu')) ?? [], (p) => p, '');
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: `no route ${path}` } }));
  }

  #pieces(text: string): string[] {
    return text.match(new RegExp(`[\\s\\S]{1,${this.chunk}}`, 'gu')) ?? [];
  }

  async #stream(res: ServerResponse, pieces: readonly string[], frame: (piece: string) => string, tail: string): Promise<void> {
    for (const p of pieces) {
      if (res.destroyed) return;
      res.write(frame(p));
      if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    }
    res.end(tail);
  }

  #chat(body: Record<string, unknown>, res: ServerResponse): Promise<void> | void {
    const text = `Echo: ${lastUserText(body.messages)}`;
    const base = { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: String(body.model) };
    const withTool = Array.isArray(body.tools) && body.tools.length > 0;
    const args = JSON.stringify({ echo: lastUserText(body.messages) });
    if (body.stream !== true) {
      const message = withTool
        ? { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'lookup', arguments: args } }] }
        : { role: 'assistant', content: text };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion', created: 1, model: body.model, choices: [{ index: 0, message, finish_reason: withTool ? 'tool_calls' : 'stop' }] }));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const sse = (o: unknown): string => `data: ${JSON.stringify(o)}\n\n`;
    res.write(sse({ ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] }));
    const frame = withTool
      ? (p: string) => sse({ ...base, choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: p } }] }, finish_reason: null }] })
      : (p: string) => sse({ ...base, choices: [{ index: 0, delta: { content: p }, finish_reason: null }] });
    const tail = sse({ ...base, choices: [{ index: 0, delta: {}, finish_reason: withTool ? 'tool_calls' : 'stop' }] }) + 'data: [DONE]\n\n';
    return this.#stream(res, this.#pieces(withTool ? args : text), frame, tail);
  }

  #responses(body: Record<string, unknown>, res: ServerResponse): Promise<void> | void {
    const text = `Echo: ${typeof body.input === 'string' ? body.input : lastUserText(body.input)}`;
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    let seq = 0;
    const ev = (type: string, o: Record<string, unknown>): string => `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq++, ...o })}\n\n`;
    const ids = { item_id: 'msg_1', output_index: 0, content_index: 0 };
    res.write(ev('response.created', { response: { id: 'resp_1', status: 'in_progress', output: [] } }));
    res.write(ev('response.output_item.added', { output_index: 0, item: { id: 'msg_1', type: 'message', role: 'assistant', content: [] } }));
    return this.#stream(
      res,
      this.#pieces(text),
      (p) => ev('response.output_text.delta', { ...ids, delta: p, logprobs: [] }),
      ev('response.output_text.done', { ...ids, text }) +
        ev('response.completed', { response: { id: 'resp_1', status: 'completed', output: [{ id: 'msg_1', type: 'message', role: 'assistant', content: [{ type: 'output_text', text }] }] } }),
    );
  }

  #embeddings(body: Record<string, unknown>, res: ServerResponse): void {
    const inputs = Array.isArray(body.input) ? body.input : [body.input];
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ object: 'list', data: inputs.map((_, i) => ({ object: 'embedding', index: i, embedding: [0.1, 0.2] })), model: body.model }));
  }

  #anthropic(body: Record<string, unknown>, res: ServerResponse): Promise<void> | void {
    const text = `Echo: ${lastUserText(body.messages)}`;
    if (body.stream !== true) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: 'msg_1', type: 'message', role: 'assistant', model: body.model, content: [{ type: 'text', text }], stop_reason: 'end_turn' }));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const ev = (type: string, o: Record<string, unknown>): string => `event: ${type}\ndata: ${JSON.stringify({ type, ...o })}\n\n`;
    res.write(ev('message_start', { message: { id: 'msg_1', type: 'message', role: 'assistant', content: [], model: body.model } }));
    res.write(ev('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }));
    return this.#stream(
      res,
      this.#pieces(text),
      (p) => ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: p } }),
      ev('content_block_stop', { index: 0 }) + ev('message_delta', { delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 5 } }) + ev('message_stop', {}),
    );
  }
}

/** The text of the last user message: a string content, or its text parts joined. */
export function lastUserText(messages: unknown): string {
  if (!Array.isArray(messages)) return '';
  const users = messages.filter((m): m is Record<string, unknown> => typeof m === 'object' && m !== null && (m as { role?: unknown }).role === 'user');
  const last = users.at(-1);
  if (last === undefined) return '';
  const c = last.content;
  if (typeof c === 'string') return c;
  if (Array.isArray(c)) {
    return c
      .map((p: unknown) => (typeof p === 'object' && p !== null && typeof (p as { text?: unknown }).text === 'string' ? (p as { text: string }).text : ''))
      .join('');
  }
  return '';
}
