// The price of issue 14's detectors, side by side in one run: the 10 KB tool results masked with
// every built-in detector, with the seven detectors that existed before (email, phone, card,
// IBAN, SSN, IP, secret), and JSON.parse + JSON.stringify of the same text (the floor). Rounds
// interleave the three so load on the machine hits them alike; each figure is the 10th
// percentile of wall time over the rounds (the run least disturbed by other processes).
//
//   node_modules/.bin/node bench/masking/detectors.ts           ratios
//   node_modules/.bin/node --cpu-prof bench/masking/detectors.ts --profile [--pre] [--clean]
import { BUILTIN_DETECTORS, type BuiltinDetector } from '../../policy/builtin-detectors.ts';
import { Masker } from '../../sidecar/masking/engine.ts';
import { cleanToolResult, piiToolResult } from './payload.ts';

const PRE_WAVE: readonly BuiltinDetector[] = ['email', 'phone', 'creditCard', 'iban', 'ssn', 'ipAddress', 'secret'];
const key = Buffer.from('bench-key-0123456789abcdef');
const all = new Masker({ mode: 'redact', key, detectors: BUILTIN_DETECTORS, custom: [], fields: [] });
const pre = new Masker({ mode: 'redact', key, detectors: PRE_WAVE, custom: [], fields: [] });
const payloads: readonly (readonly [string, string])[] = [
  ['tool result 10 KB', piiToolResult(10_000)],
  ['PII-free tool result 10 KB', cleanToolResult(10_000)],
];
const configs: readonly (readonly [string, (t: string) => unknown])[] = [
  ['floor', (t) => JSON.stringify(JSON.parse(t))],
  ['all', (t) => all.maskJsonText(t)],
  ['pre-wave', (t) => pre.maskJsonText(t)],
];
const ROUNDS = 41;
const CALLS = 300;

function profile(): void {
  // A fixed amount of work for --cpu-prof: one configuration, one payload.
  const masker = process.argv.includes('--pre') ? pre : all;
  const text = payloads[process.argv.includes('--clean') ? 1 : 0]![1];
  for (let k = 0; k < 30_000; k++) masker.maskJsonText(text);
}

function ratios(): void {
  for (let w = 0; w < 2000; w++) for (const [, f] of configs) for (const [, t] of payloads) f(t);
  console.log(`10th percentile of ${ROUNDS} interleaved rounds of ${CALLS} calls, wall clock, Node ${process.version}`);
  for (const [name, text] of payloads) {
    const times = configs.map((): number[] => []);
    for (let r = 0; r < ROUNDS; r++) {
      configs.forEach(([, f], c) => {
        const t0 = performance.now();
        for (let k = 0; k < CALLS; k++) f(text);
        times[c]!.push((performance.now() - t0) / 1000 / CALLS);
      });
    }
    const [floor, mAll, mPre] = times.map((xs) => xs.sort((a, b) => a - b)[Math.floor(ROUNDS / 10)]!) as [number, number, number];
    const mbs = (s: number): string => (text.length / 1e6 / s).toFixed(1);
    console.log(
      `${name.padEnd(28)} floor ${mbs(floor)} MB/s  all ${mbs(mAll)} MB/s (${(floor / mAll).toFixed(3)}x floor)  ` +
        `pre-wave ${mbs(mPre)} MB/s (${(floor / mPre).toFixed(3)}x floor)  all/pre-wave ${(mPre / mAll).toFixed(2)}`,
    );
  }
}

if (process.argv.includes('--profile')) profile();
else ratios();
