// Audit log throughput and append latency per durability policy, with concurrent appenders,
// on the disk under the temp directory (set TMPDIR to measure another one); then the inbound
// MCP gateway's tools/call latency with audit off (a sink that writes nothing) and on, in the
// same run, against the demo's sample server.
//
//   node_modules/.bin/node bench/audit/run.ts [--quick] [--seconds N]
import { mkdtempSync, openSync, closeSync, fdatasyncSync, rmSync, writeSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startSampleServer } from '../../demo/sample-server.ts';
import { silentLogger } from '../../lib/log.ts';
import { parsePolicies } from '../../policy/load.ts';
import type { ApprovalHook } from '../../sidecar/approvals/hook.ts';
import { openAuditLog, type AuditLog, type Durability } from '../../sidecar/audit/log.ts';
import type { AuditEntry } from '../../sidecar/audit/record.ts';
import type { AuditSink } from '../../sidecar/inbound/exchange.ts';
import { Gateway } from '../../sidecar/inbound/gateway.ts';
import { Upstream } from '../../sidecar/inbound/upstream.ts';
import { createMetrics } from '../../sidecar/admin/metrics.ts';
import { buildRuntime } from '../../sidecar/policy/runtime.ts';
import { percentile } from '../lib/stats.ts';

/** The benchmark's policy holds no calls; a held call would simply be refused. */
const noApprovals: ApprovalHook = { ask: () => Promise.resolve({ outcome: 'unavailable', reason: 'no approvals in this benchmark' }) };

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, seconds: { type: 'string' } } });
const SECONDS = Number(values.seconds ?? (values.quick ? 0.5 : 2));
const CONCURRENCY = values.quick ? [1, 32] : [1, 8, 64];
const POLICIES: { label: string; durability: Durability }[] = [
  { label: 'fsync (default)', durability: { mode: 'fsync' } },
  { label: 'group 2 ms', durability: { mode: 'group', intervalMs: 2 } },
  { label: 'group 5 ms', durability: { mode: 'group', intervalMs: 5 } },
  { label: 'group 20 ms', durability: { mode: 'group', intervalMs: 20 } },
];

/** A typical mcp record: a masked tool call of about 600 bytes on disk. */
function entry(i: number): AuditEntry {
  return {
    kind: 'mcp',
    principal: { sub: 'agent-7', issuer: 'https://login.example.com/tenant/v2.0', groups: ['agents'] },
    decision: 'allow',
    method: 'tools/call',
    tool: 'crm_lookup',
    policy: { name: 'eu-crm', generation: 3 },
    session: 'b3c1f0d2',
    requestId: i,
    durationMs: 12.5,
    masked: { EMAIL: 1, PHONE: 1 },
    payload: { arguments: { customer: '[EMAIL_3fa9c2d1]', phone: '[PHONE_b071ea56]', query: 'open orders of the last 30 days', limit: 20 } },
  };
}

interface Row {
  readonly name: string;
  readonly cells: Readonly<Record<string, string>>;
}

const ms = (v: number): string => (v < 1 ? v.toFixed(2) : v < 10 ? v.toFixed(1) : v.toFixed(0));

/** fdatasync latency of the disk itself: the floor of any policy that waits for durability. */
function diskSync(dir: string): Row {
  const fd = openSync(join(dir, 'sync-probe'), 'w');
  const buf = Buffer.alloc(600, 120);
  const times: number[] = [];
  const end = performance.now() + SECONDS * 500;
  while (performance.now() < end) {
    writeSync(fd, buf);
    const t0 = performance.now();
    fdatasyncSync(fd);
    times.push(performance.now() - t0);
  }
  closeSync(fd);
  times.sort((a, b) => a - b);
  const cells = { 'c=1 rec/s': String(Math.round(times.length / (SECONDS / 2))), 'c=1 p50/p99 ms': `${ms(percentile(times, 50))}/${ms(percentile(times, 99))}` };
  return { name: 'disk alone: 600 B write + fdatasync', cells };
}

async function durabilitySection(root: string): Promise<{ title: string; rows: Row[] }> {
  const rows: Row[] = [diskSync(root)];
  for (const { label, durability } of POLICIES) {
    const cells: Record<string, string> = {};
    for (const c of CONCURRENCY) {
      const dir = mkdtempSync(join(root, 'log-'));
      const log = await openAuditLog({ dir, durability });
      const latencies: number[] = [];
      let n = 0;
      const end = performance.now() + SECONDS * 1000;
      const worker = async (): Promise<void> => {
        while (performance.now() < end) {
          const t0 = performance.now();
          await log.append(entry(n++));
          latencies.push(performance.now() - t0);
        }
      };
      const t0 = performance.now();
      await Promise.all(Array.from({ length: c }, worker));
      const elapsed = (performance.now() - t0) / 1000;
      await log.close();
      rmSync(dir, { recursive: true, force: true });
      latencies.sort((a, b) => a - b);
      cells[`c=${c} rec/s`] = String(Math.round(latencies.length / elapsed));
      cells[`c=${c} p50/p99 ms`] = `${ms(percentile(latencies, 50))}/${ms(percentile(latencies, 99))}`;
    }
    rows.push({ name: label, cells });
  }
  return { title: `Audit append: records per second and append latency (c = concurrent appenders, ${SECONDS}s each)`, rows };
}

