// Where the scanner hands over to the people detectors: a capitalised word (PERSON, and a
// birth date written month first) and a short number (a house number, a birth date written
// day first). Both gates are cheap: a lexicon bit-set probe on the word's char codes, and a
// sticky regular expression that fails on the first character that does not fit.
import { codeAt, isDigit } from '../chars.ts';
import type { Hits } from '../hits.ts';
import { detectAddress } from './address.ts';
import { detectBirthDateWords, monthMayStart } from './birth-date.ts';
import { FNV_OFFSET, FNV_PRIME, HASH_BITS, lowerCode, R_GIVEN, R_MONTH, R_SALUTATION, R_STREET_LEAD, R_SURNAME, R_TITLE, rolesHashed, rolesOf } from './lexicon.ts';

// Words a name can start at: the others ("The", "Quarterly", "March" alone) end here.
const R_NAMES = R_GIVEN | R_SURNAME | R_TITLE | R_SALUTATION;
import { detectPerson } from './person.ts';
import { isLetterCode, isUpperLetter, startsFree } from './words.ts';

/** Enabled-bit masks the scanner passes on (the scanner owns the bit values). */
export interface PeopleBits {
  readonly person: number;
  readonly address: number;
  readonly dob: number;
}

/** `i` starts a word with a capital letter. Returns the end of a finding, or -1. */
export function atCapital(s: string, i: number, enabled: number, bits: PeopleBits, hits: Hits): number {
  if (!startsFree(s, i)) return -1;
  // The word's end and its hash in one pass: most capitalised words end here.
  const n = s.length;
  let h = FNV_OFFSET | 0;
  let e = i;
  while (e < n) {
    let c = s.charCodeAt(e);
    if (c < 128) {
      if (c >= 65 && c <= 90) c |= 32;
      else if (c < 97 || c > 122) {
        if ((c === 39 || c === 45) && e > i && isLetterCode(s.charCodeAt(e + 1))) {
          h = Math.imul(h ^ c, FNV_PRIME);
          e++;
          continue;
        }
        break;
      }
    } else if (c === 0x2019 && isLetterCode(s.charCodeAt(e + 1))) {
      // ’ joins like '
    } else if (isLetterCode(c)) c = lowerCode(c);
    else break;
    h = Math.imul(h ^ c, FNV_PRIME);
    e++;
  }
  if (e - i > 24 || e - i === 0) return -1;
  const roles = rolesHashed(s, i, e, h & HASH_BITS);
  if (roles === 0) return -1;
  if ((roles & R_MONTH) !== 0 && (enabled & bits.dob) !== 0) {
    const r = detectBirthDateWords(s, i, hits, true);
    if (r >= 0) return r;
  }
  return (enabled & bits.person) !== 0 && (roles & R_NAMES) !== 0 ? detectPerson(s, i, e, roles, hits) : -1;
}

/**
 * After a day at e: sep, one or two digits, the same sep and two digits ("6.12.1985", "3/4/79").
 * Versions and ranges ("3.2.1", "1-4", "10.2") end here, before the birth-word lookup.
 */
function shortNumericDate(s: string, e: number, sep: number): boolean {
  let j = e + 1;
  if (!isDigit(codeAt(s, j))) return false;
  if (isDigit(codeAt(s, ++j))) j++;
  return codeAt(s, j) === sep && isDigit(codeAt(s, j + 1)) && isDigit(codeAt(s, j + 2));
}

// First letters of the street words STREET_AFTER reads right after a house number (Rue, Route,
// Avenue, Av., Allée, Boulevard, Bd, Place, Chemin, Cours, Impasse, Quai), by their ASCII codes.
const LEAD_FIRST = new Uint8Array(128);
for (const ch of 'RABPCIQ') LEAD_FIRST[ch.charCodeAt(0)] = 1;

