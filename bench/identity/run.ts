// What the Entra workload-identity stack costs a process, so the sidecar loads it only for a
// policy that asks: fresh processes import the egress gateway's secrets module (what every
// sidecar loads) alone (baseline), or and then @azure/identity through sidecar/identity (what a
// workload-identity policy adds). Runs alternate, side by side in one run; medians of RSS after
// a GC and of the import time, and the ratios.
//
//   node_modules/.bin/node bench/identity/run.ts [--runs N]
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { percentile } from '../lib/stats.ts';
import { table } from '../lib/procs.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '7' } } });
const runs = Number(values.runs);
const root = join(import.meta.dirname, '..', '..');

const probe = (withIdentity: boolean): string => `
const t0 = performance.now();
await import(${JSON.stringify(join(root, 'sidecar/egress/secrets.ts'))});
${withIdentity ? `const { workloadIdentityCredential } = await import(${JSON.stringify(join(root, 'sidecar/identity/workload.ts'))});
await workloadIdentityCredential({ AZURE_CLIENT_ID: 'c', AZURE_TENANT_ID: 't', AZURE_FEDERATED_TOKEN_FILE: '/dev/null' });` : ''}
const ms = performance.now() - t0;
globalThis.gc();
console.log(JSON.stringify({ ms, rss: process.memoryUsage().rss }));
`;

function once(withIdentity: boolean): { ms: number; rss: number } {
  const r = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', probe(withIdentity)], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as { ms: number; rss: number };
}

const base: { ms: number; rss: number }[] = [];
const wi: { ms: number; rss: number }[] = [];
for (let i = 0; i < runs; i++) {
  base.push(once(false));
  wi.push(once(true));
}
const med = (xs: number[]): number => percentile([...xs].sort((a, b) => a - b), 50);
const mb = (b: number): string => (b / 1024 / 1024).toFixed(1);
const [bRss, wRss, bMs, wMs] = [med(base.map((x) => x.rss)), med(wi.map((x) => x.rss)), med(base.map((x) => x.ms)), med(wi.map((x) => x.ms))];
process.stdout.write(
  table([
    ['process', 'RSS MB (median)', 'import ms (median)'],
    ['baseline: egress secrets module', mb(bRss), bMs.toFixed(0)],
    ['+ @azure/identity (workload identity)', mb(wRss), wMs.toFixed(0)],
    ['ratio', (wRss / bRss).toFixed(2), (wMs / bMs).toFixed(2)],
  ]),
);
process.stdout.write(`\n${runs} runs each, alternating; a sidecar whose policy has no workloadIdentity pays neither\n`);
