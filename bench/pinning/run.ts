// What tool pinning costs one tools/list, beside the same list without it, in the same run:
//   1. in process, CPU per answer: the gateway's screening of a tools/list result (masking and
//      rule filtering) with pinning off, and with pinning enforce where every tool is pinned
//      (fingerprint = canonical JSON + SHA-256 per tool, pin lookup), for the sample server's
//      6 tools and for 60 tools;
//   2. end to end, wall time per tools/list from a v1 SDK client through a sidecar to the
//      sample server, pinning off and enforce alternating round by round.
//
//   node_modules/.bin/node bench/pinning/run.ts [--quick]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from '../../sidecar/admin/prometheus.ts';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startSampleServer } from '../../demo/sample-server.ts';
import { silentLogger } from '../../lib/log.ts';
import { validatePolicy } from '../../policy/validate.ts';
import type { ResolvedPolicy } from '../../policy/types.ts';
import { MaskReport } from '../../sidecar/masking/engine.ts';
import { protectServerMessage, type Engines } from '../../sidecar/inbound/messages.ts';
import type { JsonRpcResult } from '../../sidecar/inbound/jsonrpc.ts';
import { FilePinStore } from '../../sidecar/pinning/file-store.ts';
import { fingerprint, toolDefinition } from '../../sidecar/pinning/fingerprint.ts';
import { ToolPinning } from '../../sidecar/pinning/guard.ts';
import { livePins } from '../../sidecar/pinning/live.ts';
import { buildRuntime } from '../../sidecar/policy/runtime.ts';
import { startSidecar } from '../../sidecar/main.ts';
import { percentile } from '../lib/stats.ts';

const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 5 : 15;
const PER_ROUND = quick ? 40 : 100;

function policy(mode: string, pins: { name: string; fingerprint: string }[]): ResolvedPolicy {
  const { policy: p, problems } = validatePolicy({
    apiVersion: 'mcpresidency.io/v1alpha1',
    kind: 'MCPResidencyPolicy',
    metadata: { name: 'bench' },
    spec: { authentication: { mode: 'none' }, tools: { pinning: mode, pins, rules: [{ name: 'delete_*', action: 'deny' }] } },
  });
  if (!p) throw new Error(JSON.stringify(problems));
  return p;
}

function cpuSeconds(): number {
  const u = process.threadCpuUsage();
  return (u.user + u.system) / 1e6;
}

/** Median CPU seconds per call over rounds, after a warm-up. */
async function timeCpu(fn: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 2000; i++) await fn();
  const samples: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const c0 = cpuSeconds();
    for (let i = 0; i < PER_ROUND * 10; i++) await fn();
    samples.push((cpuSeconds() - c0) / (PER_ROUND * 10));
  }
  return samples.sort((a, b) => a - b)[Math.floor(samples.length / 2)]!;
}

async function inProcess(tools: unknown[], label: string): Promise<void> {
  const message: JsonRpcResult = { jsonrpc: '2.0', id: 1, result: { tools } };
  const ctxOf = async (mode: string, pins: { name: string; fingerprint: string }[]): Promise<{ policy: ResolvedPolicy; engines: Engines }> => {
    const runtime = await buildRuntime(policy(mode, pins), { secretsDir: undefined, logger: silentLogger });
    return { policy: runtime.policy, engines: runtime.engines };
  };
  const off = await ctxOf('off', []);
  const pinning = new ToolPinning({ store: new FilePinStore(join(tmpdir(), 'unused-pins.json'), () => ''), audit: { append: () => Promise.resolve(), health: () => ({ ok: true }) }, registry: new Registry(), logger: silentLogger });
  // Pins of exactly these definitions: the steady state, where every tool passes.
  const pins = tools.map((t) => ({ name: toolDefinition(t)!.name, fingerprint: fingerprint(toolDefinition(t)!) }));
  const on = await ctxOf('enforce', pins);
  const context = { method: 'tools/list', groups: [] };
  const withoutPins = await timeCpu(() => Promise.resolve(protectServerMessage(message, context, off.engines, new MaskReport())));
  const withPins = await timeCpu(async () => {
    const { result } = await pinning.screenList(message.result, { policy: on.policy, masker: on.engines.masker, principal: { sub: 'bench' }, session: undefined });
    return protectServerMessage({ ...message, result }, context, on.engines, new MaskReport());
  });
  // A definition met for the first time (or changed) is fingerprinted from scratch: canonical JSON + SHA-256.
  const firstSight = await timeCpu(() => Promise.resolve(tools.map((t) => fingerprint(toolDefinition(t)!))));
  const us = (s: number): string => `${(s * 1e6).toFixed(1)} µs`;
  console.log(`  ${label.padEnd(28)} off ${us(withoutPins).padStart(10)}   enforce ${us(withPins).padStart(10)}   +${us(withPins - withoutPins)} per list   ratio ${(withPins / withoutPins).toFixed(2)}`);
  console.log(`  ${''.padEnd(28)} fingerprinting every tool from scratch (first sight or changed): ${us(firstSight)} per list`);
}

