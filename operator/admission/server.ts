// The HTTPS server the API server calls. It starts with the first serving certificate and
// swaps certificates in place (server.setSecureContext) when the TLS manager loads new ones:
// connections already open keep their handshake, new ones get the new certificate.
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../lib/log.ts';
import { readBody } from '../../sidecar/http/body.ts';
import type { ServingCertificate } from '../tls/manager.ts';
import { BadReviewError, parseReview, reviewOf, type AdmissionRequest, type AdmissionResponse } from './review.ts';

export type AdmissionHandler = (req: AdmissionRequest) => Promise<AdmissionResponse>;

export interface WebhookServerOptions {
  readonly host: string;
  readonly port: number;
  /** path -> handler, e.g. /mutate/pods */
  readonly routes: Readonly<Record<string, AdmissionHandler>>;
  readonly logger: Logger;
  /** an AdmissionReview carries the object and the old object; pods can be large */
  readonly maxBodyBytes?: number;
  /** called after each answered review */
  readonly observe?: (path: string, seconds: number) => void;
}

export class WebhookServer {
  readonly #o: WebhookServerOptions;
  #server: Server | undefined;
  #starting: Promise<void> | undefined;

  constructor(options: WebhookServerOptions) {
    this.#o = options;
  }

  get listening(): boolean {
    return this.#server?.listening ?? false;
  }

  port(): number | undefined {
    return (this.#server?.address() as AddressInfo | null)?.port;
  }

  /** Starts on the first certificate; hot-swaps on later ones. */
  async useCertificate(cert: ServingCertificate): Promise<void> {
    if (this.#server) {
      this.#server.setSecureContext({ cert: cert.certPem, key: cert.keyPem });
      return this.#starting;
    }
    const server = createServer({ cert: cert.certPem, key: cert.keyPem, minVersion: 'TLSv1.2' }, (req, res) => void this.#handle(req, res));
    // The API server holds connections open and reuses them; idle ones may go after a while.
    server.keepAliveTimeout = 60_000;
    server.headersTimeout = 15_000;
    server.requestTimeout = 30_000;
    this.#server = server;
    this.#starting = new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#o.port, this.#o.host, () => {
        server.off('error', reject);
        this.#o.logger.info('webhook server listening', { address: `${this.#o.host}:${this.port()}` });
        resolve();
      });
    });
    return this.#starting;
  }

  /** Stops accepting, lets reviews in flight finish (up to graceMs), then closes what is left. */
  async close(graceMs = 5000): Promise<void> {
    const s = this.#server;
    if (!s) return;
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => s.closeAllConnections(), graceMs);
      force.unref();
      s.close(() => (clearTimeout(force), resolve()));
      s.closeIdleConnections();
    });
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0] ?? '';
    const route = this.#o.routes[path];
    const send = (status: number, body: unknown): void => {
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    if (!route) return send(404, { error: `no webhook at ${path}; try ${Object.keys(this.#o.routes).join(' or ')}` });
    if (req.method !== 'POST') return send(405, { error: 'POST an AdmissionReview' });
    let body: unknown;
    try {
      body = JSON.parse((await readBody(req, this.#o.maxBodyBytes ?? 16 * 1024 * 1024)).toString('utf8'));
    } catch (err) {
      return send(400, { error: `cannot read the AdmissionReview: ${(err as Error).message}` });
    }
    const t0 = process.hrtime.bigint();
    let request: AdmissionRequest;
    try {
      request = parseReview(body);
    } catch (err) {
      return send(400, { error: err instanceof BadReviewError ? err.message : String(err) });
    }
    try {
      const response = await route(request);
      send(200, reviewOf(response));
    } catch (err) {
      // A bug must not become an allowed pod: answer with a denial that says what broke.
      this.#o.logger.error('webhook handler failed', { path, error: err });
      send(200, reviewOf({ uid: request.uid, allowed: false, status: { code: 500, reason: 'InternalError', message: `mcp-residency webhook failed: ${(err as Error).message}` } }));
    } finally {
      this.#o.observe?.(path, Number(process.hrtime.bigint() - t0) / 1e9);
    }
  }
}
