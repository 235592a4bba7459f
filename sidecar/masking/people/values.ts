// Which values under a personal-data key (keys.ts) are masked whole. The key says what the
// value is; the value's shape has the last word, so "name": "report.pdf", "name": "PRO_PLAN",
// "name": "Customer Records" and "address": "10.0.0.1" stay as they are (and are still
// scanned as text).
import { K_ADDRESS_KEY, K_DOB_KEY, K_NATIONAL_ID_KEY, K_PERSON_KEY } from '../hits.ts';
import { KEY_ADDRESS, KEY_CAP, KEY_DOB, KEY_NAME, KEY_NAME_IN_PERSON_RECORD, KEY_NATIONAL_ID, KEY_PERSON } from './keys.ts';
import { FNV_OFFSET, FNV_PRIME, HASH_BITS, lowerCode, R_AMBIGUOUS, R_GIVEN, R_PARTICLE, R_STOP, R_SURNAME, R_TITLE, rolesHashed } from './lexicon.ts';
import { capitalInsideName, isLetterCode, isUpperLetter } from './words.ts';

/** Enabled-bit masks (the scanner owns the values). */
export interface KeyedBits {
  readonly person: number;
  readonly address: number;
  readonly dob: number;
  readonly nationalId: number;
}

const PLACEHOLDER = /^(?:n\/?a|none|null|nil|unknown|anonymous|redacted|tbd|-+|\?+|x+)$/iu;

// What personValue finds a value to be: no name, a name only in a record about a person (see
// hasPersonKey), or a name under any key of its strength.
const NOT_A_NAME = 0;
const NAME_IN_PERSON_RECORD = 1;
const NAME = 2;

/**
 * keyedKind for a value under a generic name key that is a name only in a record about a
 * person: the caller masks it (as K_PERSON_KEY) when the record has a definite person key.
 * Below 0, so a caller that does not look for it reads it as "scan as text".
 */
export const NAME_IF_PERSON_RECORD = -2;

function isNameChar(c: number): boolean {
  return isLetterCode(c) || c === 39 || c === 0x2019 || c === 45 || c === 46 || (c >= 0x300 && c <= 0x36f);
}

/**
 * Whether s is a person's name for a key of this strength, read in place (values under name
 * keys are in every record: no strings are made). Shape, for every key: letters, spaces, ' ’ -
 * . and commas, one to six words, no digits, no "report.pdf" or "acme.com". A generic key
 * ("name", "owner") also needs a value the lexicon knows for a name ("Anna", "Jane Doe"), or,
 * in a record about a person (see hasPersonKey), one to four capitalised words none of which
 * names a thing ("Ximena Echeverría", not "Customer Records", "Billing Service" or "Acme
 * GmbH"). A server's or a resource's name ("Github Mcp") has no such record around it.
 *
 * Each word is read once: its shape, its lexicon hash and whether it is written like a name
 * (nameCased) come from the same pass, as a name value is in every record of a customer list.
 * For a generic key the one pass answers both questions (NAME, or NAME_IN_PERSON_RECORD):
 * whether the record is about a person is asked only when the answer depends on it.
 */
function personValue(s: string, generic: boolean): number {
  // Each character is read once, handed from one loop to the next in `c` (-1 past the end).
  let b = s.length;
  if (b === 0) return NOT_A_NAME;
  let a = 0;
  let c = s.charCodeAt(0);
  while (c === 32) c = ++a < b ? s.charCodeAt(a) : -1;
  if (a === b) return NOT_A_NAME;
  while (s.charCodeAt(b - 1) === 32) b--;
  if (b - a > 100 || !isLetterCode(c)) return NOT_A_NAME;
  if (b - a <= 9 && PLACEHOLDER.test(s.slice(a, b))) return NOT_A_NAME;
  let words = 0;
  let capitalised = 0;
  let known = false;
  let lastRoles = 0;
  let k = a;
  while (k < b) {
    while (c === 32 || c === 44) c = ++k < b ? s.charCodeAt(k) : -1;
    const ws = k;
    // The word's end without its trailing dots ("Jr."), and the hash of the word up to there.
    let we = ws;
    let h = FNV_OFFSET | 0; // unboxed: see lexicon.ts
    let hashed = 0;
    // Whether the word is written like a name so far (see nameCased): a capital first.
    let cased = generic && isUpperLetter(c);
    let prev = -1;
    let dot = -1;
    for (; k < b; c = ++k < b ? s.charCodeAt(k) : -1) {
      if (c === 32 || c === 44) break;
      if (c >= 97 && c <= 122) {
        // A lower-case ASCII letter, most of every name: nothing to check but a dot two back.
        if (dot === k - 2 && dot > ws && isLetterCode(prev)) return NOT_A_NAME;
        prev = c;
        if (generic) h = Math.imul(h ^ c, FNV_PRIME);
        we = k + 1;
        hashed = h;
        continue;
      }
      if (c === 46) dot = k;
      else if (isLetterCode(c)) {
        // A dot between letters is a file or a host ("report.pdf"), unless it joins initials ("J.R.").
        if (dot === k - 2 && dot > ws && isLetterCode(prev)) return NOT_A_NAME;
        if (cased && k > ws && isUpperLetter(c) && !capitalInsideName(s, ws, k)) cased = false;
      } else if (!isNameChar(c)) return NOT_A_NAME;
      prev = c;
      if (generic) h = Math.imul(h ^ lowerCode(c), FNV_PRIME);
      if (c !== 46) {
        we = k + 1;
        hashed = h;
      }
    }
    if (we === ws || ++words > 6) return NOT_A_NAME;
    if (!generic || we - ws === 1) continue;
    const roles = rolesHashed(s, ws, we, hashed & HASH_BITS);
    if ((roles & R_STOP) !== 0) return NOT_A_NAME;
    if (words > 1 && (roles & R_PARTICLE) !== 0 && !isUpperLetter(s.charCodeAt(ws))) continue;
    if (!cased) return NOT_A_NAME;
    capitalised++;
    // "Paris", "May", "Victoria" alone are as likely a place or a month: a surname must follow.
    if (words === 1 && ((roles & R_TITLE) !== 0 || ((roles & R_GIVEN) !== 0 && (roles & R_AMBIGUOUS) === 0))) known = true;
    lastRoles = words > 1 ? roles : 0;
  }
  if (!generic) return NAME;
  if (words > 4) return NOT_A_NAME;
  if (known || (lastRoles & R_SURNAME) !== 0) return NAME;
  return capitalised >= 1 ? NAME_IN_PERSON_RECORD : NOT_A_NAME;
}

