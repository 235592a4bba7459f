// NATIONAL_ID: personal, tax and social-security numbers of European countries, the UK and
// Switzerland (the US SSN stays the `ssn` detector's SSN type, see README). A candidate is masked
// only when its country's checksum or structure validates it (national-id/digits.ts, alnum.ts);
// formats whose checksum a random number passes too often (nine or ten digits, one check
// digit) also need a cue word before them (national-id/cues.ts).
//
// Three entry points, by how the candidate starts: digits only ("86095742719", "811228-9874",
// "756.9217.0769.85"), digits then letters in one word ("12345678Z", "1234567T",
// "15070649C103", "010101A123N"), or a letter ("RSSMRA85T10A562S", "X1234567L", "AB 12 34 56 C").
import { codeAt, isAlnumCode, isDigit, isHex, isLower, isUpper, isWordCode, numberEndsToken } from '../chars.ts';
import { K_NATIONAL_ID, K_NATIONAL_ID_CUE, K_NATIONAL_ID_WHOLE, type Hits } from '../hits.ts';
import { deRvnr, esDniNie, fiHetu, iePpsn, itCodiceFiscale, ukNino } from './national-id/alnum.ts';
import { cueCovers, nationalIdCueBefore } from './national-id/cues.ts';
import { RULES_BY_SHAPE, sePersonnummer, shapeStep, wholeValueExcluded } from './national-id/digits.ts';
import { entireValue } from './entire-value.ts';
import { phoneContextBefore } from './phone.ts';

const MAX_GROUPS = 7;
const MAX_DIGITS = 15;
const gEnd = new Int32Array(MAX_GROUPS);
const gLen = new Int32Array(MAX_GROUPS);
const gSep = new Int32Array(MAX_GROUPS);

function isAsciiLetter(c: number): boolean {
  return isUpper(c) || isLower(c);
}

function isIdSep(c: number): boolean {
  return c === 32 || c === 45 || c === 46 || c === 47;
}

/** The word s[i, end) in upper case when it ends a token, else ''. */
function upperWord(s: string, i: number, end: number): string {
  return isWordCode(codeAt(s, end)) ? '' : s.slice(i, end).toUpperCase();
}

function found(hits: Hits, start: number, end: number, kind = K_NATIONAL_ID): number {
  hits.add(kind, start, end);
  return end;
}

/**
 * `i` is at a digit that starts a token. Returns the end of a national identifier there, or -1. `alone`: the
 * least ALONE_* level (digits.ts) a rule needs to stand without a cue when the number is the whole value:
 * ALONE_STRING in a string or text, ALONE_NUMBER in a JSON number, 0 for never (under a phone key, where the
 * phone is meant, and in a number that only may start an identifier).
 */
export function detectNationalIdDigits(s: string, i: number, hits: Hits, alone = 0): number {
  let j = i;
  let digits = 0;
  let groups = 0;
  let sep = 0;
  for (;;) {
    const gs = j;
    while (isDigit(codeAt(s, j)) && digits <= MAX_DIGITS) {
      j++;
      digits++;
    }
    if (digits > MAX_DIGITS) return -1;
    gLen[groups] = j - gs;
    gEnd[groups] = j;
    gSep[groups] = sep;
    groups++;
    const c = codeAt(s, j);
    if (groups === 1 && j - i === 6 && (c === 45 || c === 43)) {
      // FI "131052-308T": the check character may be a letter, so it is read whole here.
      const v = upperWord(s, i, i + 11);
      if (v !== '' && fiHetu(v)) return found(hits, i, i + 11);
    }
    if (groups === 1 && (j - i === 8 || j - i === 7) && (c === 45 || c === 32) && isAsciiLetter(codeAt(s, j + 1)) && !isAlnumCode(codeAt(s, j + 2))) {
      // ES "12345678-Z", "1111111-G" (a DNI written without its leading zero).
      if (esDniNie(`${s.slice(i, j).padStart(8, '0')}${s[j + 1]!.toUpperCase()}`)) return found(hits, i, j + 2);
    }
    if (groups === MAX_GROUPS || !isIdSep(c) || !isDigit(codeAt(s, j + 1))) break;
    sep = c;
    j++;
  }
  // The longest grouping that validates; a shorter one only when a space separates what is left.
  for (let g = groups; g >= 1; g--) {
    if (g < groups && gSep[g] !== 32) continue;
    let total = 0;
    for (let k = 0; k < g; k++) total += gLen[k]!;
    if (total < 9) break;
    let shape = 0;
    for (let k = 0; k < g; k++) shape = shapeStep(shape, gLen[k]!, gSep[k]!);
    const rules = RULES_BY_SHAPE[total]!.get(shape);
    const end = gEnd[g - 1]!;
    if (rules === undefined || !numberEndsToken(s, end)) continue;
    let d = '';
    let cue: readonly string[] | undefined | null = null; // null: not looked up yet
    for (const r of rules) {
      // The digits without separators, a group at a time.
      if (d === '') for (let k = 0; k < g; k++) d += s.slice(gEnd[k]! - gLen[k]!, gEnd[k]);
      if (!r.valid(d)) continue;
      if (r.strongShapes.includes(shape) && !phoneContextBefore(s, i)) return found(hits, i, end);
      if (alone !== 0 && r.alone >= alone && !wholeValueExcluded(d) && entireValue(s, i, end)) return found(hits, i, end, K_NATIONAL_ID_WHOLE);
      if (cue === null) cue = nationalIdCueBefore(s, i);
      if (cue !== undefined && cueCovers(cue, r.name)) return found(hits, i, end, K_NATIONAL_ID_CUE);
    }
  }
  return -1;
}

