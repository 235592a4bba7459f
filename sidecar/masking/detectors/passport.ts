// PASSPORT: passport numbers, only in context. Passport numbers have no common structure (six
// to ten letters and digits; Germany's carry a check digit, most do not), so a candidate counts
// only after a passport word in one of the EU languages, within a few words, and must look like
// a document number: 6-10 letters and digits, at least five digits, at most three letters.
import { codeAt, isAsciiAlnum, isDigit, isWordCode } from '../chars.ts';
import { K_PASSPORT, type Hits } from '../hits.ts';

const PASSPORT_CUE =
  /(?:passport|passeport|reisepass|pass-nr|passnr|pass-nummer|passnummer|pasaporte|passaporto|passaporte|paspoort|paspoortnummer|paszport|passi|passinumero|pas nr|cestovní pas|cestovni pas|útlevél|utlevel|pasaport|pasošs|pasas|διαβατήριο|travel document)(?:[^\p{L}]|$)/gu;

/**
 * Whether a passport word comes in the 40 characters before `i` with no other number between
 * it and `i`: in "passport holder, phone 0612345678" the cue is the phone's, not the number's.
 */
export function passportCueBefore(s: string, i: number): boolean {
  const from = Math.max(0, i - 40);
  const text = s.slice(from, i).toLowerCase();
  PASSPORT_CUE.lastIndex = 0;
  let last = -1;
  let m: RegExpExecArray | null;
  while ((m = PASSPORT_CUE.exec(text)) !== null) last = m.index + m[0].length;
  if (last < 0) return false;
  for (let k = last; k < text.length; k++) if (isDigit(text.charCodeAt(k))) return false;
  return true;
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
  if (digits < 5 || len - digits > 3 || !passportCueBefore(s, i)) return -1;
  hits.add(K_PASSPORT, i, we);
  return we;
}
