// The strict JSON reader (sidecar/http/strict-json.ts: UTF-8 checked, no BOM, no duplicate
// keys) beside what it replaced, Buffer.toString + JSON.parse, on the same bytes in the same
// run: a tools/call request, a 1 KB tool result, and 64 KB and 1 MB results with personal data.
// CPU time of this thread, median of samples; the ratio is strict / baseline.
//
//   node_modules/.bin/node bench/strict-json/run.ts [--quick]
import { parseStrictJson } from '../../sidecar/http/strict-json.ts';
import { table } from '../lib/procs.ts';
import { resultFor } from '../gateway/payload.ts';
import { piiStructuredResult, piiToolResult } from '../masking/payload.ts';

const quick = process.argv.includes('--quick');
const SAMPLES = quick ? 7 : 21;
const SAMPLE_MS = quick ? 20 : 50;

const cpuSeconds = (): number => {
  const u = process.threadCpuUsage();
  return (u.user + u.system) / 1e6;
};

/** Median CPU seconds per call over SAMPLES samples of about SAMPLE_MS each, after a warm-up. */
function time(fn: () => unknown): number {
  const warmEnd = performance.now() + (quick ? 100 : 300);
  let calls = 0;
  while (performance.now() < warmEnd) {
    fn();
    calls++;
  }
  const perSample = Math.max(1, Math.ceil((calls / (quick ? 100 : 300)) * SAMPLE_MS));
  const samples: number[] = [];
  for (let s = 0; s < SAMPLES; s++) {
    const c0 = cpuSeconds();
    for (let k = 0; k < perSample; k++) fn();
    samples.push((cpuSeconds() - c0) / perSample);
  }
  return samples.sort((a, b) => a - b)[Math.floor(samples.length / 2)]!;
}

const wrap = (result: string): string => `{"jsonrpc":"2.0","id":7,"result":${result}}`;
const payloads: [string, Buffer][] = [
  ['tools/call request', Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'get_customer', arguments: { id: '42' }, _meta: { progressToken: 7 } } }))],
  ['1 KB result', Buffer.from(resultFor(7))],
  ['64 KB result (text)', Buffer.from(wrap(piiToolResult(64 * 1024)))],
  ['64 KB result (structured)', Buffer.from(wrap(piiStructuredResult(64 * 1024)))],
  ['1 MB result (text)', Buffer.from(wrap(piiToolResult(1024 * 1024)))],
];

const rows: (string | number)[][] = [['payload', 'bytes', 'JSON.parse µs', 'strict µs', 'strict / JSON.parse']];
for (const [name, bytes] of payloads) {
  const baseline = time(() => JSON.parse(bytes.toString('utf8')));
  const strict = time(() => parseStrictJson(bytes));
  rows.push([name, bytes.length, (baseline * 1e6).toFixed(1), (strict * 1e6).toFixed(1), (strict / baseline).toFixed(2)]);
}
console.log(table(rows));