async function endToEnd(): Promise<void> {
  const server = await startSampleServer('streamable');
  const dir = await mkdtemp(join(tmpdir(), 'bench-pinning-'));
  const pins = await livePins(new URL(server.url));
  const yaml = (mode: string): string =>
    `apiVersion: mcpresidency.io/v1alpha1\nkind: MCPResidencyPolicy\nmetadata: { name: bench }\nspec:\n  authentication: { mode: none }\n  tools:\n    pinning: ${mode}\n    pins: ${JSON.stringify(pins)}\n`;
  const { writeFile } = await import('node:fs/promises');
  const clients: Record<string, Client> = {};
  const sidecars = [];
  for (const mode of ['off', 'enforce']) {
    const file = join(dir, `${mode}.yaml`);
    await writeFile(file, yaml(mode));
    const loop = { host: '127.0.0.1', port: 0 };
    const s = await startSidecar({ policyFile: file, upstream: new URL(server.origin), listen: loop, egressListen: loop, adminListen: loop, auditDir: join(dir, `audit-${mode}`) }, { logger: silentLogger });
    sidecars.push(s);
    const c = new Client({ name: `bench-${mode}`, version: '1' });
    await c.connect(new StreamableHTTPClientTransport(new URL(`${s.urls.mcp}/mcp`)));
    clients[mode] = c;
  }
  const lat: Record<string, number[]> = { off: [], enforce: [] };
  for (let r = 0; r < ROUNDS + 2; r++) {
    for (const mode of r % 2 === 0 ? ['off', 'enforce'] : ['enforce', 'off']) {
      for (let i = 0; i < PER_ROUND; i++) {
        const t0 = performance.now();
        const { tools } = await clients[mode]!.listTools();
        if (tools.length !== 6) throw new Error(`${mode}: expected 6 visible tools, got ${tools.length}`);
        if (r >= 2) lat[mode]!.push(performance.now() - t0);
      }
    }
  }
  for (const c of Object.values(clients)) await c.close();
  for (const s of sidecars) await s.close();
  await server.close();
  await rm(dir, { recursive: true, force: true });
  const row = (mode: string): number[] => {
    const sorted = lat[mode]!.sort((a, b) => a - b);
    return [percentile(sorted, 50), percentile(sorted, 99)];
  };
  const [offP50, offP99] = row('off');
  const [onP50, onP99] = row('enforce');
  console.log(`  tools/list over HTTP, ${lat.off!.length} lists each (SDK client -> sidecar -> sample server, 6 tools)`);
  console.log(`    pinning off      p50 ${offP50!.toFixed(3)} ms   p99 ${offP99!.toFixed(3)} ms`);
  console.log(`    pinning enforce  p50 ${onP50!.toFixed(3)} ms   p99 ${onP99!.toFixed(3)} ms   p50 ratio ${(onP50! / offP50!).toFixed(2)}`);
}

const server = await startSampleServer('streamable');
const direct = new Client({ name: 'bench', version: '1' });
await direct.connect(new StreamableHTTPClientTransport(new URL(server.url)));
const sample = (await direct.listTools()).tools as unknown[];
await direct.close();
await server.close();
const sixty = Array.from({ length: 10 }, (_, k) => sample.map((t) => ({ ...(t as object), name: `${(t as { name: string }).name}_${k}` }))).flat();

console.log('tool pinning: one tools/list answer, CPU in process (median)');
await inProcess(sample, 'sample server (6 tools)');
await inProcess(sixty, '60 tools');
console.log('tool pinning: end to end');
await endToEnd();
