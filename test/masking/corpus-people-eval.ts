// Scores the masker on the people corpus. Text samples are scored by exact span, as
// corpus-eval.ts does; JSON samples (records) by the multiset of (TYPE, value) masked: the
// masked document is read back through the pseudonymize report's token -> original map.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MaskReport, type Masker } from '../../sidecar/masking/engine.ts';
import { score, type Miss, type TypeScore } from './corpus-eval.ts';

export const PEOPLE_TYPES = ['PERSON', 'ADDRESS', 'DATE_OF_BIRTH'] as const;

export interface PeopleSample {
  readonly id: string;
  readonly kind: 'text' | 'json';
  readonly group: string;
  readonly text: string;
  readonly spans: readonly { readonly type: string; readonly value: string }[];
}

export const PEOPLE_CORPUS_FILE = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'masking', 'corpus-people.jsonl');

export function loadPeopleCorpus(file = PEOPLE_CORPUS_FILE): PeopleSample[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as PeopleSample);
}

/** (TYPE, original) of every token in a pseudonymized JSON text. */
export function maskedValues(masker: Masker, text: string): { type: string; value: string }[] {
  const report = new MaskReport();
  const out = masker.maskJsonText(text, report);
  const found: { type: string; value: string }[] = [];
  for (const m of out.matchAll(/\[([A-Z][A-Z_]*)_[0-9a-f]{8}\]/gu)) {
    const value = report.restore?.get(m[0]);
    if (value !== undefined) found.push({ type: m[1]!, value });
  }
  return found;
}

function scoreJson(masker: Masker, sample: PeopleSample, get: (t: string) => TypeScore, misses: Miss[]): void {
  const want = sample.spans.map((s) => `${s.type}\u0000${s.value}`);
  for (const f of maskedValues(masker, sample.text)) {
    const k = want.indexOf(`${f.type}\u0000${f.value}`);
    if (k >= 0) {
      want.splice(k, 1);
      get(f.type).tp++;
    } else {
      get(f.type).fp++;
      misses.push({ id: sample.id, kind: 'false positive', type: f.type, value: f.value, text: sample.text });
    }
  }
  for (const w of want) {
    const [type, value] = w.split('\u0000') as [string, string];
    get(type).fn++;
    misses.push({ id: sample.id, kind: 'false negative', type, value, text: sample.text });
  }
}

export interface PeopleScores {
  /** group -> TYPE -> counts */
  readonly byGroup: Map<string, Map<string, TypeScore>>;
  /** Hard negatives in which anything at all was found. */
  readonly touchedNegatives: number;
  readonly negatives: number;
  readonly misses: Miss[];
}

/** `masker` must pseudonymize (JSON samples are read back through its tokens). */
export function scorePeople(masker: Masker, corpus: readonly PeopleSample[]): PeopleScores {
  const byGroup = new Map<string, Map<string, TypeScore>>();
  const misses: Miss[] = [];
  let touched = 0;
  let negatives = 0;
  for (const sample of corpus) {
    let scores = byGroup.get(sample.group);
    if (scores === undefined) byGroup.set(sample.group, (scores = new Map()));
    const get = (t: string): TypeScore => {
      let s = scores.get(t);
      if (s === undefined) scores.set(t, (s = { tp: 0, fp: 0, fn: 0 }));
      return s;
    };
    for (const t of PEOPLE_TYPES) get(t);
    if (sample.kind === 'json') {
      scoreJson(masker, sample, get, misses);
      continue;
    }
    const r = score(masker, [sample]);
    for (const [t, s] of r.scores) {
      const g = get(t);
      g.tp += s.tp;
      g.fp += s.fp;
      g.fn += s.fn;
    }
    misses.push(...r.misses);
    if (sample.group === 'hard-negative') {
      negatives++;
      if (r.misses.length > 0) touched++;
    }
  }
  return { byGroup, touchedNegatives: touched, negatives, misses };
}
