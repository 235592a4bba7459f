// The admin port (15090): liveness, readiness with the reason for every part that is not
// ready, and Prometheus metrics. Kubelet probes and scrapers talk to it, never agents.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import http from '../../lib/node-http.ts';
import type { Readiness } from './readiness.ts';
import type { SidecarMetrics } from './metrics.ts';

export type AdminRoute = (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;

export function createAdminServer(readiness: Readiness, metrics: SidecarMetrics, extra: AdminRoute[] = []): Server {
  return http.createServer((req, res) => {
    void (async () => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method === 'GET' && path === '/healthz') {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      } else if (req.method === 'GET' && path === '/readyz') {
        const report = readiness.report();
        res.writeHead(report.ready ? 200 : 503, { 'content-type': 'application/json' }).end(`${JSON.stringify(report)}\n`);
      } else if (req.method === 'GET' && path === '/metrics') {
        const body = await metrics.registry.metrics();
        res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(body);
      } else {
        for (const route of extra) if (await route(req, res)) return;
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      }
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
}
