// Recall and precision per TYPE on the third-party cases in ../shared/corpora/ (Microsoft
// Presidio's recognizer tests, MIT; see that folder's README), when the folder is there. The
// data stays outside the repository: this only reads it.
//
// Presidio's entity names map onto this masker's types below; cases of other entities are not
// scored. A case's expected spans are its `spans` (all of them, "low" confidence ones too, or its
// `values` located in the text when it has no spans; a positive with neither counts once, found or
// not); a
// finding of the mapped TYPE at another place in the case is a false positive.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Masker } from '../../sidecar/masking/engine.ts';

const TYPE_OF: Readonly<Record<string, string>> = {
  CREDIT_CARD: 'CREDIT_CARD',
  EMAIL_ADDRESS: 'EMAIL',
  IBAN_CODE: 'IBAN',
  IP_ADDRESS: 'IP_ADDRESS',
  PHONE_NUMBER: 'PHONE',
  US_SSN: 'SSN',
  DE_TAX_ID: 'NATIONAL_ID',
  DE_SOCIAL_SECURITY: 'NATIONAL_ID',
  ES_NIE: 'NATIONAL_ID',
  ES_NIF: 'NATIONAL_ID',
  FI_PERSONAL_IDENTITY_CODE: 'NATIONAL_ID',
  IT_FISCAL_CODE: 'NATIONAL_ID',
  PL_PESEL: 'NATIONAL_ID',
  SE_PERSONNUMMER: 'NATIONAL_ID',
  UK_NHS: 'NATIONAL_ID',
  UK_NINO: 'NATIONAL_ID',
  DE_PASSPORT: 'PASSPORT',
  ES_PASSPORT: 'PASSPORT',
  IT_PASSPORT: 'PASSPORT',
  UK_PASSPORT: 'PASSPORT',
  US_PASSPORT: 'PASSPORT',
  DE_VAT_ID: 'VAT_ID',
  IT_VAT_CODE: 'VAT_ID',
};

interface Case {
  readonly id: string;
  readonly type: string;
  readonly text: string;
  readonly spans: readonly { readonly start: number; readonly end: number }[] | null;
  readonly values: readonly string[] | null;
  readonly expect: number;
}

/** The expected spans: `spans`, or where `values` occur in order when a case has only those. */
function expected(c: Case): string[] {
  if (c.spans !== null) return c.spans.map((s) => `${s.start}:${s.end}`);
  let from = 0;
  const out: string[] = [];
  for (const v of c.values ?? []) {
    const at = c.text.indexOf(v, from);
    if (at < 0) continue;
    out.push(`${at}:${at + v.length}`);
    from = at + v.length;
  }
  return out;
}

interface Score {
  tp: number;
  fp: number;
  fn: number;
  cases: number;
}

/** Per-type scores of one corpus file. */
export function scoreCorpus(masker: Masker, cases: readonly Case[]): Map<string, Score> {
  const scores = new Map<string, Score>();
  for (const c of cases) {
    const type = TYPE_OF[c.type];
    if (type === undefined) continue;
    let sc = scores.get(type);
    if (sc === undefined) scores.set(type, (sc = { tp: 0, fp: 0, fn: 0, cases: 0 }));
    sc.cases++;
    const got = new Set(masker.detect(c.text).filter((f) => f.type === type).map((f) => `${f.start}:${f.end}`));
    if (c.spans === null && c.values === null && c.expect > 0) {
      // A positive without positions: scored per case, found or not.
      if (got.size > 0) sc.tp++;
      else sc.fn++;
      continue;
    }
    const want = new Set(expected(c));
    for (const w of want) if (got.has(w)) sc.tp++; else sc.fn++;
    for (const g of got) if (!want.has(g)) sc.fp++;
  }
  return scores;
}

const ratio = (a: number, b: number): string => (b === 0 ? '    -' : (a / b).toFixed(3));

/** Prints the table for every corpus file found in `dir`; says so when there is none. */
export function printCorpora(masker: Masker, dir: string): void {
  if (!existsSync(dir)) {
    console.log(`third-party corpora: ${dir} not present, skipped`);
    return;
  }
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const cases = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Case[];
    const scores = scoreCorpus(masker, cases);
    console.log('');
    console.log(`${file}: exact spans, cases of the entities mapped to each TYPE`);
    console.log('TYPE          cases  expected   TP   FP   FN  precision  recall');
    for (const [type, s] of [...scores].sort(([a], [b]) => a.localeCompare(b))) {
      console.log(`${type.padEnd(12)}  ${String(s.cases).padStart(5)}  ${String(s.tp + s.fn).padStart(8)}  ${String(s.tp).padStart(3)}  ${String(s.fp).padStart(3)}  ${String(s.fn).padStart(3)}  ${ratio(s.tp, s.tp + s.fp).padStart(9)}  ${ratio(s.tp, s.tp + s.fn).padStart(6)}`);
    }
  }
}
