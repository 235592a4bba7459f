// Connection pools to upstreams, one per trust configuration: the system's CAs, or those plus
// a configured bundle (a private endpoint's CA). Connections are keyed by the checked address
// they were opened to (node's agent names a pool by host, port and servername), so a pooled
// connection is only reused for a request pinned to the same address.
import { createHash } from 'node:crypto';
import type { Agent } from 'node:http';
import http from '../../lib/node-http.ts';
import https from 'node:https';
import tls from 'node:tls';

const AGENT_OPTIONS = { keepAlive: true, maxSockets: 256, maxFreeSockets: 64, scheduling: 'lifo', timeout: 60_000 } as const;

export class AgentPool {
  readonly #http = new http.Agent(AGENT_OPTIONS);
  readonly #https = new Map<string, https.Agent>();

  /** extraCa: PEM text of CAs trusted on top of the system's, or undefined for the system's alone. */
  get(protocol: string, extraCa: string | undefined): Agent {
    if (protocol !== 'https:') return this.#http;
    const key = extraCa === undefined ? '' : createHash('sha256').update(extraCa).digest('hex');
    let agent = this.#https.get(key);
    if (agent === undefined) {
      agent = new https.Agent({
        ...AGENT_OPTIONS,
        minVersion: 'TLSv1.2',
        // A prepared context rather than `ca`: node names pools by concatenating `ca` into a
        // string on every request, which for the system bundle costs more than the request.
        ...(extraCa !== undefined ? { secureContext: tls.createSecureContext({ ca: [...tls.getCACertificates('default'), extraCa], minVersion: 'TLSv1.2' }) } : {}),
      });
      // A policy change can leave bundles unused; a handful of pools is cheap, many are not.
      if (this.#https.size >= 32) this.#evictOne();
      this.#https.set(key, agent);
    }
    return agent;
  }

  #evictOne(): void {
    // Not destroyed: its requests in flight finish, its idle connections time out.
    const key = this.#https.keys().next().value as string;
    this.#https.delete(key);
  }

  destroy(): void {
    this.#http.destroy();
    for (const agent of this.#https.values()) agent.destroy();
    this.#https.clear();
  }
}
