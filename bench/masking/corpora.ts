// Recall and precision per TYPE on labelled corpora: the team's own (test/fixtures/masking)
// and, when ../shared/corpora/ is there, the third-party cases in it (Presidio's recognizer
// tests; see its README), or in MASKING_CORPORA_DIR. Printed by run.ts after the throughput table.
//
//   node_modules/.bin/node bench/masking/corpora.ts
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILTIN_DETECTORS, BUILTIN_TYPES } from '../../policy/builtin-detectors.ts';
import { Masker } from '../../sidecar/masking/engine.ts';
import { formatTable, loadCorpus, score, type TypeScore } from '../../test/masking/corpus-eval.ts';
import { loadPeopleCorpus, scorePeople } from '../../test/masking/corpus-people-eval.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
// ../shared/corpora beside the checkout, or where MASKING_CORPORA_DIR says (a worktree elsewhere).
const SHARED = process.env.MASKING_CORPORA_DIR ?? join(HERE, '..', '..', '..', 'shared', 'corpora');

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
};

/** Presidio's types whose cases must not be found as one of ours: a date is no birth date without a birth word. */
const NEGATIVE_FOR: Readonly<Record<string, string>> = { DATE: 'DATE_OF_BIRTH' };

interface PresidioCase {
  readonly id: string;
  readonly type: string;
  readonly text: string;
  readonly spans: readonly { readonly start: number; readonly end: number; readonly value: string }[];
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
    const want = new Set(c.spans.map((s) => `${s.start}:${s.end}`));
    for (const f of masker.detect(c.text)) {
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
