// bench/footprint: what one sidecar costs each pod it is injected into, next to what a bare Node
// process and a plain Node proxy cost on the same machine in the same run, so the ratios hold
// on any machine:
//   idle RSS        a policy that ships nothing, and one that ships to Azure Monitor
//   start-up        process spawn to /healthz and to /readyz (file policy)
//   RSS at load     peak RSS while wrk saturates each proxy
//   open sessions   RSS added by N idle sessions, each holding an open GET stream
//   allocation      bytes V8 allocates per 1 KB tools/call (masking and audit on), from V8's own
//                   per-GC heap statistics (gc-meter.ts, preloaded)
// The sidecar runs from dist/ (`make build`), as it does in the image.
// Goals (issue 17): idle <= 60 MB (<= 80 MB shipping), load <= 150 MB, 1,000 sessions add <= 50 MB,
// ready <= 300 ms, <= 20 KB allocated per call.
// Knobs: BENCH_SECONDS (saturation phase, default 5), BENCH_SESSIONS (default 1000), BENCH_CALLS
// (default 5000), BENCH_SIDECAR_NODE_FLAGS (extra Node/V8 flags for the sidecar), BENCH_HEAP_PROFILE=FILE
// (the sidecar's allocation sites during the allocation phase, ranked by bytes, written to FILE).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { stripTypeScriptTypes } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { DEMO_AGENT, startDemoIssuer } from '../../demo/issuer.ts';
import { writeBenchPolicy } from '../lib/policy.ts';
import { freePort } from '../../test/support/net.ts';
import { saturation, type HttpTarget } from '../lib/load.ts';
import { startProcess, table, waitForPort, type Proc } from '../lib/procs.ts';
import { percentile } from '../lib/stats.ts';
import { debianTool } from '../lib/tools.ts';
import { holdSessions } from './hold-sessions.ts';

const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const sessionCount = Number(process.env.BENCH_SESSIONS ?? 1000);
const callCount = Number(process.env.BENCH_CALLS ?? 5000);
const sidecarFlags = (process.env.BENCH_SIDECAR_NODE_FLAGS ?? '').split(' ').filter(Boolean);
const root = join(import.meta.dirname, '..', '..');
const cli = join(root, 'dist', 'cli', 'main.js');
const node = process.execPath;
const here = import.meta.dirname;
const meter = join(here, 'gc-meter.ts');
if (!existsSync(cli)) throw new Error(`${cli} is missing: run 'make build' first (make bench-footprint does)`);

