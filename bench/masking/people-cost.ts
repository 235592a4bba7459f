// What the people detectors (person, address, dateOfBirth) cost: the same payloads masked with
// the seven detectors that came before them and with all of them, side by side in one run,
// interleaved, best of many short rounds (the least disturbed by other load on the machine).
//
//   node_modules/.bin/node bench/masking/people-cost.ts
import { BUILTIN_DETECTORS, type BuiltinDetector } from '../../policy/builtin-detectors.ts';
import { Masker } from '../../sidecar/masking/engine.ts';
import { cleanText, cleanToolResult, piiStructuredResult, piiToolResult } from './payload.ts';

const PEOPLE: readonly BuiltinDetector[] = ['person', 'address', 'dateOfBirth'];
const ROUNDS = 301;
const CALLS = 4;

const configs: [string, readonly BuiltinDetector[]][] = [
  ['without people', BUILTIN_DETECTORS.filter((d) => !PEOPLE.includes(d))],
  ['+person', [...BUILTIN_DETECTORS.filter((d) => !PEOPLE.includes(d)), 'person']],
  ['+address', [...BUILTIN_DETECTORS.filter((d) => !PEOPLE.includes(d)), 'address']],
  ['+dateOfBirth', [...BUILTIN_DETECTORS.filter((d) => !PEOPLE.includes(d)), 'dateOfBirth']],
  ['all', BUILTIN_DETECTORS],
];
const payloads: [string, string, boolean][] = [
  ['tool result 10 KB', piiToolResult(10_000), true],
  ['structuredContent 10 KB', piiStructuredResult(10_000), true],
  ['PII-free tool result 10 KB', cleanToolResult(10_000), true],
  ['PII-free plain text 10 KB', cleanText(10_000), false],
];

console.log(`MB/s (best of ${ROUNDS} rounds of ${CALLS} calls, wall clock), and time relative to "without people"`);
for (const [name, text, json] of payloads) {
  const maskers = configs.map(([label, detectors]) => [label, new Masker({ mode: 'redact', detectors, custom: [], fields: [] })] as const);
  const run = (m: Masker): string => (json ? m.maskJsonText(text) : m.maskText(text));
  for (let k = 0; k < 300; k++) for (const [, m] of maskers) run(m);
  const best = new Map<string, number>();
  for (let r = 0; r < ROUNDS; r++) {
    for (const [label, m] of maskers) {
      const t0 = performance.now();
      for (let c = 0; c < CALLS; c++) run(m);
      const t = (performance.now() - t0) / CALLS;
      best.set(label, Math.min(best.get(label) ?? Infinity, t));
    }
  }
  const base = best.get('without people')!;
  const cells = [...best].map(([label, t]) => `${label} ${(text.length / 1e3 / t).toFixed(0)} (${(t / base).toFixed(2)}x)`);
  console.log(`${name.padEnd(28)} ${cells.join('  ')}`);
}
