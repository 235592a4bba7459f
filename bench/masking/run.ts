// Masking throughput on one core, beside the floor any JSON-aware masker pays: JSON.parse +
// JSON.stringify of the same payload in the same run. Then the peak memory of masking the
// 1 MB payload, measured in a fresh child process so nothing else is on the heap.
//
//   node_modules/.bin/node bench/masking/run.ts [--quick] [--corpora-only]
//
// Last, recall and precision per TYPE on the team's corpora and on ../shared/corpora/*.json when
// present (corpora.ts; MASKING_CORPORA=<dir> reads them elsewhere).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILTIN_DETECTORS, type BuiltinDetector } from '../../policy/builtin-detectors.ts';
import { Masker, MaskReport } from '../../sidecar/masking/engine.ts';
import { timePerCall, timingOptions, type Timing } from '../lib/timing.ts';
import { printCorpora } from './corpora.ts';
import { cleanText, cleanToolResult, piiStructuredResult, piiToolResult } from './payload.ts';

const quick = process.argv.includes('--quick');
const TIMING = timingOptions(quick);

/** The detectors before issue 14 added people and identifiers: the same engine, a smaller set, for a ratio in one run. */
const PRE_WAVE_DETECTORS: readonly BuiltinDetector[] = ['email', 'phone', 'creditCard', 'iban', 'ssn', 'ipAddress', 'secret'];

function makeMasker(mode: 'redact' | 'pseudonymize', detectors: readonly BuiltinDetector[] = BUILTIN_DETECTORS): Masker {
  return new Masker({ mode, key: Buffer.from('bench-key-0123456789abcdef'), detectors, custom: [], fields: [] });
}

const time = (fn: () => unknown): Timing => timePerCall(fn, TIMING);

const mb = (bytes: number, seconds: number): number => bytes / 1e6 / seconds;

interface Row {
  readonly name: string;
  readonly bytes: number;
  readonly findings: number;
  readonly mask: Timing;
  readonly floor: Timing | undefined;
}

function measureJson(name: string, text: string, masker: Masker): Row {
  const bytes = Buffer.byteLength(text);
  const report = new MaskReport();
  masker.maskJsonText(text, report);
  const mask = time(() => masker.maskJsonText(text));
  const floor = time(() => JSON.stringify(JSON.parse(text)));
  return { name, bytes, findings: report.total(), mask, floor };
}

/**
 * The sidecar's own path for a tool result: it parses every message strictly anyway, then masks
 * the parsed value (maskJson, which parses JSON inside strings itself) and serialises the result.
 * Timed: the masking and that one serialisation, not the parse the sidecar does regardless.
 */
function measureParsed(name: string, text: string, masker: Masker): Row {
  const bytes = Buffer.byteLength(text);
  const value: unknown = JSON.parse(text);
  const report = new MaskReport();
  masker.maskJson(value, report);
  const mask = time(() => JSON.stringify(masker.maskJson(value)));
  const floor = time(() => JSON.stringify(JSON.parse(text)));
  return { name, bytes, findings: report.total(), mask, floor };
}

function measureText(name: string, text: string, masker: Masker): Row {
  const bytes = Buffer.byteLength(text);
  const report = new MaskReport();
  masker.maskText(text, report);
  const mask = time(() => masker.maskText(text));
  return { name, bytes, findings: report.total(), mask, floor: undefined };
}