/**
 * Whether the capitalised word at j (letters and ' ’ . -) can start the street after a house
 * number: it is followed by a space, as the first word of a street is ("Baker Street", "Rue de
 * la Paix"), and either may be one of STREET_AFTER's leads or a capitalised word follows it
 * (English street names end in one: "Baker Street"). "5 GB", "3 PM.", "1 TB v2" are no street
 * and end here, before the expressions. True at any non-ASCII character (the expression's
 * letters, spaces and capitals are Unicode's).
 */
function wordThenSpace(s: string, j: number): boolean {
  const n = s.length;
  let k = j;
  for (; k < n; k++) {
    const c = s.charCodeAt(k);
    if (c >= 128) return true;
    if (((c | 32) >= 97 && (c | 32) <= 122) || c === 39 || c === 46 || c === 45) continue;
    if (c !== 32 && (c < 9 || c > 13)) return false;
    break;
  }
  if (k >= n) return false;
  if (LEAD_FIRST[s.charCodeAt(j)] === 1) return true;
  for (k++; k < n; k++) {
    const c = s.charCodeAt(k);
    if (c >= 128) return true;
    if (c !== 32 && (c < 9 || c > 13)) return c >= 65 && c <= 90;
  }
  return false;
}

/**
 * `i` starts a run of `run` digits that `next` follows (a letter after them for "221B").
 * Returns the end of an address or birth date found there, or -1.
 */
export function atShortNumber(s: string, i: number, run: number, next: number, enabled: number, bits: PeopleBits, hits: Hits): number {
  // Both start a token after a space, ':' or '(' (or the string's start): not "2024-05-01"'s "05".
  const p = i > 0 ? s.charCodeAt(i - 1) : 32;
  if (p !== 32 && p !== 58 && p !== 40 && p !== 10 && p !== 9 && p !== 0xa0) return -1;
  const e = i + run;
  // codeAt, not charCodeAt: these run at the end of most values, and a read past the end costs
  // V8 a slow path (see chars.ts).
  const after = codeAt(s, e + 1);
  // A day: "12 March", "12. März", "6.12.1985", "3/4/79"; not "1 TB" (no month starts "tb").
  if ((enabled & bits.dob) !== 0 && run <= 2 && (((next === 32 || next === 46) && isLetterCode(after) && monthMayStart(s, e + 1)) || ((next === 46 || next === 47 || next === 45) && shortNumericDate(s, e, next)) || (next === 46 && after === 32))) {
    const r = detectBirthDateWords(s, i, hits, false);
    if (r >= 0) return r;
  }
  if ((enabled & bits.address) === 0) return -1;
  // A house number: a word and a space before it ("Hauptstraße 5"), or a space (", ") and a
  // word after it ("221B Baker Street", "12 rue de la Paix").
  // Not a version, a decimal or a time: "3.2.1", "2,5", "10:30".
  if ((next === 46 || next === 44 || next === 58) && isDigit(after)) return -1;
  const before = (p === 32 || p === 0xa0) && isLetterCode(codeAt(s, i - 2));
  // After the number (and a letter, "221B"), ", " or " ", then a capitalised word or "rue".
  let w = isLetterCode(next) && !isLetterCode(after) ? e + 1 : e;
  if (codeAt(s, w) === 44) w++;
  let streetAfter = false;
  if (codeAt(s, w) === 32) {
    const c = codeAt(s, w + 1);
    if (isUpperLetter(c)) streetAfter = wordThenSpace(s, w + 1);
    // Lower-case leads: rue, avenue, av., boulevard, bd, place, allée, chemin, impasse, quai, cours, route.
    else if (c === 114 || c === 97 || c === 98 || c === 112 || c === 99 || c === 105 || c === 113) {
      let we = w + 1;
      while (we < s.length && isLetterCode(s.charCodeAt(we))) we++;
      streetAfter = we - w - 1 <= 9 && (rolesOf(s, w + 1, we) & R_STREET_LEAD) !== 0;
    }
  }
  return before || streetAfter ? detectAddress(s, i, hits, before, streetAfter) : -1;
}
