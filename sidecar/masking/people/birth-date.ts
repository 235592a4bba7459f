// DATE_OF_BIRTH: a date with a birth word shortly before it ("born on 12 March 1985",
// "geboren am 03.04.1979", "née le 5 mai 1990", "DOB: 1985-03-12", "urodzony 12.05.1980",
// "født 1. maj 1975"). A date without one is just a date and stays as it is.
import { codeAt, isDigit } from '../chars.ts';
import { K_DOB_TEXT, type Hits } from '../hits.ts';
import { mayBeBirthWord, R_BIRTH, R_BIRTH_LINK, rolesOf } from './lexicon.ts';
import { isLetterCode } from './words.ts';

function isWordChar(c: number): boolean {
  return isLetterCode(c) || c === 46;
}

/**
 * Whether a birth word (the lexicon's R_BIRTH: "born", "geboren", "née", "d.o.b") ends shortly
 * before i, with at most three small words between ("born on the", "geboren am", "birth date").
 */
export function birthContextBefore(s: string, i: number): boolean {
  let j = i;
  const stop = i > 40 ? i - 40 : 0;
  // Each character is read once (c is s[j - 1], then s[b - 1]; -1 at the window's start): most
  // dates have no birth word before them and end at the first or second word.
  let c = j > stop ? s.charCodeAt(j - 1) : -1;
  for (let words = 0; words < 4; words++) {
    // Separators: spaces, ':', ',', '(', '-', at most four.
    let seps = 0;
    while (c >= 0 && seps < 4 && !isWordChar(c) && !isDigit(c)) {
      j--;
      seps++;
      c = j > stop ? s.charCodeAt(j - 1) : -1;
    }
    // The word back to b, and its end e without trailing dots ("geb.").
    let b = j;
    let e = j;
    while (isWordChar(c)) {
      if (c === 46 && e === b) e--;
      b--;
      c = b > stop ? s.charCodeAt(b - 1) : -1;
    }
    if (b === j || isDigit(b > stop || b === 0 ? c : s.charCodeAt(b - 1))) return false;
    if (!mayBeBirthWord(s, b, e)) return false;
    const roles = rolesOf(s, b, e);
    if ((roles & R_BIRTH) !== 0) return true;
    if ((roles & R_BIRTH_LINK) === 0) return false;
    j = b;
  }
  return false;
}

const MONTHS =
  'january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec|' +
  'januar|februar|märz|maerz|mai|juni|juli|oktober|dezember|janvier|février|fevrier|mars|avril|juin|juillet|août|aout|septembre|octobre|novembre|décembre|' +
  'enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre|gennaio|febbraio|aprile|maggio|giugno|luglio|settembre|ottobre|dicembre|' +
  'januari|februari|maart|mei|augustus|stycznia|lutego|marca|kwietnia|maja|czerwca|lipca|sierpnia|września|wrzesnia|października|pazdziernika|listopada|grudnia|' +
  'marts|maj|augusti|tammikuuta|helmikuuta|maaliskuuta|huhtikuuta|toukokuuta|kesäkuuta|heinäkuuta|elokuuta|syyskuuta|lokakuuta|marraskuuta|joulukuuta';

// "12 March 1985", "12. März 1985", "5 de mayo de 1990", "1er mai 1990"
const DAY_FIRST = new RegExp(`\\d{1,2}(?:er|st|nd|rd|th)?\\.?\\s+(?:de\\s+)?(?:${MONTHS})\\.?,?\\s+(?:de\\s+)?\\d{4}(?!\\p{N})`, 'iuy');
// The first two letters of the words DAY_FIRST reads after a day (a month, "de"), in lower
// case, by their ASCII codes: "1 TB", "3 items" end before the birth-word look-behind.
const MONTH_PAIRS = new Uint8Array(128 * 128);
for (const word of [...MONTHS.replace('sept?', 'sep').split('|'), 'de']) {
  const a = word.charCodeAt(0);
  const b = word.charCodeAt(1);
  if (a < 128 && b < 128) MONTH_PAIRS[(a << 7) | b] = 1;
}

/**
 * False when the word at m cannot start a month name (or "de"): its first two characters are
 * ASCII and no month begins with them. True for anything else, non-ASCII included (the
 * expression's case folding is Unicode's).
 */
export function monthMayStart(s: string, m: number): boolean {
  const a = codeAt(s, m);
  const b = codeAt(s, m + 1);
  if (a >= 128 || b >= 128) return true;
  return a >= 0 && b >= 0 && MONTH_PAIRS[((a | 32) << 7) | (b | 32)] === 1;
}

// "March 12, 1985"
const MONTH_FIRST = new RegExp(`(?:${MONTHS})\\.?\\s+\\d{1,2}(?:st|nd|rd|th)?,?\\s+\\d{4}(?!\\p{N})`, 'iuy');

// "6.12.1985", "3/4/79": one-digit parts, which the scanner's date shapes leave out.
const SHORT_NUMERIC = /\d{1,2}([./-])\d{1,2}\1(?:\d{4}|\d{2})(?![\p{N}./-])/uy;

/** At the start of a date written with a month name (or short numeric); adds it when a birth word precedes. */
export function detectBirthDateWords(s: string, i: number, hits: Hits, monthFirst: boolean): number {
  if (!birthContextBefore(s, i)) return -1;
  let end = -1;
  for (const re of monthFirst ? [MONTH_FIRST] : [DAY_FIRST, SHORT_NUMERIC]) {
    re.lastIndex = i;
    if (re.test(s)) {
      end = re.lastIndex;
      break;
    }
  }
  if (end < 0) return -1;
  hits.add(K_DOB_TEXT, i, end);
  return end;
}

/** A numeric date at [i, end) (the scanner found its shape): a birth date when a birth word precedes. */
export function detectBirthDateNumeric(s: string, i: number, end: number, hits: Hits): boolean {
  if (!birthContextBefore(s, i)) return false;
  hits.add(K_DOB_TEXT, i, end);
  return true;
}
