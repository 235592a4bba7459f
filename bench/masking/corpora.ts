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
import { nationalIdRulesPassed } from '../../sidecar/masking/detectors/national-id/validate.ts';
import { vatIdValid } from '../../sidecar/masking/detectors/vat-id/rules.ts';
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

/**
 * The rule (nationalIdRulesPassed's names) that makes a value of Presidio's identifier types valid, or for VAT types
 * the country prefix a bare number is read with. The masker masks an identifier only when it validates, so recall
 * is also printed over the valid ones: Presidio labels numbers that fail their official checksum as positives too.
 */
const VALID_BY: Readonly<Record<string, string>> = {
  DE_TAX_ID: 'DE Steuer-ID',
  DE_SOCIAL_SECURITY: 'DE RVNR',
  ES_NIE: 'ES DNI/NIE',
  ES_NIF: 'ES DNI/NIE',
  FI_PERSONAL_IDENTITY_CODE: 'FI HETU',
  IT_FISCAL_CODE: 'IT codice fiscale',
  PL_PESEL: 'PL PESEL',
  SE_PERSONNUMMER: 'SE personnummer',
  UK_NHS: 'UK NHS number',
  UK_NINO: 'UK NINO',
  DE_VAT_ID: 'DE',
  IT_VAT_CODE: 'IT',
};
const ID_TYPES = new Set(['NATIONAL_ID', 'VAT_ID']);
// The value of a positive labelled without positions (only Presidio's DE VAT cases): a prefix and digits.
const VAT_LIKE = /[A-Za-z]{2}[ .-]?\d[\d .-]*\d/u;
// A passport number has no structure to validate: the masker reads one only beside a passport word.
const PASSPORT_WORD = /pass|travel document|pasaporte|passaporto|paspoort|paszport/iu;

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

/** One labelled value of a positive case and whether the masker found it under the mapped TYPE. */
interface Outcome {
  readonly presidioType: string;
  readonly type: string;
  readonly value: string;
  readonly text: string;
  readonly found: boolean;
  /** Whether a NATIONAL_ID or VAT_ID finding overlaps the value. */
  readonly maskedAsId: boolean;
}

/** Whether a labelled value passes our own validator for its Presidio type; undefined for types without one. */
export function validForType(presidioType: string, value: string): boolean | undefined {
  const rule = VALID_BY[presidioType];
  if (rule === undefined) return undefined;
  if (PRESIDIO_TYPES[presidioType] === 'VAT_ID') return vatIdValid(value) || vatIdValid(`${rule}${value}`);
  return nationalIdRulesPassed(value).includes(rule);
}

/** The expected spans: `spans`, or where `values` occur in order when a case has only those. */
function expected(c: PresidioCase): string[] {
  if (c.spans !== null) return c.spans.map((s) => trimmed(c.text, s.start, s.end));
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

/** A span without the white space a label sometimes takes in at its ends (" YZ 61 48 68 B"): the value is what counts. */
function trimmed(text: string, start: number, end: number): string {
  while (start < end && /\s/.test(text[start] ?? '')) start++;
  while (end > start && /\s/.test(text[end - 1] ?? '')) end--;
  return `${start}:${end}`;
}

/** Scores every case: its spans are expected under the mapped TYPE; anything else the masker finds is a false positive of its TYPE. */
function scoreThirdParty(masker: Masker, cases: readonly PresidioCase[]): { scores: Map<string, TypeScore>; unmapped: Map<string, number>; outcomes: Outcome[] } {
  const scores = new Map<string, TypeScore>();
  const unmapped = new Map<string, number>();
  const outcomes: Outcome[] = [];
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
    const asId = (start: number, end: number): boolean => found.some((f) => ID_TYPES.has(f.type) && f.start < end && f.end > start);
    if (c.spans === null && c.values === null && c.expect > 0) {
      // A positive without positions (a whole-text value such as "DE 136 695 976"): scored per case, found or not.
      const hit = found.some((f) => f.type === type);
      if (hit) get(type).tp++;
      else get(type).fn++;
      const m = VAT_LIKE.exec(c.text);
      const [start, end] = m === null ? [0, c.text.length] : [m.index, m.index + m[0].length];
      outcomes.push({ presidioType: c.type, type, value: c.text.slice(start, end), text: c.text, found: hit, maskedAsId: asId(start, end) });
      continue;
    }
    const want = new Set(expected(c));
    const spans = [...want];
    for (const f of found) {
      if (f.type === type && want.delete(`${f.start}:${f.end}`)) get(type).tp++;
      else get(f.type).fp++;
    }
    get(type).fn += want.size;
    for (const k of spans) {
      const [start, end] = k.split(':').map(Number) as [number, number];
      outcomes.push({ presidioType: c.type, type, value: c.text.slice(start, end), text: c.text, found: !want.has(k), maskedAsId: asId(start, end) });
    }
  }
  return { scores, unmapped, outcomes };
}

