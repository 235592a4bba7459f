// The egress gateway on a real port with a real policy (validated and resolved like the
// sidecar's), real masking (pseudonymize, key from a Secret file), an in-memory audit sink
// that can be made to fail, captured logs, and fake providers behind made-up host names that
// a test resolver points at 127.0.0.1 (or at addresses that must be refused).
import http from 'node:http';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../../lib/log.ts';
import { validatePolicy } from '../../../policy/validate.ts';
import type { AuditEntry } from '../../../sidecar/audit/record.ts';
import { EgressGateway, type EgressLimits, type ResolvedAddress } from '../../../sidecar/egress/gateway.ts';
import type { HealthState } from '../../../sidecar/admin/readiness.ts';
import { createMetrics, type SidecarMetrics } from '../../../sidecar/admin/metrics.ts';
import { buildRuntime, type PolicyState } from '../../../sidecar/policy/runtime.ts';
import { FakeProvider } from './fake-provider.ts';
import { createTestPki, type TestPki } from './pki.ts';

export const OPENAI_KEY = 'sk-test-SECRETopenai0123456789abcdef';
export const ANTHROPIC_KEY = 'sk-ant-test-SECRETanthropic9876543210';

export class MemoryAudit {
  readonly entries: AuditEntry[] = [];
  healthy = true;
  failAppend = false;

  append(entry: AuditEntry): Promise<unknown> {
    if (this.failAppend) return Promise.reject(new Error('disk full'));
    this.entries.push(structuredClone(entry));
    return Promise.resolve();
  }

  health(): HealthState {
    return this.healthy ? { ok: true } : { ok: false, reason: 'audit directory not writable' };
  }

  last(): AuditEntry {
    const e = this.entries.at(-1);
    if (e === undefined) throw new Error('no audit entry');
    return e;
  }
}

export interface HarnessOptions {
  readonly mode?: 'redact' | 'pseudonymize';
  readonly tunnels?: 'allow' | 'deny';
  readonly payloads?: 'masked' | 'metadata';
  readonly limits?: Partial<EgressLimits>;
  readonly chunk?: number;
  readonly delayMs?: number;
  /** egress.destinations of the policy (non-LLM services). */
  readonly destinations?: ReadonlyArray<Record<string, unknown>>;
}

export interface Harness {
  readonly gateway: EgressGateway;
  readonly origin: string;
  readonly port: number;
  readonly audit: MemoryAudit;
  readonly metrics: SidecarMetrics;
  readonly openai: FakeProvider;
  readonly anthropic: FakeProvider;
  readonly us: FakeProvider;
  readonly pki: TestPki;
  readonly secretsDir: string;
  readonly resolver: Map<string, ResolvedAddress[]>;
  /** The test resolver as a function (names not in `resolver` fail like an unknown name). */
  readonly resolve: (host: string) => Promise<ResolvedAddress[]>;
  readonly logger: Logger;
  policyState: PolicyState;
  logs(): string;
  close(): Promise<void>;
}

let pkiCache: Promise<{ main: TestPki; other: TestPki }> | undefined;

/** Two CAs: the main one (trusted through extraCa) and one only the anthropic upstream's caSecret trusts. */
export function testPkis(): Promise<{ main: TestPki; other: TestPki }> {
  pkiCache ??= (async () => ({
    main: await createTestPki(['api.openai.example', 'api.us.example', 'api.saas.example', 'api.saas-us.example', 'metadata.example', 'internal.example', 'rebind.example', 'localhost', '127.0.0.1']),
    other: await createTestPki(['api.anthropic.example', 'untrusted.example'], 'private endpoint CA'),
  }))();
  return pkiCache;
}

export function policyYaml(ports: { openai: number; anthropic: number; us: number }, o: HarnessOptions): Record<string, unknown> {
  return {
    apiVersion: 'mcpresidency.io/v1alpha1',
    kind: 'MCPResidencyPolicy',
    metadata: { name: 'egress-test', namespace: 'agents', generation: 3 },
    spec: {
      authentication: { mode: 'none' },
      masking: { mode: o.mode ?? 'pseudonymize', ...((o.mode ?? 'pseudonymize') === 'pseudonymize' ? { keySecret: { name: 'masking-key', key: 'key' } } : {}) },
      audit: { payloads: o.payloads ?? 'masked' },
      egress: {
        allowedRegions: ['eu'],
        tunnels: o.tunnels ?? 'allow',
        ...(o.destinations !== undefined ? { destinations: o.destinations } : {}),
        upstreams: [
          {
            name: 'openai',
            url: `https://api.openai.example:${ports.openai}`,
            region: 'westeurope',
            credential: { secretName: 'openai-key', key: 'api-key', header: 'Authorization', scheme: 'Bearer' },
            allowPrivateAddresses: true,
          },
          {
            name: 'anthropic',
            url: `https://api.anthropic.example:${ports.anthropic}`,
            region: 'swedencentral',
            credential: { secretName: 'anthropic-key', key: 'key', header: 'x-api-key' },
            caSecret: { name: 'private-ca', key: 'ca.crt' },
            allowPrivateAddresses: true,
          },
          { name: 'azure-us', url: `https://api.us.example:${ports.us}`, region: 'eastus', allowPrivateAddresses: true },
          { name: 'metadata', url: `https://metadata.example:${ports.openai}`, region: 'westeurope', allowPrivateAddresses: true },
          { name: 'internal', url: `https://internal.example:${ports.openai}`, region: 'westeurope' },
          { name: 'rebind', url: `https://rebind.example:${ports.openai}`, region: 'westeurope' },
          { name: 'untrusted', url: `https://untrusted.example:${ports.anthropic}`, region: 'westeurope', allowPrivateAddresses: true },
          { name: 'local', url: `https://127.0.0.1:${ports.openai}/v1`, region: 'northeurope' },
        ],
      },
    },
  };
}

