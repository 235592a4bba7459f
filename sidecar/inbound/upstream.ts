// Forwarding to the MCP server in the same pod, on an undici connection pool: keep-alive
// connections (the server is on loopback; a TCP handshake per request would dominate), about a
// third less CPU per request than node:http's client, a connect timeout so a dead server gives
// a prompt error instead of a hang, no body timeout (SSE streams are quiet for long), and
// cancellation when the client goes away.
//
// undici loads with the first request, not at start-up: it adds about 13 MB to an idle
// sidecar's RSS (issue 17), and a pod whose MCP server is never called never needs it. A
// failure to load it fails that request (502), as an unreachable server would.
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type * as Undici from 'undici';

type Pool = Undici.Pool;
let undici: Promise<typeof Undici> | undefined;
/** undici, imported once; a failed import is retried by the next request. */
function loadUndici(): Promise<typeof Undici> {
  undici ??= import('undici').catch((err: unknown) => {
    undici = undefined;
    throw err;
  });
  return undici;
}

export interface UpstreamOptions {
  /** The MCP server's origin, e.g. http://127.0.0.1:8080; request paths are kept. */
  readonly origin: URL;
  readonly connectTimeoutMs?: number;
  /** How long to wait for response headers (a JSON reply to a slow tool call comes late). */
  readonly responseTimeoutMs?: number;
}

export class UpstreamError extends Error {
  readonly reason: 'connect' | 'timeout' | 'reset' | 'aborted';
  constructor(reason: UpstreamError['reason'], message: string, cause?: unknown) {
    super(message, { cause });
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

/** The answer: its body as a stream, with the status and headers on it. */
export type UpstreamResponse = Readable & { readonly statusCode: number; readonly headers: IncomingHttpHeaders };

export class Upstream {
  readonly origin: URL;
  readonly #options: UpstreamOptions;
  #pool: Pool | undefined;
  #errors: typeof Undici.errors | undefined;
  #closed = false;

  constructor(options: UpstreamOptions) {
    this.origin = options.origin;
    this.#options = options;
  }

  async #connect(): Promise<Pool> {
    const client = await loadUndici();
    if (this.#closed) throw new UpstreamError('aborted', 'the sidecar is shutting down');
    this.#errors = client.errors;
    this.#pool ??= new client.Pool(this.origin.origin, {
      connect: { timeout: this.#options.connectTimeoutMs ?? 5_000 },
      headersTimeout: this.#options.responseTimeoutMs ?? 300_000,
      bodyTimeout: 0,
      pipelining: 1,
    });
    return this.#pool;
  }

  async request(req: UpstreamRequest): Promise<UpstreamResponse> {
    try {
      const pool = this.#pool ?? (await this.#connect());
      const res = await pool.request({
        method: req.method,
        path: req.path,
        headers: req.headers as Record<string, string | string[]>,
        body: req.body ?? null,
        ...(req.signal ? { signal: req.signal } : {}),
      });
      return Object.assign(res.body, { statusCode: res.statusCode, headers: res.headers });
    } catch (err) {
      throw this.#explain(err);
    }
  }

  #explain(err: unknown): UpstreamError {
    if (err instanceof UpstreamError) return err;
    const at = `the MCP server at ${this.origin.origin}`;
    const undiciErrors = this.#errors;
    if (undiciErrors === undefined) return new UpstreamError('connect', `cannot reach ${at}: the HTTP client did not load: ${(err as Error).message}`, err);
    if (err instanceof undiciErrors.RequestAbortedError || (err as Error).name === 'AbortError') return new UpstreamError('aborted', 'the client went away', err);
    if (err instanceof undiciErrors.ConnectTimeoutError) return new UpstreamError('connect', `cannot connect to ${at} in time`, err);
    if (err instanceof undiciErrors.HeadersTimeoutError) return new UpstreamError('timeout', `${at} did not answer in time`, err);
    const code = (err as NodeJS.ErrnoException).code ?? ((err as { cause?: NodeJS.ErrnoException }).cause?.code);
    const reason = code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH' ? 'connect' : 'reset';
    return new UpstreamError(reason, `${at} is unreachable: ${code ?? (err as Error).message}`, err);
  }

  close(): void {
    this.#closed = true;
    void this.#pool?.destroy();
  }
}
