// This checkout's masking engine against another checkout's, in the same run: the way to tell
// whether a change made masking faster when the machine's own speed drifts by 2x from one
// minute to the next (a shared 2-core VM). Both engines mask the same 10 KB payloads in
// interleaved rounds; each prints the fastest round, as noise only ever slows a round down.
//
//   git worktree add /tmp/prewave 6996f84 && ln -s "$PWD/node_modules" /tmp/prewave/node_modules
//   node_modules/.bin/node bench/masking/compare.ts /tmp/prewave [rounds]
//
// 6996f84 is the engine before issue 14 (seven detectors, 108 MB/s when the issue was filed);
// its goal of 100 MB/s for this engine with all 13 detectors is, in same-run terms, 0.926x that
// engine's throughput. The other checkout runs its own default detectors.
import { resolve } from 'node:path';
import { BUILTIN_DETECTORS } from '../../policy/builtin-detectors.ts';
import { Masker } from '../../sidecar/masking/engine.ts';
import { cleanToolResult, piiStructuredResult, piiToolResult } from './payload.ts';

interface JsonTextMasker {
  maskJsonText(text: string): string;
}

const other = process.argv[2];
if (other === undefined || other === '--help') {
  console.log('usage: node bench/masking/compare.ts <other checkout> [rounds]   (see the header of this file)');
  process.exit(other === undefined ? 2 : 0);
}
const rounds = Number(process.argv[3] ?? 25);
if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`rounds must be a positive integer, got ${process.argv[3]}`);
const CALLS_PER_ROUND = 400;

const otherRoot = resolve(other);
const otherPolicy = (await import(`${otherRoot}/policy/builtin-detectors.ts`)) as { BUILTIN_DETECTORS: readonly string[] };
const otherEngine = (await import(`${otherRoot}/sidecar/masking/engine.ts`)) as {
  Masker: new (config: { mode: 'redact'; detectors: readonly string[]; custom: []; fields: [] }) => JsonTextMasker;
};

const engines: Readonly<Record<string, JsonTextMasker>> = {
  other: new otherEngine.Masker({ mode: 'redact', detectors: otherPolicy.BUILTIN_DETECTORS, custom: [], fields: [] }),
  this: new Masker({ mode: 'redact', detectors: BUILTIN_DETECTORS, custom: [], fields: [] }),
  floor: { maskJsonText: (t: string): string => JSON.stringify(JSON.parse(t)) },
};

const payloads: Readonly<Record<string, readonly string[]>> = {
  'tool result 10 KB': Array.from({ length: 8 }, (_, k) => piiToolResult(10_000, k)),
  'structuredContent 10 KB': Array.from({ length: 8 }, (_, k) => piiStructuredResult(10_000, k)),
  'PII-free tool result 10 KB': Array.from({ length: 8 }, (_, k) => cleanToolResult(10_000, k + 2)),
};

console.log(`this checkout against ${otherRoot}: fastest of ${rounds} interleaved rounds of ${CALLS_PER_ROUND} calls, wall time`);
for (const [name, texts] of Object.entries(payloads)) {
  for (let w = 0; w < 1000; w++) for (const e of Object.values(engines)) e.maskJsonText(texts[w & 7]!);
  const best: Record<string, number> = {};
  for (let r = 0; r < rounds; r++) {
    for (const [k, e] of Object.entries(engines)) {
      const t0 = performance.now();
      for (let j = 0; j < CALLS_PER_ROUND; j++) e.maskJsonText(texts[j & 7]!);
      const us = ((performance.now() - t0) * 1000) / CALLS_PER_ROUND;
      best[k] = Math.min(best[k] ?? Infinity, us);
    }
  }
  const bytes = texts.reduce((a, t) => a + t.length, 0) / texts.length;
  console.log(`${name} (${(bytes / 1000).toFixed(1)} KB):`);
  for (const [k, us] of Object.entries(best)) {
    console.log(`  ${k.padEnd(6)} ${us.toFixed(1).padStart(7)} us  ${(bytes / us).toFixed(1).padStart(6)} MB/s  ${(best.other! / us).toFixed(3)}x other`);
  }
}
