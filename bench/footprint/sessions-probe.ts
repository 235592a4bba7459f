// What a proxy holds per open session, by kind: RSS, JS heap, off-heap (external) memory, and
// (with BENCH_SNAPSHOTS=DIR) the JS heap's growth by constructor from heap snapshots taken at
// one and at N open sessions. Runs the sidecar (from dist/) and the plain node-proxy baseline
// side by side in the same run. Knobs: BENCH_SESSIONS (default 1000), BENCH_SNAPSHOTS,
// BENCH_SIDECAR_NODE_FLAGS, BENCH_BASELINE_CLI (another build's dist/cli/main.js, measured in the
// same run as 'baseline': before and after a change).
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { stripTypeScriptTypes } from 'node:module';
import os from 'node:os';
import { join } from 'node:path';
import { DEMO_AGENT, startDemoIssuer } from '../../demo/issuer.ts';
import { writeBenchPolicy } from '../lib/policy.ts';
import { freePort } from '../../test/support/net.ts';
import { startProcess, table, waitForPort, type Proc } from '../lib/procs.ts';
import { holdSessions } from './hold-sessions.ts';

const sessionCount = Number(process.env.BENCH_SESSIONS ?? 1000);
const snapshots = process.env.BENCH_SNAPSHOTS;
const sidecarFlags = (process.env.BENCH_SIDECAR_NODE_FLAGS ?? '').split(' ').filter(Boolean);
const root = join(import.meta.dirname, '..', '..');
const here = import.meta.dirname;
const probe = join(here, 'heap-probe.ts');
const node = process.execPath;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Stats {
  readonly rss: number;
  readonly used: number;
  readonly external: number;
  readonly arrayBuffers: number;
}

interface Aggregate {
  count: number;
  bytes: number;
}

/** Self size and count by node type and name (the constructor, for objects). */
function byConstructor(file: string): Map<string, Aggregate> {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as { snapshot: { meta: { node_fields: string[]; node_types: [string[]] } }; nodes: number[]; strings: string[] };
  const fields = snap.snapshot.meta.node_fields;
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f));
  const types = snap.snapshot.meta.node_types[0];
  const out = new Map<string, Aggregate>();
  for (let i = 0; i < snap.nodes.length; i += fields.length) {
    const type = types[snap.nodes[i + typeAt!]!]!;
    const name = type === 'object' || type === 'native' || type === 'closure' ? snap.strings[snap.nodes[i + nameAt!]!]! : `(${type})`;
    const key = `${type === 'closure' ? 'closure ' : ''}${name.slice(0, 60)}`;
    const a = out.get(key) ?? { count: 0, bytes: 0 };
    a.count++;
    a.bytes += snap.nodes[i + sizeAt!]!;
    out.set(key, a);
  }
  return out;
}

function growth(before: string, after: string, n: number): string {
  const [a, b] = [byConstructor(before), byConstructor(after)];
  const rows = [...b].map(([k, v]) => ({ k, count: v.count - (a.get(k)?.count ?? 0), bytes: v.bytes - (a.get(k)?.bytes ?? 0) }));
  rows.sort((x, y) => y.bytes - x.bytes);
  const total = rows.reduce((s, r) => s + r.bytes, 0);
  return [
    `JS heap growth by constructor, per session (${n} sessions): ${(total / n).toFixed(0)} B`,
    table([['constructor', 'objects/session', 'bytes/session'], ...rows.slice(0, 40).map((r) => [r.k, (r.count / n).toFixed(2), (r.bytes / n).toFixed(0)])]),
  ].join('\n');
}

