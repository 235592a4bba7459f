// How many random whole values each kind of JSON value loses to a finding: a string value, the
// same digits as a JSON number, and the digits inside prose ("ref 1234567890 ok"). A bare number
// that passes a national identifier's check is masked as one (national-id/digits.ts, ALONE_*);
// this prints the price of that in false findings, per length, by type.
//
//   node_modules/.bin/node bench/masking/whole-values.ts [count per length, default 100000]
import { BUILTIN_DETECTORS } from '../../policy/builtin-detectors.ts';
import { Masker } from '../../sidecar/masking/engine.ts';

const COUNT = Number(process.argv[2] ?? 100_000);
const masker = new Masker({ mode: 'redact', detectors: BUILTIN_DETECTORS, custom: [], fields: [] });

// A fixed-seed generator, so two runs (or two checkouts) see the same numbers.
let seed = 12345;
function digit(): number {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return Math.floor((seed / 0x80000000) * 10);
}

function randomNumber(length: number): string {
  let d = String(1 + (digit() % 9));
  while (d.length < length) d += String(digit());
  return d;
}

function count(byType: Map<string, number>, masked: unknown, original: unknown): void {
  if (masked === original) return;
  const type = String(masked).replace(/^\[|\]$/gu, '');
  byType.set(type, (byType.get(type) ?? 0) + 1);
}

function shares(byType: Map<string, number>): string {
  if (byType.size === 0) return '-';
  return [...byType].map(([type, n]) => `${type} ${((100 * n) / COUNT).toFixed(2)}%`).join(', ');
}

console.log(`random whole values, first digit 1-9, ${COUNT} per length: the share masked, by type`);
console.log('digits  string value | JSON number | in prose');
for (const length of [9, 10, 11, 12, 13]) {
  const asString = new Map<string, number>();
  const asNumber = new Map<string, number>();
  const inProse = new Map<string, number>();
  for (let k = 0; k < COUNT; k++) {
    const d = randomNumber(length);
    const prose = `ref ${d} ok`;
    const json = masker.maskJsonText(`{"v":"${d}","n":${d},"p":"${prose}"}`);
    const out = JSON.parse(json) as { v: string; n: unknown; p: string };
    count(asString, out.v, d);
    count(asNumber, out.n, Number(d));
    if (out.p !== prose) inProse.set('any', (inProse.get('any') ?? 0) + 1);
  }
  console.log(`${String(length).padStart(6)}  ${shares(asString)} | ${shares(asNumber)} | ${shares(inProse)}`);
}