// An e-mail, a URL, an IPv4 or IPv6 address, a hex wallet: other kinds of "address".
const ADDRESS_NOT = /@|:\/\/|^\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?$|^[0-9a-f]*:[0-9a-f]*:|^0x[0-9a-f]+$/iu;
const POSTCODE_SHAPE = /^[A-Za-z0-9][A-Za-z0-9 -]{1,10}$/u;
const HAS_DIGIT = /\d/u;
const LETTER = /\p{L}/u;
const FIVE_DIGITS = /^\d{5}$/u;
const ID_SHAPE = /^[A-Za-z0-9][A-Za-z0-9 ./-]{3,38}[A-Za-z0-9]$/u;

/** What ADDRESS_NOT can match holds '@' or ':', starts "0x", or is digits and dots: most street values are none. */
function mayBeOtherAddress(s: string): boolean {
  if (s.indexOf('@') >= 0 || s.indexOf(':') >= 0) return true;
  const t = s.trimStart();
  const c = t.charCodeAt(0);
  return c === 48 || (c >= 49 && c <= 57 && t.indexOf('.') >= 0);
}

/**
 * HAS_DIGIT.test(s) || LETTER.test(s), answered for ASCII without a regular expression: a
 * street or city value under an address key is in every record.
 */
function hasDigitOrLetter(s: string): boolean {
  let other = false;
  for (let k = 0; k < s.length; k++) {
    const c = s.charCodeAt(k);
    const l = c | 32;
    if ((c >= 48 && c <= 57) || (l >= 97 && l <= 122)) return true;
    if (c >= 128) other = true;
  }
  return other && LETTER.test(s);
}

/**
 * The common street, town or postcode value ("Hauptstraße 5", "Berlin", "10115") in one pass:
 * it starts with an ASCII letter or a digit 1-9, is at most 200 long and holds no '@' or ':'
 * (nor a '.' after a leading digit), so neither an empty value nor one ADDRESS_NOT can match.
 */
function plainStreetValue(s: string): boolean {
  const n = s.length;
  if (n === 0 || n > 200) return false;
  const c0 = s.charCodeAt(0);
  const digit = c0 >= 49 && c0 <= 57;
  if (!digit && ((c0 | 32) < 97 || (c0 | 32) > 122)) return false;
  // A value of 13+ characters is a view into the JSON text (V8 copies shorter slices), which a
  // native search unwraps once where charCodeAt does for every character; a short postcode or
  // town is quicker read in a loop than searched three times.
  if (n >= 13) return s.indexOf('@') < 0 && s.indexOf(':') < 0 && !(digit && s.indexOf('.') >= 0);
  for (let k = 1; k < n; k++) {
    const c = s.charCodeAt(k);
    if (c === 64 || c === 58 || (c === 46 && digit)) return false;
  }
  return true;
}

/** The kind a value under a key with `hints` is masked whole as, NAME_IF_PERSON_RECORD, or -1 to scan it as text. */
export function keyedKind(enabled: number, bits: KeyedBits, hints: number, s: string): number {
  if ((hints & (KEY_PERSON | KEY_NAME | KEY_NAME_IN_PERSON_RECORD)) !== 0) {
    if ((enabled & bits.person) === 0) return -1;
    const found = personValue(s, (hints & KEY_PERSON) === 0);
    if (found === NAME || (found === NAME_IN_PERSON_RECORD && (hints & KEY_NAME_IN_PERSON_RECORD) !== 0)) return K_PERSON_KEY;
    return found === NAME_IN_PERSON_RECORD ? NAME_IF_PERSON_RECORD : -1;
  }
  if ((hints & KEY_ADDRESS) !== 0) {
    if ((enabled & bits.address) === 0) return -1;
    if (plainStreetValue(s)) return K_ADDRESS_KEY;
    if (s.length > 200 || s.trim().length === 0 || (mayBeOtherAddress(s) && ADDRESS_NOT.test(s.trim()))) return -1;
    return hasDigitOrLetter(s) || POSTCODE_SHAPE.test(s) ? K_ADDRESS_KEY : -1;
  }
  if ((hints & KEY_CAP) !== 0) return (enabled & bits.address) !== 0 && FIVE_DIGITS.test(s) ? K_ADDRESS_KEY : -1;
  if ((hints & KEY_DOB) !== 0) {
    return (enabled & bits.dob) !== 0 && s.length <= 40 && HAS_DIGIT.test(s) ? K_DOB_KEY : -1;
  }
  if ((hints & KEY_NATIONAL_ID) !== 0) {
    return (enabled & bits.nationalId) !== 0 && ID_SHAPE.test(s.trim()) && HAS_DIGIT.test(s) ? K_NATIONAL_ID_KEY : -1;
  }
  return -1;
}
