// What issue 14's detectors cost: the same payloads masked with the seven detectors that came
// before them (email, phone, card, IBAN, SSN, IP, secret), with the people detectors (person,
// address, dateOfBirth) or the identifier ones (nationalId, passport, vatId) added, and with all
// of them; beside JSON.parse + JSON.stringify of the same JSON text (the floor). Side by side in
// one run, interleaved, best of many short rounds (the least disturbed by other load).
//
//   node_modules/.bin/node bench/masking/people-cost.ts
import { BUILTIN_DETECTORS, type BuiltinDetector } from '../../policy/builtin-detectors.ts';
import { Masker } from '../../sidecar/masking/engine.ts';
import { cleanText, cleanToolResult, piiStructuredResult, piiToolResult } from './payload.ts';

const PRE_WAVE: readonly BuiltinDetector[] = ['email', 'phone', 'creditCard', 'iban', 'ssn', 'ipAddress', 'secret'];
const ROUNDS = 301;
const CALLS = 4;

const configs: [string, readonly BuiltinDetector[]][] = [
  ['pre-wave', PRE_WAVE],
  ['+people', [...PRE_WAVE, 'person', 'address', 'dateOfBirth']],
  ['+ids', [...PRE_WAVE, 'nationalId', 'passport', 'vatId']],
  ['all', BUILTIN_DETECTORS],
];
const payloads: [string, string, boolean][] = [
  ['tool result 10 KB', piiToolResult(10_000), true],
  ['structuredContent 10 KB', piiStructuredResult(10_000), true],
  ['PII-free tool result 10 KB', cleanToolResult(10_000), true],
  ['PII-free plain text 10 KB', cleanText(10_000), false],
];

console.log(`MB/s (best of ${ROUNDS} rounds of ${CALLS} calls, wall clock), time relative to "pre-wave", and all's speed as a share of the floor's`);
for (const [name, text, json] of payloads) {
  const maskers = configs.map(([label, detectors]) => [label, new Masker({ mode: 'redact', detectors, custom: [], fields: [] })] as const);
  const run = (m: Masker): string => (json ? m.maskJsonText(text) : m.maskText(text));
  const floor = (): string => JSON.stringify(JSON.parse(text));
  for (let k = 0; k < 300; k++) for (const [, m] of maskers) run(m);
  const best = new Map<string, number>();
  for (let r = 0; r < ROUNDS; r++) {
    if (json) {
      const t0 = performance.now();
      for (let c = 0; c < CALLS; c++) floor();
      best.set('floor', Math.min(best.get('floor') ?? Infinity, (performance.now() - t0) / CALLS));
    }
    for (const [label, m] of maskers) {
      const t0 = performance.now();
      for (let c = 0; c < CALLS; c++) run(m);
      const t = (performance.now() - t0) / CALLS;
      best.set(label, Math.min(best.get(label) ?? Infinity, t));
    }
  }
  const base = best.get('pre-wave')!;
  const floorTime = best.get('floor');
  best.delete('floor');
  const cells = [...best].map(([label, t]) => `${label} ${(text.length / 1e3 / t).toFixed(0)} (${(t / base).toFixed(2)}x)`);
  const share = floorTime === undefined ? '' : `  floor ${(text.length / 1e3 / floorTime).toFixed(0)}, all/floor ${(floorTime / best.get('all')!).toFixed(3)}x`;
  console.log(`${name.padEnd(28)} ${cells.join('  ')}${share}`);
}