function printRows(rows: readonly Row[]): void {
  const header = ['payload', 'size', 'findings', 'mask MB/s', 'ms/call', 'parse+stringify MB/s', 'mask/floor', 'wall MB/s', 'best MB/s', 'best mask/floor'];
  const lines = rows.map((r) => [
    r.name,
    r.bytes >= 1e6 ? `${(r.bytes / 1e6).toFixed(2)} MB` : `${(r.bytes / 1e3).toFixed(1)} KB`,
    String(r.findings),
    mb(r.bytes, r.mask.cpu).toFixed(1),
    (r.mask.cpu * 1000).toFixed(3),
    r.floor === undefined ? '-' : mb(r.bytes, r.floor.cpu).toFixed(1),
    r.floor === undefined ? '-' : `${(r.mask.cpu / r.floor.cpu).toFixed(2)}x`,
    mb(r.bytes, r.mask.wall).toFixed(1),
    mb(r.bytes, r.mask.best).toFixed(1),
    r.floor === undefined ? '-' : `${(r.mask.best / r.floor.best).toFixed(2)}x`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: readonly string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(fmt(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const l of lines) console.log(fmt(l));
}

function memoryChild(file: string): void {
  // Runs in a fresh process with --expose-gc: the payload is the only thing on the heap.
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with --expose-gc');
  {
    const text = readFileSync(file, 'utf8');
    const masker = makeMasker('redact');
    // Load and compile the code paths first: their code is not what is being measured.
    for (let k = 0; k < 200; k++) {
      masker.maskJsonText(piiToolResult(2000, k));
      masker.maskJsonText(cleanToolResult(2000, k));
    }
    gc();
    gc();
    const rss0 = process.memoryUsage().rss;
    const heap0 = process.memoryUsage().heapUsed;
    const maxRss0 = process.resourceUsage().maxRSS * 1024;
    const out = masker.maskJsonText(text);
    const heap1 = process.memoryUsage().heapUsed;
    const maxRss1 = process.resourceUsage().maxRSS * 1024;
    gc();
    const heap2 = process.memoryUsage().heapUsed;
    console.log(JSON.stringify({ bytes: Buffer.byteLength(text), rss0, maxRss0, maxRss1, heap0, heap1, heap2, out: out.length }));
  }
}

function memory(): void {
  const dir = mkdtempSync(join(tmpdir(), 'mask-bench-'));
  try {
    const file = join(dir, 'payload.json');
    writeFileSync(file, piiToolResult(1_000_000));
    const child = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--memory-child', file], { encoding: 'utf8' });
    if (child.status !== 0) throw new Error(`memory child failed: ${child.stderr}`);
    const m = JSON.parse(child.stdout) as Record<string, number>;
    const bytes = m.bytes!;
    const peakRss = Math.max(0, m.maxRss1! - Math.max(m.rss0!, m.maxRss0!));
    const peakRssLoose = m.maxRss1! - m.rss0!;
    const x = (v: number): string => `${(v / 1e6).toFixed(1)} MB (${(v / bytes).toFixed(1)}x payload)`;
    console.log('');
    console.log(`memory, masking the ${(bytes / 1e6).toFixed(2)} MB payload (fresh process, after GC):`);
    console.log(`  peak RSS growth      ${x(peakRssLoose)}${peakRss === 0 ? ' (the process peak was earlier; upper bound)' : ''}`);
    console.log(`  heap allocated       ${x(m.heap1! - m.heap0!)} (allocated during the call, before any GC)`);
    console.log(`  heap retained        ${x(m.heap2! - m.heap0!)} (the masked output, after GC)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function main(): void {
  const redact = makeMasker('redact');
  const pseudo = makeMasker('pseudonymize');
  const preWave = makeMasker('redact', PRE_WAVE_DETECTORS);
  // Warm every code path once before the first measurement, so the first row is not penalised.
  const warm = [piiToolResult(10_000, 7), piiStructuredResult(10_000, 7), cleanToolResult(10_000, 7)];
  const warmEnd = performance.now() + (quick ? 300 : 1000);
  while (performance.now() < warmEnd) {
    for (const w of warm) {
      redact.maskJsonText(w);
      pseudo.maskJsonText(w);
      preWave.maskJsonText(w);
    }
  }
  console.log(`masking throughput on one core, Node ${process.version}, all built-in detectors, median of ${TIMING.samples} samples`);
  console.log('(MB/s from the median sample of the main thread\'s CPU time; wall-clock beside; "best" from the fastest');
  console.log('sample in wall time: on an otherwise idle machine the steadiest figure, since noise only ever slows a sample)');
  console.log('');
  const rows: Row[] = [
    measureJson('tool result 1 KB (redact)', piiToolResult(1_000), redact),
    measureJson('tool result 10 KB (redact)', piiToolResult(10_000), redact),
    measureJson('tool result 10 KB (redact, pre-wave detectors)', piiToolResult(10_000), preWave),
    measureParsed('tool result 10 KB, parsed (the sidecar\'s path)', piiToolResult(10_000), redact),
    measureJson('tool result 1 MB (redact)', piiToolResult(1_000_000), redact),
    measureJson('tool result 10 KB (pseudonymize)', piiToolResult(10_000), pseudo),
    measureJson('structuredContent 10 KB (redact)', piiStructuredResult(10_000), redact),
    measureJson('PII-free tool result 10 KB', cleanToolResult(10_000), redact),
    measureJson('PII-free tool result 1 MB', cleanToolResult(1_000_000), redact),
    measureText('PII-free plain text 10 KB', cleanText(10_000), redact),
    measureText('PII-free plain text 1 MB', cleanText(1_000_000), redact),
  ];
  printRows(rows);
  console.log('');
  console.log('mask/floor: time to mask over time to JSON.parse + JSON.stringify the same text, the floor');
  console.log('for a masker that parses and re-serialises. A tool result carries its data as JSON inside a');
  console.log('string, which a parse-based masker must parse and re-encode too: about twice the outer floor.');
  const goal = rows.find((r) => r.name === 'tool result 10 KB (redact)')!;
  console.log('');
  console.log(`tool result 10 KB with every detector: ${mb(goal.bytes, goal.mask.cpu).toFixed(1)} MB/s (median), ` +
    `${mb(goal.bytes, goal.mask.best).toFixed(1)} MB/s (best sample)`);
  // The figure issue 14 set (100 MB/s) was measured on another day, when the pre-wave engine did 108 here; this
  // machine's speed drifts by 2x, so the goal is checked against that engine in the same run.
  console.log("issue 14's goal, >= 100 MB/s when the pre-wave engine did 108, is >= 0.926x that engine in the same run:");
  console.log('  node_modules/.bin/node bench/masking/compare.ts --runs 5');
  memory();
  printCorpora();
}

const childAt = process.argv.indexOf('--memory-child');
if (childAt >= 0) memoryChild(process.argv[childAt + 1]!);
else if (process.argv.includes('--corpora-only')) printCorpora();
else main();
