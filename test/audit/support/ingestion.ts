// A local Application Insights ingestion endpoint (Breeze): receives the exporter's real
// requests (POST /v2.1/track, a JSON array of envelopes) and answers as scripted, with
// {itemsReceived, itemsAccepted, errors}. It can go down (refusing connections) and come back
// on the same port, like an endpoint during an outage.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

export interface Envelope {
  name: string;
  iKey: string;
  time: string;
  tags: Record<string, string>;
  data: { baseType: string; baseData: { name: string; properties: Record<string, string> } };
}

export interface Answer {
  status: number;
  headers?: Record<string, string>;
  /** Per-item failures for 206/400: index into the request's envelopes. */
  errors?: { index: number; statusCode: number; message?: string }[];
  /** Wait before answering (ms); the items still count as accepted if the answer says so. */
  delayMs?: number;
}

export interface TrackRequest {
  readonly at: number;
  readonly method: string;
  readonly url: string;
  readonly contentType: string | undefined;
  readonly raw: string;
  readonly envelopes: Envelope[];
  readonly answer: Answer;
  readonly authorization: string | undefined;
}

export interface IngestionOptions {
  /** Serve HTTPS with this certificate (what Entra ID authentication needs: no bearer over http). */
  readonly tls?: { readonly certPem: string; readonly keyPem: string };
  /** Answer 401 (as Azure Monitor does with local authentication disabled) unless this accepts the Authorization header. */
  readonly authorize?: (authorization: string | undefined) => boolean;
}

export type Responder = (envelopes: Envelope[], n: number) => Answer;

export const ok: Responder = () => ({ status: 200 });

export class IngestionServer {
  readonly requests: TrackRequest[] = [];
  /** Envelopes the endpoint acknowledged (200, or 206 minus its errors), in arrival order. */
  readonly accepted: Envelope[] = [];
  respond: Responder = ok;
  #server: Server | undefined;
  #port = 0;
  readonly #o: IngestionOptions;

  constructor(options: IngestionOptions = {}) {
    this.#o = options;
  }

  get url(): string {
    return `${this.#o.tls ? 'https' : 'http'}://127.0.0.1:${this.#port}`;
  }

  static async start(options: IngestionOptions = {}): Promise<IngestionServer> {
    const s = new IngestionServer(options);
    await s.up();
    return s;
  }

  async up(): Promise<void> {
    const handler = (req: IncomingMessage, res: ServerResponse): void => void this.#handle(req, res);
    const tls = this.#o.tls;
    const server: Server = tls ? createTlsServer({ cert: tls.certPem, key: tls.keyPem }, handler) : createServer(handler);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#port, '127.0.0.1', () => resolve());
    });
    this.#port = (server.address() as AddressInfo).port;
    this.#server = server;
  }

  /** Stops listening and drops open connections: clients get ECONNREFUSED / ECONNRESET. */
  async down(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  close(): Promise<void> {
    return this.down();
  }

  /** Seq property of every accepted envelope. */
  acceptedSeqs(): number[] {
    return this.accepted.map((e) => Number(e.data.baseData.properties.seq));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let raw = '';
    req.setEncoding('utf8');
    for await (const chunk of req) raw += chunk as string;
    let envelopes: Envelope[];
    try {
      envelopes = JSON.parse(raw) as Envelope[];
    } catch {
      envelopes = [];
    }
    const authorization = req.headers.authorization;
    const answer: Answer =
      this.#o.authorize && !this.#o.authorize(authorization) ? { status: 401, errors: envelopes.map((_, index) => ({ index, statusCode: 401, message: 'unauthorized' })) } : this.respond(envelopes, this.requests.length);
    this.requests.push({ at: Date.now(), method: req.method ?? '', url: req.url ?? '', contentType: req.headers['content-type'], raw, envelopes, answer, authorization });
    const failed = new Set((answer.errors ?? []).map((e) => e.index));
    if (answer.status === 200 || answer.status === 206) envelopes.forEach((e, i) => !failed.has(i) && this.accepted.push(e));
    if (answer.delayMs) await new Promise((r) => setTimeout(r, answer.delayMs));
    const body = {
      itemsReceived: envelopes.length,
      itemsAccepted: answer.status === 200 || answer.status === 206 ? envelopes.length - failed.size : 0,
      errors: (answer.errors ?? []).map((e) => ({ index: e.index, statusCode: e.statusCode, message: e.message ?? 'failed' })),
    };
    if (res.destroyed) return;
    res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
    res.end(JSON.stringify(body));
  }
}