/**
 * `i` starts a word whose leading `run` digits are followed by letters, ending at `we`:
 * ES DNI "12345678Z", IE PPSN "1234567T", DE RVNR "15070649C103", FI HETU "010101A123N".
 */
export function detectNationalIdMixed(s: string, i: number, run: number, we: number, hits: Hits): number {
  const len = we - i;
  if (!(run === 6 && len === 11) && !(run === 7 && (len === 8 || len === 9)) && !(run === 8 && (len === 9 || len === 12))) return -1;
  // One segment of a hyphenated token ("1325737b-5dd2-4341-..."): a UUID or a key, not an identifier.
  // One random UUID in about a thousand passed the PPSN check letter that way.
  if ((codeAt(s, we) === 45 && isAlnumCode(codeAt(s, we + 1))) || (codeAt(s, i - 1) === 45 && isAlnumCode(codeAt(s, i - 2)))) return -1;
  const v = s.slice(i, we).toUpperCase();
  const ok = run === 6 ? fiHetu(v) : run === 7 ? iePpsn(v) || (len === 8 && esDniNie(`0${v}`)) : len === 9 ? esDniNie(v) : deRvnr(v);
  return ok ? found(hits, i, we) : -1;
}

// The NINO as people write it: "AB 12 34 56 C", "AB 123456 C", "AB123456 C", any case.
const NINO_SPACED = /^[A-Za-z]{2} ?(?:\d{6}|\d\d \d\d \d\d) ?[A-Da-d]/u;

/**
 * Where a short word lost its space before a self-checking identifier ("my code is030594W903B", "is199003052397"):
 * the identifier's start inside the word s[i, we), or -1. Only the FI HETU and the 12-digit SE personnummer, whose
 * date, century and check leave about one random string of their shape in a thousand; one to four letters before,
 * not all of them hex digits: a hash or a UUID's last segment ("a160975f978f") is one token.
 */
function gluedIdStart(s: string, i: number, we: number): number {
  if (codeAt(s, i - 1) === 45 || codeAt(s, we) === 45) return -1;
  for (let n = 11; n <= 12; n++) {
    const start = we - n;
    if (start - i < 1 || start - i > 4 || !isDigit(codeAt(s, start))) continue;
    let hex = true;
    let k = i;
    for (; k < start && isAsciiLetter(s.charCodeAt(k)); k++) hex &&= isHex(s.charCodeAt(k));
    if (k === start && !hex) return start;
  }
  return -1;
}

/** `i` starts a word of 12-16 letters and digits ending at `we`: see gluedIdStart. */
export function detectGluedNationalId(s: string, i: number, we: number, hits: Hits): number {
  const g = gluedIdStart(s, i, we);
  if (g < 0) return -1;
  if (we - g === 11) return fiHetu(s.slice(g, we).toUpperCase()) ? found(hits, g, we) : -1;
  for (let k = g; k < we; k++) if (!isDigit(s.charCodeAt(k))) return -1;
  return sePersonnummer(s.slice(g, we)) ? found(hits, g, we) : -1;
}

/** `i` starts a word of letters and digits ending at `we`: IT codice fiscale, ES NIE, UK NINO. */
export function detectNationalIdLetters(s: string, i: number, we: number, hits: Hits): number {
  const len = we - i;
  if (len === 16) return itCodiceFiscale(s.slice(i, we).toUpperCase()) ? found(hits, i, we) : detectGluedNationalId(s, i, we, hits);
  if (len === 9) {
    const v = s.slice(i, we).toUpperCase();
    return esDniNie(v) || ukNino(v) ? found(hits, i, we) : -1;
  }
  if (len === 8 && (codeAt(s, we) === 45 || codeAt(s, we) === 32) && isAlnumCode(codeAt(s, we + 1)) && !isWordCode(codeAt(s, we + 2))) {
    // ES NIE "Y8063915-Z"; where that fails, "AB123456 C" may still be a NINO (below).
    if (esDniNie((s.slice(i, we) + s[we + 1]).toUpperCase())) return found(hits, i, we + 2);
  }
  // Cheap test first: "to 2024" and "at 10:30" reach here often; a NINO has two digits then a space or a digit.
  const d = we + 1;
  const spaced = len === 2 && isDigit(codeAt(s, d)) && isDigit(codeAt(s, d + 1)) && (isDigit(codeAt(s, d + 2)) || codeAt(s, d + 2) === 32);
  if (spaced || (len === 8 && codeAt(s, we) === 32)) {
    const m = NINO_SPACED.exec(s.slice(i, i + 13));
    if (m === null || isWordCode(codeAt(s, i + m[0].length))) return -1;
    return ukNino(m[0].replaceAll(' ', '').toUpperCase()) ? found(hits, i, i + m[0].length) : -1;
  }
  return -1;
}

/** Whether a letter-initial word could be one of the identifiers above (cheap test for the scanner). */
export function idLetterCandidate(s: string, i: number, we: number): boolean {
  const len = we - i;
  if (len === 2) {
    // "DE 136695976", "AB 12 34 56 C", and "ES A28015865", "AT U13585627" (both letters upper-case).
    const c = codeAt(s, we);
    if (c !== 32 && c !== 45 && c !== 46) return false;
    const d = codeAt(s, we + 1);
    return isDigit(d) || (isUpper(d) && isUpper(s.charCodeAt(i)) && isUpper(s.charCodeAt(i + 1)));
  }
  if (len < 6 || len > 16) return false;
  return isDigit(s.charCodeAt(i + 1)) || isDigit(s.charCodeAt(i + 2)) || isDigit(s.charCodeAt(i + 3)) || isDigit(s.charCodeAt(i + 6));
}