const ratio = (n: number, d: number): string => (d === 0 ? '-' : (n / d).toFixed(3));

/**
 * Per Presidio identifier type: recall over every labelled value, and over the values our validators accept (the
 * only ones the masker is meant to mask); how many labelled values fail their checksum and whether any of those was
 * masked as NATIONAL_ID/VAT_ID anyway (issue 14: none may be). PASSPORT: recall over the values beside a passport word.
 */
function formatValidity(outcomes: readonly Outcome[]): string {
  const lines = ['PRESIDIO TYPE              labelled  found  recall  valid  found  recall(valid)  invalid  invalid masked'];
  const byType = new Map<string, Outcome[]>();
  for (const o of outcomes) byType.set(o.presidioType, [...(byType.get(o.presidioType) ?? []), o]);
  let invalidAll = 0;
  let invalidMasked = 0;
  for (const [t, os] of [...byType].sort(([a], [b]) => a.localeCompare(b))) {
    if (VALID_BY[t] === undefined) continue;
    const valid = os.filter((o) => validForType(t, o.value) === true);
    const invalid = os.filter((o) => validForType(t, o.value) === false);
    const masked = invalid.filter((o) => o.maskedAsId).length;
    invalidAll += invalid.length;
    invalidMasked += masked;
    const hits = os.filter((o) => o.found).length;
    const validHits = valid.filter((o) => o.found).length;
    lines.push(`${t.padEnd(25)}  ${String(os.length).padStart(8)}  ${String(hits).padStart(5)}  ${ratio(hits, os.length).padStart(6)}  ${String(valid.length).padStart(5)}  ${String(validHits).padStart(5)}  ${ratio(validHits, valid.length).padStart(13)}  ${String(invalid.length).padStart(7)}  ${String(masked).padStart(14)}`);
  }
  lines.push(`labelled identifiers failing their checksum: ${invalidAll}, of them masked as NATIONAL_ID/VAT_ID: ${invalidMasked}`);
  const passports = outcomes.filter((o) => o.type === 'PASSPORT');
  if (passports.length > 0) {
    const inContext = passports.filter((o) => PASSPORT_WORD.test(o.text));
    const hit = (os: readonly Outcome[]): number => os.filter((o) => o.found).length;
    lines.push(`PASSPORT recall: all ${ratio(hit(passports), passports.length)} (${hit(passports)}/${passports.length}), beside a passport word ${ratio(hit(inContext), inContext.length)} (${hit(inContext)}/${inContext.length})`);
  }
  return lines.join('\n');
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
    const { scores, unmapped, outcomes } = scoreThirdParty(redact, cases);
    console.log(`\nquality on ../shared/corpora/${file} (${cases.length} cases), exact spans:`);
    console.log(scores.size === 0 ? '(no case of a type this masker has)' : formatTable(scores));
    if (outcomes.some((o) => VALID_BY[o.presidioType] !== undefined || o.type === 'PASSPORT')) console.log(formatValidity(outcomes));
    if (unmapped.size > 0) console.log(`findings in cases of types this masker does not have: ${[...unmapped].map(([t, n]) => `${t} ${n}`).join(', ')}`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) printCorpora();