export async function startHarness(o: HarnessOptions = {}): Promise<Harness> {
  const pkis = await testPkis();
  const openai = await new FakeProvider(pkis.main, { chunk: o.chunk ?? 3, delayMs: o.delayMs ?? 0 }).start();
  const anthropic = await new FakeProvider(pkis.other, { chunk: o.chunk ?? 3, delayMs: o.delayMs ?? 0 }).start();
  const us = await new FakeProvider(pkis.main).start();

  const secretsDir = mkdtempSync(join(tmpdir(), 'egress-secrets-'));
  const put = (name: string, key: string, value: string): void => {
    mkdirSync(join(secretsDir, name), { recursive: true });
    writeFileSync(join(secretsDir, name, key), value);
  };
  put('openai-key', 'api-key', `${OPENAI_KEY}\n`);
  put('anthropic-key', 'key', ANTHROPIC_KEY);
  put('masking-key', 'key', 'test-masking-key-0123456789abcdef');
  put('private-ca', 'ca.crt', pkis.other.caPem);

  let logText = '';
  const out = new Writable({
    write(chunk: Buffer, _enc, done) {
      logText += chunk.toString('utf8');
      done();
    },
  });
  const logger = createLogger({ level: 'debug', format: 'json', out });
  const validation = validatePolicy(policyYaml({ openai: openai.port, anthropic: anthropic.port, us: us.port }, o));
  if (validation.policy === undefined) throw new Error(`test policy invalid: ${JSON.stringify(validation.problems)}`);
  const runtime = await buildRuntime(validation.policy, { secretsDir, logger });

  const local: ResolvedAddress[] = [{ address: '127.0.0.1', family: 4 }];
  const resolver = new Map<string, ResolvedAddress[]>([
    ['api.openai.example', local],
    ['api.anthropic.example', local],
    ['api.us.example', local],
    ['untrusted.example', local],
    ['metadata.example', [{ address: '169.254.169.254', family: 4 }]],
    ['internal.example', [{ address: '10.0.0.1', family: 4 }]],
    ['rebind.example', [{ address: '93.184.216.34', family: 4 }, { address: '127.0.0.1', family: 4 }]],
  ]);
  const audit = new MemoryAudit();
  const metrics = createMetrics({ defaultMetrics: false });
  const state: { policyState: PolicyState } = { policyState: { ok: true, runtime } };
  const resolve = (host: string): Promise<ResolvedAddress[]> => {
    const a = resolver.get(host);
    if (a === undefined) return Promise.reject(Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' }));
    return Promise.resolve(a);
  };
  const gateway = new EgressGateway({
    policy: () => state.policyState,
    audit,
    metrics,
    logger,
    secretsDir,
    extraCa: pkis.main.caPem,
    resolver: resolve,
    ...(o.limits !== undefined ? { limits: o.limits } : {}),
  });
  const server = http.createServer(gateway.handleRequest);
  server.on('connect', gateway.handleConnect);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    gateway,
    origin: `http://127.0.0.1:${port}`,
    port,
    audit,
    metrics,
    openai,
    anthropic,
    us,
    pki: pkis.main,
    secretsDir,
    resolver,
    resolve,
    logger,
    get policyState(): PolicyState {
      return state.policyState;
    },
    set policyState(s: PolicyState) {
      state.policyState = s;
    },
    logs: () => logText,
    close: async () => {
      gateway.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all([openai.stop(), anthropic.stop(), us.stop()]);
      rmSync(secretsDir, { recursive: true, force: true });
    },
  };
}

export interface Answer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly text: string;
  readonly json: () => Record<string, unknown>;
}

/** One request to the gateway; `target` is a path (named route) or an absolute URI (proxy). */
export function request(h: Harness, method: string, target: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const req = http.request(
      {
        host: '127.0.0.1',
        port: h.port,
        method,
        path: target,
        agent: false,
        headers: {
          ...(payload !== undefined ? { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json', 'content-length': String(Buffer.byteLength(payload)) } : {}),
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) as Record<string, unknown> });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** The data payloads of an event stream's events, parsed as JSON where they are. */
export function sseData(text: string): Array<{ event: string | undefined; data: string; json: Record<string, unknown> | undefined }> {
  return text
    .split(/\n\n/u)
    .filter((b) => b.trim() !== '')
    .map((block) => {
      const lines = block.split('\n');
      const event = lines.find((l) => l.startsWith('event: '))?.slice(7);
      const data = lines
        .filter((l) => l.startsWith('data: '))
        .map((l) => l.slice(6))
        .join('\n');
      let json: Record<string, unknown> | undefined;
      try {
        json = JSON.parse(data) as Record<string, unknown>;
      } catch {
        json = undefined;
      }
      return { event, data, json };
    });
}
