// Which values under a personal-data key (keys.ts) are masked whole. The key says what the
// value is; the value's shape has the last word, so "name": "report.pdf", "name": "PRO_PLAN",
// "name": "Customer Records" and "address": "10.0.0.1" stay as they are (and are still
// scanned as text).
import { K_ADDRESS_KEY, K_DOB_KEY, K_NATIONAL_ID_KEY, K_PERSON_KEY } from '../hits.ts';
import { KEY_ADDRESS, KEY_CAP, KEY_DOB, KEY_NAME, KEY_NAME_IN_PERSON_RECORD, KEY_NATIONAL_ID, KEY_PERSON } from './keys.ts';
import { R_AMBIGUOUS, R_GIVEN, R_PARTICLE, R_STOP, R_SURNAME, R_TITLE, rolesOf } from './lexicon.ts';
import { isLetterCode, letterWordEnd, nameCased } from './words.ts';

/** Enabled-bit masks (the scanner owns the values). */
export interface KeyedBits {
  readonly person: number;
  readonly address: number;
  readonly dob: number;
  readonly nationalId: number;
}

const PLACEHOLDER = /^(?:n\/?a|none|null|nil|unknown|anonymous|redacted|tbd|-+|\?+|x+)$/iu;
const NAME_SHAPE = /^[\p{L}\p{M}][\p{L}\p{M}'’. ,-]*$/u;

/** Words of a person-name-shaped value, or undefined: letters, spaces, ' - . , only, 1-6 words. */
function nameWords(s: string): string[] | undefined {
  const v = s.trim();
  if (v.length === 0 || v.length > 100 || !NAME_SHAPE.test(v) || PLACEHOLDER.test(v)) return undefined;
  // "report.pdf", "acme.com": a dot between letters is a file or a host, not an initial.
  if (/\p{L}\.\p{L}{2,}/u.test(v) && !/^\p{Lu}\.\s?\p{Lu}/u.test(v)) return undefined;
  const words = v.split(/[\s,]+/u).filter((w) => w !== '');
  return words.length >= 1 && words.length <= 6 ? words : undefined;
}

/**
 * A generic "name": a value the lexicon knows for a person's name ("Anna", "Jane Doe"), or two
 * to four capitalised words none of which names a thing ("Ximena Echeverría", not "Customer
 * Records", "Billing Service" or "Acme GmbH").
 */
function personName(words: readonly string[], inPersonRecord: boolean): boolean {
  if (words.length > 4) return false;
  let known = false;
  let capitalised = 0;
  for (let k = 0; k < words.length; k++) {
    const w = words[k]!.replace(/\.$/u, '');
    if (w.length === 1 && isLetterCode(w.charCodeAt(0))) continue;
    const roles = rolesOf(w, 0, letterWordEnd(w, 0));
    if ((roles & R_STOP) !== 0) return false;
    if (k > 0 && (roles & R_PARTICLE) !== 0 && w === w.toLowerCase()) continue;
    if (!nameCased(w, 0, w.length)) return false;
    capitalised++;
    // "Paris", "May", "Victoria" alone are as likely a place or a month: a surname must follow.
    if (k === 0 && ((roles & R_TITLE) !== 0 || ((roles & R_GIVEN) !== 0 && (roles & R_AMBIGUOUS) === 0))) known = true;
    if (k === words.length - 1 && k > 0 && (roles & R_SURNAME) !== 0) known = true;
  }
  // In a record that has a lastName, one capitalised word is the first name.
  return known || capitalised >= 2 || (inPersonRecord && capitalised === 1);
}

const ADDRESS_NOT = /@|:\/\/|^\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?$|^[0-9a-f]*:[0-9a-f]*:|^0x[0-9a-f]+$/iu;
const POSTCODE_SHAPE = /^[A-Za-z0-9][A-Za-z0-9 -]{1,10}$/u;
const HAS_DIGIT = /\d/u;
const ID_SHAPE = /^[A-Za-z0-9][A-Za-z0-9 ./-]{3,38}[A-Za-z0-9]$/u;

/** The kind a value under a key with `hints` is masked whole as, or -1 to scan it as text. */
export function keyedKind(enabled: number, bits: KeyedBits, hints: number, s: string): number {
  if ((hints & (KEY_PERSON | KEY_NAME | KEY_NAME_IN_PERSON_RECORD)) !== 0) {
    if ((enabled & bits.person) === 0) return -1;
    const words = nameWords(s);
    if (words === undefined) return -1;
    return (hints & KEY_PERSON) !== 0 || personName(words, (hints & KEY_NAME_IN_PERSON_RECORD) !== 0) ? K_PERSON_KEY : -1;
  }
  if ((hints & KEY_ADDRESS) !== 0) {
    if ((enabled & bits.address) === 0 || s.length > 200 || s.trim().length === 0 || ADDRESS_NOT.test(s.trim())) return -1;
    return HAS_DIGIT.test(s) || /\p{L}/u.test(s) || POSTCODE_SHAPE.test(s) ? K_ADDRESS_KEY : -1;
  }
  if ((hints & KEY_CAP) !== 0) return (enabled & bits.address) !== 0 && /^\d{5}$/u.test(s) ? K_ADDRESS_KEY : -1;
  if ((hints & KEY_DOB) !== 0) {
    return (enabled & bits.dob) !== 0 && s.length <= 40 && HAS_DIGIT.test(s) ? K_DOB_KEY : -1;
  }
  if ((hints & KEY_NATIONAL_ID) !== 0) {
    return (enabled & bits.nationalId) !== 0 && ID_SHAPE.test(s.trim()) && HAS_DIGIT.test(s) ? K_NATIONAL_ID_KEY : -1;
  }
  return -1;
}
