// Forwarding to the MCP server in the same pod. Keep-alive connections (the server is on
// loopback and every request would otherwise pay a TCP handshake), a connect timeout so a
// dead server gives a prompt error instead of a hang, and cancellation when the client goes.
import http, { type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import https from 'node:https';

export interface UpstreamOptions {
  /** The MCP server's origin, e.g. http://127.0.0.1:8080; request paths are kept. */
  readonly origin: URL;
  readonly connectTimeoutMs?: number;
  /** How long to wait for response headers (a JSON reply to a slow tool call comes late). */
  readonly responseTimeoutMs?: number;
}

export class UpstreamError extends Error {
  readonly reason: 'connect' | 'timeout' | 'reset' | 'aborted';
  constructor(reason: UpstreamError['reason'], message: string) {
    super(message);
    this.reason = reason;
  }
}

export interface UpstreamRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: OutgoingHttpHeaders;
  readonly body?: Buffer | undefined;
  readonly signal?: AbortSignal;
}

export class Upstream {
  readonly origin: URL;
  readonly #agent: http.Agent;
  readonly #connectTimeoutMs: number;
  readonly #responseTimeoutMs: number;

  constructor(options: UpstreamOptions) {
    this.origin = options.origin;
    const Agent = options.origin.protocol === 'https:' ? https.Agent : http.Agent;
    this.#agent = new Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 256, scheduling: 'lifo' });
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 5_000;
    this.#responseTimeoutMs = options.responseTimeoutMs ?? 300_000;
  }

  request(req: UpstreamRequest): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const mod = this.origin.protocol === 'https:' ? https : http;
      const headers: OutgoingHttpHeaders = { ...req.headers, host: this.origin.host };
      if (req.body !== undefined) headers['content-length'] = req.body.length;
      const out = mod.request({
        protocol: this.origin.protocol,
        hostname: this.origin.hostname,
        port: this.origin.port,
        method: req.method,
        path: req.path,
        headers,
        agent: this.#agent,
      });
      let settled = false;
      const fail = (err: UpstreamError): void => {
        if (settled) return;
        settled = true;
        clearTimeout(responseTimer);
        out.destroy();
        reject(err);
      };
      const responseTimer = setTimeout(
        () => fail(new UpstreamError('timeout', `the MCP server at ${this.origin.origin} did not answer within ${this.#responseTimeoutMs / 1000}s`)),
        this.#responseTimeoutMs,
      );
      out.on('socket', (socket) => {
        if (!socket.connecting) return; // a reused keep-alive connection
        const timer = setTimeout(
          () => fail(new UpstreamError('connect', `cannot connect to the MCP server at ${this.origin.origin} within ${this.#connectTimeoutMs / 1000}s`)),
          this.#connectTimeoutMs,
        );
        socket.once('connect', () => clearTimeout(timer));
        socket.once('close', () => clearTimeout(timer));
      });
      out.on('response', (res) => {
        clearTimeout(responseTimer);
        settled = true;
        resolve(res);
      });
      out.on('error', (err: NodeJS.ErrnoException) => {
        const reason = err.code === 'ECONNREFUSED' || err.code === 'ENOTFOUND' || err.code === 'EHOSTUNREACH' ? 'connect' : 'reset';
        fail(new UpstreamError(reason, `the MCP server at ${this.origin.origin} is unreachable: ${err.code ?? err.message}`));
      });
      if (req.signal) {
        const onAbort = (): void => fail(new UpstreamError('aborted', 'the client went away'));
        if (req.signal.aborted) onAbort();
        else req.signal.addEventListener('abort', onAbort, { once: true });
        out.once('close', () => req.signal!.removeEventListener('abort', onAbort));
      }
      out.end(req.body);
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}
