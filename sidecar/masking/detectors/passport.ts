// PASSPORT: passport numbers, only in context. Passport numbers have no common structure (six
// to ten letters and digits; Germany's carry a check digit, most do not), so a candidate counts
// only after a passport word in one of the EU languages, within a few words, and must look like
// a document number: 6-10 letters and digits, at least five digits, at most three letters.
import { codeAt, isAsciiAlnum, isDigit, isWordCode } from '../chars.ts';
import { K_PASSPORT, type Hits } from '../hits.ts';

const CUE_WORDS =
  '(?:passports?|passeports?|reisepass|reisepässe|pass-nr|passnr|pass-nummer|passnummer|pasaportes?|passaport[oi]|passaportes?|paspoort|paspoortnummer|paszport|passin|passinumero|pas nr|cestovní pas|cestovni pas|útlevél|utlevel|pasaport|pasošs|pasas|διαβατήριο|travel document)';
// Up to two more letters for inflected forms ("paszportu", "passaporti").
const CUE_BEFORE = new RegExp(`(?:^|[^\\p{L}])${CUE_WORDS}\\p{L}{0,2}(?:[^\\p{L}]|$)`, 'giu');
const CUE_AFTER = new RegExp(`^[^\\p{N}]{0,32}?${CUE_WORDS}\\p{L}{0,2}(?:[^\\p{L}]|$)`, 'iu');
// Every cue word holds one of these: a cheap test before the full expressions.
const CUE_HINT = /pa[sś]|διαβ|travel|útlev|utlev|reisep/iu;
// What may stand between a cue and the number: words without digits, or other passport numbers
// of a list ("Passports: AB1234567 and XY9876543").
// At most four words, within the sentence.
const BETWEEN = /^(?:[^\p{N};!?\n]*|(?:[^\p{N};!?\n]*?[A-Za-z]{0,3}\d{5,9}[A-Za-z]?\s*(?:,|and|or|und|oder|et|ou|y|o|e|en|og|och|i)\s*)+)$/u;
const WORD = /\p{L}+/gu;

/**
 * Whether a passport word comes in the 40 characters before `i` with nothing but words or other
 * passport numbers between (in "passport holder, phone 0612345678" the phone number is not
 * one), or in the 40 after `end` with no number between ("AAA123456 es mi número de pasaporte").
 */
export function passportCue(s: string, i: number, end: number): boolean {
  const around = s.slice(Math.max(0, i - 40), end + 48);
  if (!CUE_HINT.test(around)) return false;
  const text = s.slice(Math.max(0, i - 40), i);
  CUE_BEFORE.lastIndex = 0;
  let last = -1;
  let m: RegExpExecArray | null;
  while ((m = CUE_BEFORE.exec(text)) !== null) {
    last = m.index + m[0].length;
    CUE_BEFORE.lastIndex = m.index + 1;
  }
  if (last >= 0) {
    const between = text.slice(last);
    if (BETWEEN.test(between) && (between.match(WORD)?.length ?? 0) <= 4) return true;
  }
  return CUE_AFTER.test(s.slice(end, end + 48));
}

/** `i` starts a token of letters and digits ending at `we`. Returns its end when it is a passport number in context, or -1. */
export function detectPassport(s: string, i: number, we: number, hits: Hits): number {
  const len = we - i;
  if (len < 6 || len > 10 || isWordCode(codeAt(s, we))) return -1;
  let digits = 0;
  for (let k = i; k < we; k++) {
    const c = s.charCodeAt(k);
    if (isDigit(c)) digits++;
    else if (!isAsciiAlnum(c)) return -1;
  }
  if (digits < 5 || len - digits > 3 || !passportCue(s, i, we)) return -1;
  hits.add(K_PASSPORT, i, we);
  return we;
}