const MB = 1024 * 1024;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const rssOf = (proc: Proc): number => {
  const status = readFileSync(`/proc/${proc.child.pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/u.exec(status)![1]) * 1024;
};
const mb = (bytes: number): string => (bytes / MB).toFixed(1);

const wrkBin = await debianTool('wrk');
const dir = await mkdtemp(join(os.tmpdir(), 'bench-footprint-'));
const procs: Proc[] = [];
const issuer = await startDemoIssuer({ host: '127.0.0.1', port: 0 });
// Stands in for Azure Monitor's ingestion endpoint: it accepts connections and closes them, so the
// exporter loads and works as it would, and no traffic leaves the machine.
const sink = net.createServer((s) => s.destroy());
await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
const sinkPort = (sink.address() as net.AddressInfo).port;

const spawn = (args: string[], env: NodeJS.ProcessEnv = {}): Proc => {
  const proc = startProcess(node, args, { env });
  procs.push(proc);
  return proc;
};
const stop = async (proc: Proc): Promise<void> => {
  await proc.stop();
  procs.splice(procs.indexOf(proc), 1);
};
async function until(what: string, cond: () => Promise<boolean>, proc: Proc): Promise<void> {
  for (let i = 0; !(await cond()); i++) {
    if (proc.child.exitCode !== null) throw new Error(`${what}: the process exited with ${proc.child.exitCode}`);
    if (i > 3000) throw new Error(`${what}: not after 15 s`);
    await sleep(5);
  }
}
const status = async (url: string): Promise<number> => {
  try {
    return (await fetch(url)).status;
  } catch {
    return 0;
  }
};

try {
  const audience = 'api://bench-mcp';
  const quiet = await writeBenchPolicy(dir, { name: 'quiet', issuer: issuer.issuer, audience });
  const shipping = await writeBenchPolicy(dir, {
    name: 'shipping',
    issuer: issuer.issuer,
    audience,
    audit: 'azureMonitor: { connectionStringSecret: { name: appinsights, key: connectionString } }',
  });
  await mkdir(join(dir, 'secrets', 'appinsights'), { recursive: true });
  await writeFile(
    join(dir, 'secrets', 'appinsights', 'connectionString'),
    `InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://127.0.0.1:${sinkPort}/\n`,
  );

  let n = 0;
  const sidecar = async (policy: string, upstream: number, env: NodeJS.ProcessEnv = {}, preload: string[] = []): Promise<{ proc: Proc; port: number; admin: number; started: number; healthz: number; readyz: number }> => {
    const [port, admin] = [await freePort(), await freePort()];
    const started = performance.now();
    const proc = spawn(
      [...sidecarFlags, ...preload, cli, 'sidecar', '--policy', policy, '--upstream', `http://127.0.0.1:${upstream}`, '--listen', `127.0.0.1:${port}`, '--admin-listen', `127.0.0.1:${admin}`, '--egress-listen', '127.0.0.1:0', '--transparent-listen', '127.0.0.1:0', '--audit-dir', join(dir, `audit-${n++}`), '--secrets-dir', join(dir, 'secrets'), '--log-level', 'warn'],
      env,
    );
    await until('/healthz', async () => (await status(`http://127.0.0.1:${admin}/healthz`)) === 200, proc);
    const healthz = performance.now() - started;
    await until('/readyz', async () => (await status(`http://127.0.0.1:${admin}/readyz`)) === 200, proc);
    return { proc, port, admin, started, healthz, readyz: performance.now() - started };
  };
  const settledRss = async (proc: Proc): Promise<number> => {
    await sleep(1500);
    return rssOf(proc);
  };

  // The baselines run as plain JavaScript, as the sidecar does from dist/: Node's TypeScript
  // stripping would add its own tens of MB to a .ts baseline.
  const asJs = (file: string): string => {
    const out = join(dir, file.replace(/^.*\//u, '').replace(/\.ts$/u, '.mjs'));
    writeFileSync(out, stripTypeScriptTypes(readFileSync(file, 'utf8')));
    return out;
  };
  const passthrough = asJs(join(root, 'bench', 'gateway', 'passthrough.ts'));
  const jsonProxy = asJs(join(root, 'bench', 'gateway', 'json-proxy.ts'));
  const upPort = await freePort();
  const upstream = spawn([join(root, 'bench', 'gateway', 'upstream.ts'), String(upPort)]);
  await waitForPort(upPort, upstream);
  console.log(`bench/footprint: ${os.cpus().length} cores, Node ${process.version}; sidecar from dist/ ${sidecarFlags.length ? `with ${sidecarFlags.join(' ')}` : ''}`);

  console.error('  measuring idle RSS');
  // 1. Idle RSS.
  const barePort = await freePort();
  const bare = spawn(['-e', `require('node:http').createServer((q, r) => r.end()).listen(${barePort}, '127.0.0.1')`]);
  await waitForPort(barePort, bare);
  const bareRss = await settledRss(bare);
  const proxyPort = await freePort();
  const proxy = spawn([passthrough, String(proxyPort), String(upPort)]);
  await waitForPort(proxyPort, proxy);
  const proxyRss = await settledRss(proxy);
  const quietSidecar = await sidecar(quiet, upPort);
  const quietRss = await settledRss(quietSidecar.proc);
  await stop(quietSidecar.proc);
  const shippingSidecar = await sidecar(shipping, upPort);
  const shippingRss = await settledRss(shippingSidecar.proc);
  await stop(shippingSidecar.proc);

  console.error('  measuring start-up');
  // 2. Start-up, five times each (median): spawn to a listening Node HTTP server, and to the
  // sidecar's /healthz and /readyz.
  const bareStarts: number[] = [];
  const health: number[] = [];
  const ready: number[] = [];
  for (let i = 0; i < 5; i++) {
    const port = await freePort();
    const t0 = performance.now();
    const p = spawn(['-e', `require('node:http').createServer((q, r) => r.end()).listen(${port}, '127.0.0.1')`]);
    await until('bare node', async () => (await status(`http://127.0.0.1:${port}/`)) !== 0, p);
    bareStarts.push(performance.now() - t0);
    await stop(p);
    const s = await sidecar(quiet, upPort);
    health.push(s.healthz);
    ready.push(s.readyz);
    await stop(s.proc);
  }
  const median = (xs: number[]): number => percentile([...xs].sort((a, b) => a - b), 50);

  console.error('  measuring RSS under load');
  // 3. Peak RSS while wrk saturates each proxy.
  const token = await issuer.token(DEMO_AGENT, audience);
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'get_customer', arguments: { id: '42' } } });
  const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${token}` };
  const peakUnderLoad = async (proc: Proc, port: number): Promise<{ peak: number; rps: number }> => {
    let peak = rssOf(proc);
    const sampler = setInterval(() => (peak = Math.max(peak, rssOf(proc))), 100);
    const target: HttpTarget = { url: `http://127.0.0.1:${port}/mcp`, body, headers };
    const sat = await saturation(wrkBin, dir, target, seconds);
    clearInterval(sampler);
    return { peak: Math.max(peak, rssOf(proc)), rps: sat.requestsPerSecond };
  };
  const proxyLoad = await peakUnderLoad(proxy, proxyPort);
  const loaded = await sidecar(quiet, upPort);
  const sidecarLoad = await peakUnderLoad(loaded.proc, loaded.port);
  await stop(loaded.proc);

  console.error('  measuring open sessions');
  // 4. Open sessions: initialize, then hold a GET stream per session.
  const sessPort = await freePort();
  const sessUpstream = spawn([join(here, 'session-upstream.ts'), String(sessPort)]);
  await waitForPort(sessPort, sessUpstream);
  const sessionsAdded = async (proc: Proc, port: number, auth: boolean): Promise<number> => {
    // One session first: what loads with the first call (the sidecar's HTTP client and JOSE
    // load lazily) is no cost of holding sessions open.
    (await holdSessions(port, auth ? token : undefined, 1))();
    const before = await settledRss(proc);
    const release = await holdSessions(port, auth ? token : undefined, sessionCount);
    const after = await settledRss(proc);
    release();
    return after - before;
  };
  const proxySessPort = await freePort();
  const proxySess = spawn([passthrough, String(proxySessPort), String(sessPort)]);
  await waitForPort(proxySessPort, proxySess);
  const proxySessions = await sessionsAdded(proxySess, proxySessPort, false);
  await stop(proxySess);
  const sessSidecar = await sidecar(quiet, sessPort);
  const sidecarSessions = await sessionsAdded(sessSidecar.proc, sessSidecar.port, true);
  await stop(sessSidecar.proc);

  console.error('  measuring allocation per call');
  // 5. Bytes allocated per call, with the meter preloaded into each process.
  const call = async (agent: http.Agent, port: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, path: '/mcp', method: 'POST', agent, headers }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`tools/call answered ${res.statusCode}`))));
      });
      req.on('error', reject);
      req.end(body);
    });
  const allocationPerCall = async (port: number, meterPort: number): Promise<number> => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    const drive = async (count: number): Promise<void> => {
      let next = 0;
      await Promise.all(Array.from({ length: 8 }, async () => {
        while (next++ < count) await call(agent, port);
      }));
    };
    await drive(1000); // warm-up: JIT, pools, caches
    await fetch(`http://127.0.0.1:${meterPort}/start`);
    await drive(callCount);
    const { allocatedBytes } = (await (await fetch(`http://127.0.0.1:${meterPort}/stop`)).json()) as { allocatedBytes: number };
    agent.destroy();
    return allocatedBytes / callCount;
  };
  const metered = async (script: string, proxyArgs: string[]): Promise<number> => {
    const [port, meterPort] = [await freePort(), await freePort()];
    const p = spawn(['--import', meter, script, String(port), ...proxyArgs], { BENCH_METER_PORT: String(meterPort) });
    await waitForPort(port, p);
    await waitForPort(meterPort, p);
    const perCall = await allocationPerCall(port, meterPort);
    await stop(p);
    return perCall;
  };
  const proxyAlloc = await metered(passthrough, [String(upPort)]);
  const jsonAlloc = await metered(jsonProxy, [String(upPort)]);
  const meterPort = await freePort();
  const heapProfile = process.env.BENCH_HEAP_PROFILE;
  const meteredSidecar = await sidecar(quiet, upPort, { BENCH_METER_PORT: String(meterPort), ...(heapProfile ? { BENCH_HEAP_PROFILE: heapProfile } : {}) }, ['--import', meter]);
  const sidecarAlloc = await allocationPerCall(meteredSidecar.port, meterPort);
  await stop(meteredSidecar.proc);

  const kb = (bytes: number): string => (bytes / 1024).toFixed(1);
  const ms = (x: number): string => x.toFixed(0);
  console.log('');
  console.log(
    table([
      ['figure', 'bare node', 'node-proxy', 'sidecar', 'sidecar / node-proxy', 'goal'],
      ['idle RSS MB (ships nothing)', mb(bareRss), mb(proxyRss), mb(quietRss), (quietRss / proxyRss).toFixed(2), '<= 60'],
      ['idle RSS MB (Azure Monitor on)', '', '', mb(shippingRss), (shippingRss / proxyRss).toFixed(2), '<= 80'],
      ['RSS MB at saturation', '', mb(proxyLoad.peak), mb(sidecarLoad.peak), (sidecarLoad.peak / proxyLoad.peak).toFixed(2), '<= 150'],
      [`RSS MB added by ${sessionCount} open sessions`, '', mb(proxySessions), mb(sidecarSessions), (sidecarSessions / Math.max(proxySessions, 1)).toFixed(2), '<= 50'],
      ['start-up ms to /healthz (median of 5)', ms(median(bareStarts)), '', ms(median(health)), '', ''],
      ['start-up ms to /readyz (median of 5)', ms(median(bareStarts)), '', ms(median(ready)), '', '<= 300'],
      ['KB allocated per 1 KB tools/call', '', kb(proxyAlloc), kb(sidecarAlloc), (sidecarAlloc / proxyAlloc).toFixed(1), '<= 20'],
    ]),
  );
  console.log('');
  console.log(`json-proxy (parse + re-serialize only) allocates ${kb(jsonAlloc)} KB per call: the floor for any proxy that reads the bodies`);
  console.log(`saturation during the RSS phase: node-proxy ${proxyLoad.rps.toFixed(0)} req/s, sidecar ${sidecarLoad.rps.toFixed(0)} req/s`);
} finally {
  for (const proc of procs.reverse()) await proc.stop();
  await issuer.close();
  sink.close();
  await rm(dir, { recursive: true, force: true });
}
