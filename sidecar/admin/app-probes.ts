// Kubelet HTTP probes of the app, through the admin port. With capture on, every connection from
// outside the pod to the MCP port lands in the MCP gateway, which asks for a token the kubelet
// does not have. So the injector rewrites an app's httpGet probe on that port to
// GET /app-health/<container>/<livez|readyz|startupz> on 15090 (as Istio does through its agent),
// and hands the original probe to the sidecar in MCP_RESIDENCY_APP_PROBES; this route makes
// exactly that request to the app on loopback and answers with its status. Only the probes the
// injector declared are reachable: the admin port is no back door to the app.
import http from '../../lib/node-http.ts';
import https from 'node:https';
import type { AdminRoute } from './server.ts';

export const APP_PROBES_ENV = 'MCP_RESIDENCY_APP_PROBES';
export const APP_HEALTH_PREFIX = '/app-health/';

/** The parts of a kubelet httpGet action that reach the app (host is always loopback here). */
export interface AppProbe {
  readonly port: number;
  readonly path: string;
  readonly scheme?: 'HTTP' | 'HTTPS';
  readonly httpHeaders?: readonly { readonly name: string; readonly value: string }[];
}

/** admin path -> the app's original probe */
export type AppProbes = Readonly<Record<string, AppProbe>>;

export const appHealthPath = (container: string, kind: 'livez' | 'readyz' | 'startupz'): string => `${APP_HEALTH_PREFIX}${container}/${kind}`;

/** Throws naming what is wrong: the value comes from the pod spec via the injector. */
export function parseAppProbes(text: string): AppProbes {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new Error(`${APP_PROBES_ENV} is not JSON`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`${APP_PROBES_ENV} must be an object of admin path -> probe`);
  for (const [path, p] of Object.entries(v as Record<string, unknown>)) {
    const probe = p as Partial<AppProbe> | null;
    const portOk = typeof probe?.port === 'number' && Number.isInteger(probe.port) && probe.port >= 1 && probe.port <= 65535;
    if (!path.startsWith(APP_HEALTH_PREFIX) || !portOk || typeof probe?.path !== 'string' || !probe.path.startsWith('/')) {
      throw new Error(`${APP_PROBES_ENV}: ${JSON.stringify(path)} needs an /app-health/ path, a port and a path starting with /`);
    }
  }
  return v as AppProbes;
}

const PROBE_TIMEOUT_MS = 10_000;

export function appProbeRoute(probes: AppProbes): AdminRoute {
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (!path.startsWith(APP_HEALTH_PREFIX)) return false;
    const probe = Object.hasOwn(probes, path) ? probes[path] : undefined;
    if (req.method !== 'GET' || probe === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('no such app probe\n');
      return true;
    }
    const headers: Record<string, string> = { 'user-agent': req.headers['user-agent'] ?? 'kube-probe' };
    for (const h of probe.httpHeaders ?? []) headers[h.name.toLowerCase()] = h.value;
    return new Promise<boolean>((resolve) => {
      // HTTPS probes: the kubelet does not verify the app's certificate, and neither does this.
      const send = probe.scheme === 'HTTPS' ? https.request : http.request;
      const r = send({ host: '127.0.0.1', port: probe.port, path: probe.path, method: 'GET', headers, timeout: PROBE_TIMEOUT_MS, rejectUnauthorized: false }, (up) => {
        up.resume();
        up.on('end', () => {
          res.writeHead(up.statusCode ?? 502, { 'content-type': 'text/plain' }).end(`app probe: ${up.statusCode}\n`);
          resolve(true);
        });
      });
      r.on('timeout', () => r.destroy(new Error('timed out')));
      r.on('error', (err) => {
        if (!res.headersSent) res.writeHead(503, { 'content-type': 'text/plain' }).end(`app probe failed: ${err.message}\n`);
        resolve(true);
      });
      r.end();
    });
  };
}
