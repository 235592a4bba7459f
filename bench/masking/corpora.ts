// Recall and precision per TYPE on labelled corpora: the team's own (test/fixtures/masking)
// and, when ../shared/corpora/ is there, the third-party cases in it (Microsoft Presidio's
// recognizer tests, MIT; see that folder's README), or in MASKING_CORPORA=<dir>. The data stays
// outside the repository: this only reads it. Printed by run.ts after the throughput table.
//
//   node_modules/.bin/node bench/masking/corpora.ts
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILTIN_DETECTORS, BUILTIN_TYPES } from '../../policy/builtin-detectors.ts';
import { Masker } from '../../sidecar/masking/engine.ts';
import { CORPUS_FILE, formatTable, loadCorpus, score, type TypeScore } from '../../test/masking/corpus-eval.ts';
import { loadPeopleCorpus, scorePeople } from '../../test/masking/corpus-people-eval.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
// ../shared/corpora beside the repository (where CI has them), or where MASKING_CORPORA says (a worktree elsewhere).
const SHARED = process.env.MASKING_CORPORA ?? join(HERE, '..', '..', '..', 'shared', 'corpora');
const IDS_CORPUS = join(dirname(CORPUS_FILE), 'corpus-ids.jsonl');

/** Presidio's entity names for the types this masker has; a case of another type counts only as a negative. */
const PRESIDIO_TYPES: Readonly<Record<string, string>> = {
  CREDIT_CARD: 'CREDIT_CARD',
  EMAIL_ADDRESS: 'EMAIL',
  IBAN_CODE: 'IBAN',
  IP_ADDRESS: 'IP_ADDRESS',
  PHONE_NUMBER: 'PHONE',
  US_SSN: 'SSN',
  PERSON: 'PERSON',
  DATE_OF_BIRTH: 'DATE_OF_BIRTH',
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

/** Presidio's types whose cases must not be found as one of ours: a date is no birth date without a birth word. */
const NEGATIVE_FOR: Readonly<Record<string, string>> = { DATE: 'DATE_OF_BIRTH' };

interface PresidioCase {
  readonly id: string;
  readonly type: string;
  readonly text: string;
  readonly spans: readonly { readonly start: number; readonly end: number }[] | null;
  readonly values: readonly string[] | null;
  readonly expect: number;
}

/** The expected spans: `spans`, or where `values` occur in order when a case has only those. */
function expected(c: PresidioCase): string[] {
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

/** Scores every case: its spans are expected under the mapped TYPE; anything else the masker finds is a false positive of its TYPE. */
function scoreThirdParty(masker: Masker, cases: readonly PresidioCase[]): { scores: Map<string, TypeScore>; unmapped: Map<string, number> } {
  const scores = new Map<string, TypeScore>();
  const unmapped = new Map<string, number>();
  const get = (t: string): TypeScore => {
    let s = scores.get(t);
    if (s === undefined) scores.set(t, (s = { tp: 0, fp: 0, fn: 0 }));
    return s;
  };
  for (const c of cases) {
    const type = PRESIDIO_TYPES[c.type];
    const negative = NEGATIVE_FOR[c.type];
    if (negative !== undefined && BUILTIN_TYPES.has(negative)) {
      get(negative);
      for (const f of masker.detect(c.text)) if (f.type === negative) get(negative).fp++;
    }
    if (type === undefined || !BUILTIN_TYPES.has(type)) {
      // A type this masker does not have: what it finds there is neither right nor wrong.
      for (const f of masker.detect(c.text)) unmapped.set(f.type, (unmapped.get(f.type) ?? 0) + 1);
      continue;
    }
    const found = masker.detect(c.text);
    if (c.spans === null && c.values === null && c.expect > 0) {
      // A positive without positions: scored per case, found or not.
      if (found.some((f) => f.type === type)) get(type).tp++;
      else get(type).fn++;
      continue;
    }
    const want = new Set(expected(c));
    for (const f of found) {
      if (f.type === type && want.delete(`${f.start}:${f.end}`)) get(type).tp++;
      else get(f.type).fp++;
    }
    get(type).fn += want.size;
  }
  return { scores, unmapped };
}

export function printCorpora(): void {
  const redact = new Masker({ mode: 'redact', detectors: BUILTIN_DETECTORS, custom: [], fields: [] });
  const pseudo = new Masker({ mode: 'pseudonymize', key: Buffer.from('bench-corpora-key'), detectors: BUILTIN_DETECTORS, custom: [], fields: [] });
  console.log('\nquality on the team corpus (test/fixtures/masking/corpus.jsonl), exact spans:');
  console.log(formatTable(score(redact, loadCorpus()).scores));
  console.log('\nquality on the identifiers corpus (test/fixtures/masking/corpus-ids.jsonl), exact spans:');
  console.log(formatTable(score(redact, loadCorpus(IDS_CORPUS)).scores));
  const people = scorePeople(pseudo, loadPeopleCorpus());
  console.log('\nquality on the people corpus (test/fixtures/masking/corpus-people.jsonl), by group:');
  for (const [group, scores] of people.byGroup) console.log(`${group}\n${formatTable(scores)}`);
  console.log(`hard negatives touched: ${people.touchedNegatives} of ${people.negatives}`);
  if (!existsSync(SHARED)) {
    console.log(`\n(no third-party corpora: ${SHARED} is not there)`);
    return;
  }
  for (const file of readdirSync(SHARED).filter((f) => f.endsWith('.json')).sort()) {
    const cases = JSON.parse(readFileSync(join(SHARED, file), 'utf8')) as PresidioCase[];
    const { scores, unmapped } = scoreThirdParty(redact, cases);
    console.log(`\nquality on ../shared/corpora/${file} (${cases.length} cases), exact spans:`);
    console.log(scores.size === 0 ? '(no case of a type this masker has)' : formatTable(scores));
    if (unmapped.size > 0) console.log(`findings in cases of types this masker does not have: ${[...unmapped].map(([t, n]) => `${t} ${n}`).join(', ')}`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) printCorpora();
