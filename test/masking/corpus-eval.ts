// Scores the masking engine against the labeled corpus: per TYPE, exact span matches.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Masker } from '../../sidecar/masking/engine.ts';

export interface CorpusSample {
  readonly id: string;
  readonly text: string;
  readonly spans: readonly { readonly type: string; readonly value: string }[];
}

export interface TypeScore {
  tp: number;
  fp: number;
  fn: number;
}

export interface Miss {
  readonly id: string;
  readonly kind: 'false positive' | 'false negative';
  readonly type: string;
  readonly value: string;
  readonly text: string;
}

export const CORPUS_FILE = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'masking', 'corpus.jsonl');

export function loadCorpus(file = CORPUS_FILE): CorpusSample[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as CorpusSample);
}

/** Labeled spans as positions: each value is searched for after the previous one. */
export function labeledSpans(sample: CorpusSample): { type: string; start: number; end: number }[] {
  let from = 0;
  return sample.spans.map((s) => {
    const start = sample.text.indexOf(s.value, from);
    if (start < 0) throw new Error(`${sample.id}: labeled value not found in order: ${s.value}`);
    from = start + s.value.length;
    return { type: s.type, start, end: from };
  });
}

export function score(masker: Masker, corpus: readonly CorpusSample[]): { scores: Map<string, TypeScore>; misses: Miss[] } {
  const scores = new Map<string, TypeScore>();
  const misses: Miss[] = [];
  const get = (t: string): TypeScore => {
    let s = scores.get(t);
    if (s === undefined) scores.set(t, (s = { tp: 0, fp: 0, fn: 0 }));
    return s;
  };
  for (const sample of corpus) {
    const expected = labeledSpans(sample);
    const found = masker.detect(sample.text);
    const key = (x: { type: string; start: number; end: number }): string => `${x.type}:${x.start}:${x.end}`;
    const want = new Set(expected.map(key));
    const got = new Set(found.map(key));
    for (const e of expected) {
      if (got.has(key(e))) get(e.type).tp++;
      else {
        get(e.type).fn++;
        misses.push({ id: sample.id, kind: 'false negative', type: e.type, value: sample.text.slice(e.start, e.end), text: sample.text });
      }
    }
    for (const f of found) {
      if (!want.has(key(f))) {
        get(f.type).fp++;
        misses.push({ id: sample.id, kind: 'false positive', type: f.type, value: sample.text.slice(f.start, f.end), text: sample.text });
      }
    }
  }
  return { scores, misses };
}

export const precision = (s: TypeScore): number => (s.tp + s.fp === 0 ? 1 : s.tp / (s.tp + s.fp));
export const recall = (s: TypeScore): number => (s.tp + s.fn === 0 ? 1 : s.tp / (s.tp + s.fn));

export function formatTable(scores: ReadonlyMap<string, TypeScore>): string {
  const rows = [...scores].sort(([a], [b]) => a.localeCompare(b));
  const lines = ['TYPE          labeled   TP   FP   FN  precision  recall'];
  for (const [t, s] of rows) {
    lines.push(`${t.padEnd(12)}  ${String(s.tp + s.fn).padStart(7)}  ${String(s.tp).padStart(3)}  ${String(s.fp).padStart(3)}  ${String(s.fn).padStart(3)}  ${precision(s).toFixed(3).padStart(9)}  ${recall(s).toFixed(3).padStart(6)}`);
  }
  return lines.join('\n');
}