function print(section: { title: string; rows: Row[] }): void {
  const columns = [...new Set(section.rows.flatMap((r) => Object.keys(r.cells)))];
  const nameWidth = Math.max(...section.rows.map((r) => r.name.length));
  const widths = columns.map((c) => Math.max(c.length, ...section.rows.map((r) => (r.cells[c] ?? '').length)));
  console.log(`\n${section.title}\n`);
  console.log(`${''.padEnd(nameWidth)}  ${columns.map((c, i) => c.padStart(widths[i]!)).join('  ')}`);
  for (const r of section.rows) console.log(`${r.name.padEnd(nameWidth)}  ${columns.map((c, i) => (r.cells[c] ?? '').padStart(widths[i]!)).join('  ')}`);
}

const GATEWAY_POLICY = `apiVersion: mcpresidency.io/v1alpha1
kind: MCPResidencyPolicy
metadata: { name: bench }
spec:
  authentication: { mode: none }
  masking: { mode: redact }
`;

/** tools/call through the real gateway (masking a customer record on the way back) to the sample server. */
async function gatewaySection(root: string): Promise<{ title: string; rows: Row[] }> {
  const upstream = await startSampleServer('streamable-json');
  const { policies } = parsePolicies(GATEWAY_POLICY, 'bench-policy.yaml');
  const runtime = await buildRuntime(policies[0]!, { secretsDir: undefined, logger: silentLogger });
  const off: AuditSink = { append: () => Promise.resolve(undefined), health: () => ({ ok: true }) };
  const configs: { label: string; open: () => Promise<{ sink: AuditSink; log?: AuditLog }> }[] = [
    { label: 'audit off (no-op sink)', open: () => Promise.resolve({ sink: off }) },
    ...POLICIES.filter((p) => p.durability.mode === 'fsync' || p.durability.intervalMs === 5).map((p) => ({
      label: `audit on, ${p.label}`,
      open: async () => {
        const log = await openAuditLog({ dir: mkdtempSync(join(root, 'gw-')), durability: p.durability });
        return { sink: log, log };
      },
    })),
  ];
  const rows: Row[] = [];
  try {
    for (const config of configs) {
      const { sink, log } = await config.open();
      const gateway = new Gateway({
        upstream: new Upstream({ origin: new URL(upstream.origin) }),
        policy: () => ({ ok: true, runtime }),
        audit: sink,
        metrics: createMetrics({ defaultMetrics: false }),
        logger: silentLogger,
        approvals: noApprovals,
      });
      const server = http.createServer(gateway.handle);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`);
      const cells: Record<string, string> = {};
      for (const c of values.quick ? [1, 8] : [1, 8, 32]) {
        const clients = await Promise.all(
          Array.from({ length: c }, async () => {
            const client = new Client({ name: 'bench', version: '1.0.0' });
            await client.connect(new StreamableHTTPClientTransport(url));
            return client;
          }),
        );
        for (const client of clients) await client.callTool({ name: 'get_customer', arguments: { id: '42' } });
        const latencies: number[] = [];
        const end = performance.now() + SECONDS * 1000;
        const t0 = performance.now();
        await Promise.all(
          clients.map(async (client) => {
            while (performance.now() < end) {
              const s = performance.now();
              await client.callTool({ name: 'get_customer', arguments: { id: '42' } });
              latencies.push(performance.now() - s);
            }
          }),
        );
        const elapsed = (performance.now() - t0) / 1000;
        for (const client of clients) await client.close();
        latencies.sort((a, b) => a - b);
        cells[`c=${c} calls/s`] = String(Math.round(latencies.length / elapsed));
        cells[`c=${c} p50/p99 ms`] = `${ms(percentile(latencies, 50))}/${ms(percentile(latencies, 99))}`;
      }
      rows.push({ name: config.label, cells });
      await gateway.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await log?.close();
    }
  } finally {
    await upstream.close();
  }
  return { title: `MCP gateway tools/call (c = concurrent clients, each with its own session; ${SECONDS}s each)`, rows };
}

const root = mkdtempSync(join(tmpdir(), 'mrp-audit-bench-'));
try {
  console.log(`node ${process.version}, temp dir ${root}`);
  print(await durabilitySection(root));
  print(await gatewaySection(root));
} finally {
  rmSync(root, { recursive: true, force: true });
}