const dir = await mkdtemp(join(os.tmpdir(), 'bench-sessions-'));
const procs: Proc[] = [];
const issuer = await startDemoIssuer({ host: '127.0.0.1', port: 0 });
try {
  const audience = 'api://bench-mcp';
  const policy = await writeBenchPolicy(dir, { name: 'quiet', issuer: issuer.issuer, audience, noRules: true });
  const token = await issuer.token(DEMO_AGENT, audience);
  const spawn = (args: string[], env: NodeJS.ProcessEnv = {}): Proc => {
    const p = startProcess(node, args, { env });
    procs.push(p);
    return p;
  };
  const sessPort = await freePort();
  await waitForPort(sessPort, spawn([join(here, 'session-upstream.ts'), String(sessPort)]));

  const measure = async (name: string, port: number, probePort: number, auth: boolean, proc: Proc): Promise<string[]> => {
    const stats = async (snapshot: string): Promise<{ found: Stats; live: Stats }> => {
      await sleep(1500);
      // As found (what the footprint bench reads), then after a full collection (what is live).
      const found = (await (await fetch(`http://127.0.0.1:${probePort}/stats?gc=0`)).json()) as Stats;
      if (snapshots) await fetch(`http://127.0.0.1:${probePort}/snapshot?file=${join(snapshots, `${name}-${snapshot}.heapsnapshot`)}`);
      const live = (await (await fetch(`http://127.0.0.1:${probePort}/stats`)).json()) as Stats;
      if (process.env.BENCH_VERBOSE) console.error(name, snapshot, JSON.stringify({ found, live }));
      return { found, live };
    };
    (await holdSessions(port, auth ? token : undefined, 1))();
    const before = await stats('1');
    const release = await holdSessions(port, auth ? token : undefined, sessionCount);
    const after = await stats(String(sessionCount));
    release();
    await proc.stop();
    const mb = (k: 'found' | 'live'): string => ((after[k].rss - before[k].rss) / 1024 / 1024).toFixed(1);
    const per = (k: keyof Stats): string => ((after.live[k] - before.live[k]) / sessionCount / 1024).toFixed(1);
    if (snapshots) writeFileSync(join(snapshots, `${name}-growth.txt`), growth(join(snapshots, `${name}-1.heapsnapshot`), join(snapshots, `${name}-${sessionCount}.heapsnapshot`), sessionCount) + '\n');
    return [name, mb('found'), mb('live'), per('used'), per('external')];
  };

  const passthrough = join(dir, 'passthrough.mjs');
  writeFileSync(passthrough, stripTypeScriptTypes(readFileSync(join(root, 'bench', 'gateway', 'passthrough.ts'), 'utf8')));
  const [proxyPort, proxyProbe] = [await freePort(), await freePort()];
  const proxy = spawn(['--import', probe, passthrough, String(proxyPort), String(sessPort)], { BENCH_PROBE_PORT: String(proxyProbe) });
  await waitForPort(proxyPort, proxy);
  await waitForPort(proxyProbe, proxy);
  const proxyRow = await measure('node-proxy', proxyPort, proxyProbe, false, proxy);

  const sidecarRow = async (name: string, cli: string): Promise<string[]> => {
    const [port, admin, sideProbe] = [await freePort(), await freePort(), await freePort()];
    const sidecar = spawn(
      [...sidecarFlags, '--import', probe, cli, 'sidecar', '--policy', policy, '--upstream', `http://127.0.0.1:${sessPort}`, '--listen', `127.0.0.1:${port}`, '--admin-listen', `127.0.0.1:${admin}`, '--egress-listen', '127.0.0.1:0', '--transparent-listen', '127.0.0.1:0', '--audit-dir', join(dir, `audit-${name}`), '--log-level', 'warn'],
      { BENCH_PROBE_PORT: String(sideProbe) },
    );
    await waitForPort(sideProbe, sidecar);
    for (let i = 0; (await fetch(`http://127.0.0.1:${admin}/readyz`).then((r) => r.status, () => 0)) !== 200; i++) {
      if (i > 300) throw new Error('the sidecar is not ready after 15 s');
      await sleep(50);
    }
    return measure(name, port, sideProbe, true, sidecar);
  };
  const baseline = process.env.BENCH_BASELINE_CLI;
  const rows = [proxyRow, ...(baseline ? [await sidecarRow('baseline', baseline)] : []), await sidecarRow('sidecar', join(root, 'dist', 'cli', 'main.js'))];
  console.log(table([[`${sessionCount} open sessions`, 'RSS MB added (as found)', 'RSS MB added (live, after a GC)', 'JS heap KB/session', 'external KB/session'], ...rows]));
  if (snapshots) console.log(`heap growth by constructor: ${snapshots}/*-growth.txt`);
} finally {
  for (const p of procs.reverse()) await p.stop();
  await issuer.close();
  await rm(dir, { recursive: true, force: true });
}
