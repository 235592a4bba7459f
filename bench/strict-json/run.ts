// The strict JSON reader (sidecar/http/strict-json.ts: UTF-8 checked, no BOM, no duplicate
// keys) beside what it replaced, Buffer.toString + JSON.parse, on the same bytes in the same
// run: a tools/call request, a 1 KB tool result, and 64 KB and 1 MB results with personal data.
// CPU time of this thread, median of samples; the ratio is strict / baseline.
//
//   node_modules/.bin/node bench/strict-json/run.ts [--quick]
import { parseStrictJson } from '../../sidecar/http/strict-json.ts';
import { table } from '../lib/procs.ts';
import { timePerCall, timingOptions } from '../lib/timing.ts';
import { resultFor } from '../gateway/payload.ts';
import { piiStructuredResult, piiToolResult } from '../masking/payload.ts';

const quick = process.argv.includes('--quick');
const TIMING = timingOptions(quick);

/** Median CPU seconds per call. */
const time = (fn: () => unknown): number => timePerCall(fn, TIMING).cpu;

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
