// A tiny stand-in for the API server's list and watch of one resource, for the watch edge cases
// a real API server will not produce on demand: a 410 Gone, a watch that goes silent, a watch
// the server ends, bookmarks, 5xx. Objects carry resourceVersions from one counter, and a watch
// from resourceVersion N replays what happened after N, as the real watch cache does.
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KubeObject, WatchEventType } from '../../kube/types.ts';
import { createCa, issueServing } from '../../operator/tls/pki.ts';

export type WatchMode = 'stream' | 'silent' | 'gone' | 'error500';

interface Recorded {
  rv: number;
  type: WatchEventType;
  object: KubeObject;
}

export class FakeApiServer {
  readonly objects = new Map<string, KubeObject>();
  readonly history: Recorded[] = [];
  /** events older than this resourceVersion are gone (compacted) */
  compactedBefore = 0;
  rv = 1;
  mode: WatchMode = 'stream';
  lists = 0;
  readonly watchRequests: URLSearchParams[] = [];
  readonly #open = new Set<ServerResponse>();
  #server!: Server;
  ca = '';

  static async start(): Promise<FakeApiServer> {
    const f = new FakeApiServer();
    const now = new Date();
    const ca = await createCa('fake-apiserver-ca', 3_600_000, now);
    const serving = await issueServing(ca, ['127.0.0.1'], 3_600_000, now);
    f.ca = ca.certPem;
    f.#server = createServer({ cert: serving.certPem, key: serving.keyPem }, (req, res) => f.#handle(req, res));
    await new Promise<void>((resolve) => f.#server.listen(0, '127.0.0.1', resolve));
    return f;
  }

  get url(): string {
    return `https://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  get openWatches(): number {
    return this.#open.size;
  }

  /** Makes a change, as a write to the API server would, and tells open watches. */
  write(type: 'ADDED' | 'MODIFIED' | 'DELETED', name: string, data: Record<string, unknown> = {}): void {
    const rv = ++this.rv;
    const object: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'ns', resourceVersion: String(rv) }, ...data };
    if (type === 'DELETED') this.objects.delete(name);
    else this.objects.set(name, object);
    const rec = { rv, type, object };
    this.history.push(rec);
    for (const res of this.#open) res.write(`${JSON.stringify({ type, object })}\n`);
  }

  bookmark(): void {
    const object = { kind: 'ConfigMap', apiVersion: 'v1', metadata: { resourceVersion: String(++this.rv) } };
    for (const res of this.#open) res.write(`${JSON.stringify({ type: 'BOOKMARK', object })}\n`);
  }

  /** Ends every open watch the way the API server does at its timeoutSeconds. */
  closeWatches(): void {
    for (const res of this.#open) res.end();
    this.#open.clear();
  }

  /** Forgets history up to now: watches from older resourceVersions get 410 Gone. */
  compact(): void {
    this.compactedBefore = this.rv + 1;
  }

  async close(): Promise<void> {
    for (const res of this.#open) res.destroy();
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', this.url);
    const q = url.searchParams;
    if (q.get('watch') !== '1' && q.get('watch') !== 'true') {
      this.lists++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'ConfigMapList', metadata: { resourceVersion: String(this.rv) }, items: [...this.objects.values()] }));
      return;
    }
    this.watchRequests.push(q);
    if (this.mode === 'error500') {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', status: 'Failure', code: 500, reason: 'InternalError', message: 'etcd is unhappy' }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.flushHeaders();
    if (this.mode === 'silent') {
      this.#silent.add(res);
      return;
    }
    const from = Number(q.get('resourceVersion') ?? '0');
    if (this.mode === 'gone' || from < this.compactedBefore - 1) {
      res.end(`${JSON.stringify({ type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 410, reason: 'Expired', message: `too old resource version: ${from}` } })}\n`);
      return;
    }
    for (const e of this.history) if (e.rv > from) res.write(`${JSON.stringify({ type: e.type, object: e.object })}\n`);
    this.#open.add(res);
    res.on('close', () => this.#open.delete(res));
  }

  readonly #silent = new Set<ServerResponse>();
}
