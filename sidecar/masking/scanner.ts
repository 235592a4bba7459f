// One pass over a string that runs every built-in detector. The loop looks at each character
// once, through a lookup table, and calls a detector only where its kind of value can begin:
// '@' for e-mail, a digit starting a token for the numeric types, an upper-case letter for
// IBANs and AWS keys, a handful of letters for prefixed credentials, '-' for "-----BEGIN",
// ':' and '=' for "password: ..." assignments. Everything else is skipped a word at a time.
// A detector that matches returns the end of its value and the scan resumes there, so values
// never overlap within the built-ins (custom detectors can; see Hits.resolve).
import { ASCII_CLASS, DIGIT, WORD, codeAt, codeBefore, escapeBefore, isAlnumCode, isDigit, isHex, isLower, isUpper, isWordCode, numberStartsToken } from './chars.ts';
import {
  CTX_NUMBER, CTX_PHONE, CTX_SSN, D_ADDRESS, D_CARD, D_DOB, D_EMAIL, D_IBAN, D_IP, D_NATIONAL_ID, D_PASSPORT, D_PERSON, D_PHONE, D_SECRET, D_SSN, D_VAT_ID,
} from './detector-bits.ts';
import { detectCard } from './detectors/credit-card.ts';
import { detectEmail } from './detectors/email.ts';
import { detectIban } from './detectors/iban.ts';
import { detectIPv4, detectIPv6 } from './detectors/ip.ts';
import { detectJwt } from './detectors/jwt.ts';
import { detectGluedNationalId, detectNationalIdDigits, detectNationalIdLetters, detectNationalIdMixed, idLetterCandidate } from './detectors/national-id.ts';
import { ALONE_NEVER, ALONE_NUMBER, ALONE_STRING } from './detectors/national-id/digits.ts';
import { detectPassport } from './detectors/passport.ts';
import { detectPhone } from './detectors/phone.ts';
import { detectPrivateKey } from './detectors/private-key.ts';
import { FORMAT_PAIRS, detectAzureClientSecret, detectSecretFormat } from './detectors/secret-formats.ts';
import { detectAssignment, endAssignmentScan } from './detectors/secret-assignment.ts';
import { detectCallArguments, detectCurlUser, detectWebhookUrl, detectXmlElement } from './detectors/secret-syntax.ts';
import { detectPrefixedToken } from './detectors/secret-tokens.ts';
import { detectBirthDateNumeric } from './people/birth-date.ts';
import { detectSsn } from './detectors/ssn.ts';
import { detectItVatDigits, detectVatId, vatPrefixAt } from './detectors/vat-id.ts';
import type { Hits } from './hits.ts';
import { dateEnd, digitsAhead, isSepCode, isWholeIsoDate } from './number-shapes.ts';
import { lowerCode, mayBeCapitalWord } from './people/lexicon.ts';
import { atCapital, atShortNumber, type PeopleBits } from './people/scan.ts';

const D_PEOPLE = D_PERSON | D_ADDRESS | D_DOB;
// What a capitalised word can start: a name, or a birth date written month first.
const D_CAPITAL = D_PERSON | D_DOB;
const PEOPLE_BITS: PeopleBits = { person: D_PERSON, address: D_ADDRESS, dob: D_DOB };
/** The detectors of identifiers that can start with a letter or mix letters and digits. */
const D_IDS = D_NATIONAL_ID | D_PASSPORT | D_VAT_ID;

const T_NONE = 0;
const T_DIGIT = 1;
const T_UPPER = 2;
const T_LOWER = 3;
const T_UNDERSCORE = 4;
const T_AT = 5;
const T_PLUS = 6;
const T_PAREN = 7;
const T_DASH = 8;
const T_EQUALS = 9;
const T_COLON = 10;
const T_BACKSLASH = 11;
const T_TILDE = 12;
const T_GT = 13;

const TRIGGER: Uint8Array = (() => {
  const t = new Uint8Array(128);
  for (let c = 48; c <= 57; c++) t[c] = T_DIGIT;
  for (let c = 65; c <= 90; c++) t[c] = T_UPPER;
  for (let c = 97; c <= 122; c++) t[c] = T_LOWER;
  t[95] = T_UNDERSCORE;
  t[64] = T_AT;
  t[43] = T_PLUS;
  t[40] = T_PAREN;
  t[45] = T_DASH;
  t[61] = T_EQUALS;
  t[58] = T_COLON;
  t[92] = T_BACKSLASH;
  t[126] = T_TILDE;
  t[62] = T_GT;
  return t;
})();

// Letters that can start a credential (the D_SECRET bit): AWS/Google 'A', Bearer 'B'/'b', JWT
// 'e', GitHub 'g', npm 'n', Stripe 'r'/'s', OpenAI/Anthropic 's', Slack 'x'. Other words
// reach atLetter only as an IPv6 group (followed by ':') or an IBAN (a digit third).
const LETTER_START = new Uint8Array(128);
for (const ch of 'ABbegnrsx') LETTER_START[ch.charCodeAt(0)] = D_SECRET;

/**
 * A word of digits s[i, e) (maybe followed by more word characters up to `we`). Returns where
 * the scan resumes: the end of a finding, or of a date skipped whole; -1 for nothing.
 */
function atDigits(s: string, i: number, e: number, we: number, enabled: number, ctx: number, hits: Hits): number {
  const next = codeAt(s, we);
  if (e < we) {
    // Four digits then '_': a card written with underscores ("4111_1111_1111_1111").
    if ((enabled & D_CARD) !== 0 && e - i === 4 && s.charCodeAt(e) === 95 && numberStartsToken(s, i, hits.lastEnd, 4)) {
      const r = detectCard(s, i, hits);
      if (r >= 0) return r;
    }
    // Digits then letters ("2a01:db8::1", "5e3", "10px"): an IPv6 group, or an identifier
    // such as "12345678Z" or "15070649C103".
    if ((enabled & D_IP) !== 0 && we - i <= 4 && next === 58) return detectIPv6(s, i, hits);
    return (enabled & D_IDS) !== 0 && we - i >= 6 && we - i <= 12 ? atIdMixed(s, i, e, we, enabled, hits) : -1;
  }
  const run = e - i;
  const after = codeAt(s, we + 1);
  if ((enabled & D_IP) !== 0) {
    if (next === 46 && run <= 3 && isDigit(after)) {
      const r = detectIPv4(s, i, hits);
      if (r >= 0) return r;
    } else if (next === 58 && run <= 4) {
      const r = detectIPv6(s, i, hits);
      if (r >= 0) return r;
    }
  }
  const date = dateEnd(s, i, run, next);
  if (date > 0 && (enabled & D_DOB) !== 0 && detectBirthDateNumeric(s, i, date, hits)) return date;
  if (date > 0) {
    // Skipped like a finding, so a number right after it ("2024-03-15 0171 1234567") starts a token.
    hits.lastEnd = date;
    return date;
  }
  // "1111111-G": a Spanish DNI written without its leading zero.
  if (run === 7 && (enabled & D_NATIONAL_ID) !== 0 && (next === 45 || next === 32) && isAlnumCode(after) && !isDigit(after) && numberStartsToken(s, i, hits.lastEnd, 8)) {
    return detectNationalIdDigits(s, i, hits);
  }
  // Short runs can only start something longer: another group must follow, and card and SSN
  // numbers have at least 8 digits, phone numbers 7, national identifiers 9.
  const ahead = run >= 9 ? run : isSepCode(next) || next === 40 ? digitsAhead(s, we, run, 9) : run;
  if (ahead < 7 || (run < 8 && ahead === run)) return -1;
  if (!numberStartsToken(s, i, hits.lastEnd, run)) {
    // A number right after another ("order 10023 4111 1111 1111 1111") may read as the tail of
    // one long number; a card is still a card there when a major brand's prefix, grouping and Luhn all agree.
    return (enabled & D_CARD) !== 0 && (run >= 13 || run === 4) && codeAt(s, i - 1) === 32 ? detectCard(s, i, hits, true) : -1;
  }
  if ((enabled & D_CARD) !== 0 && (run >= 13 || run === 4)) {
    const r = detectCard(s, i, hits);
    if (r >= 0) return r;
  }
  if ((enabled & D_SSN) !== 0 && (run === 3 || run === 5 || run === 9)) {
    const r = detectSsn(s, i, hits, (ctx & CTX_SSN) !== 0);
    if (r >= 0) return r;
  }
  if ((enabled & D_IDS) !== 0 && ahead >= 8) {
    const r = atIdDigits(s, i, run, ahead, we, enabled, hits, ctx);
    if (r >= 0) return r;
  }
  if ((enabled & D_PHONE) !== 0) {
    const r = detectPhone(s, i, hits, (ctx & CTX_PHONE) !== 0);
    // "10115 030 1234567", "75008 01 23 45 67 89": a national number right after a postcode.
    // After four digits only when the number's first group is not four digits too: "2024 0315
    // 0930" and "6011 0806 4060 9326" are one run of groups, not a postcode and a phone.
    if (r < 0 && (run === 5 || (run === 4 && !isDigit(codeAt(s, we + 4)))) && next === 32 && (codeAt(s, we + 1) === 48 || codeAt(s, we + 1) === 40)) {
      return detectPhone(s, we + 1, hits, (ctx & CTX_PHONE) !== 0);
    }
    return r;
  }
  return -1;
}

/** Identifiers whose leading digits run into letters: "12345678Z", "15070649C103", a passport "12AB34567". */
function atIdMixed(s: string, i: number, e: number, we: number, enabled: number, hits: Hits): number {
  if (!numberStartsToken(s, i, hits.lastEnd, 8)) return -1;
  const r = (enabled & D_NATIONAL_ID) !== 0 ? detectNationalIdMixed(s, i, e - i, we, hits) : -1;
  if (r >= 0 || (enabled & D_PASSPORT) === 0) return r;
  return detectPassport(s, i, we, hits);
}

/** National identifiers (9+ digits, or 8 and a letter: "12345678-Z") and passports in a run of at least 8 digits (`ahead`, counted up to 9). */
function atIdDigits(s: string, i: number, run: number, ahead: number, we: number, enabled: number, hits: Hits, ctx: number): number {
  if ((enabled & D_NATIONAL_ID) !== 0 && (ahead >= 9 || run === 8)) {
    // Under a phone key a whole value is the phone; a JSON number is more often a count than an identifier.
    const alone = (ctx & CTX_PHONE) !== 0 ? ALONE_NEVER : (ctx & CTX_NUMBER) !== 0 ? ALONE_NUMBER : ALONE_STRING;
    const r = detectNationalIdDigits(s, i, hits, alone);
    if (r >= 0) return r;
  }
  if ((enabled & D_VAT_ID) !== 0 && run === 11 && we === i + 11) {
    const r = detectItVatDigits(s, i, hits);
    if (r >= 0) return r;
  }
  if ((enabled & D_PASSPORT) !== 0 && (run === 8 || run === 9) && we === i + run) return detectPassport(s, i, we, hits);
  return -1;
}

/**
 * Whether the word s[i, we) may begin a credential of secret-formats.ts: its first two letters
 * begin a prefix, and either the word is long enough to hold prefix and body ("hf_…", "dapi…")
 * or the prefix goes on after a '-' or '.' ("glpat-…", "hvs.…", "SG.…"). Keeps "for", "which"
 * and "data" away from the format table.
 */
function formatCandidate(s: string, i: number, we: number, c: number, next: number): boolean {
  return (we - i >= 20 || next === 45 || next === 46) && FORMAT_PAIRS[(c << 7) | (codeAt(s, i + 1) & 127)] === 1;
}

function isAllHex(s: string, i: number, e: number): boolean {
  for (let k = i; k < e; k++) if (!isHex(s.charCodeAt(k))) return false;
  return true;
}

/** A word of letters, digits and '_' at s[i, we) starting with the letter c. */
function atLetter(s: string, i: number, we: number, c: number, upper: boolean, digitSeen: number, enabled: number, hits: Hits): number {
  const len = we - i;
  const next = codeAt(s, we);
  if ((enabled & D_SECRET) !== 0) {
    let candidate = false;
    const c1 = codeAt(s, i + 1);
    switch (c) {
      case 65: // A: AWS access key ids, Google API keys
        candidate = len >= 20 || c1 === 73;
        break;
      case 66: // B
      case 98: // b
        candidate = len === 6 && next === 32;
        break;
      case 101: // e
        candidate = c1 === 121 && codeAt(s, i + 2) === 74;
        if (candidate) {
          const r = detectJwt(s, i, hits);
          if (r >= 0) return r;
          candidate = false;
        }
        break;
      case 103: // g
        candidate = c1 === 104 || c1 === 105;
        break;
      case 110: // n
        candidate = c1 === 112;
        break;
      case 114: // r
      case 115: // s
        candidate = c1 === 107;
        break;
      case 120: // x
        candidate = c1 === 111 || c1 === 97;
        break;
    }
    if (candidate) {
      const r = detectPrefixedToken(s, i, hits);
      if (r >= 0) return r;
    }
    if (formatCandidate(s, i, we, c, next)) {
      const r = detectSecretFormat(s, i, hits);
      if (r >= 0) return r;
    }
  }
  if ((enabled & D_IBAN) !== 0 && len >= 4 && (upper ? isUpper(codeAt(s, i + 1)) : isLower(codeAt(s, i + 1))) && isDigit(codeAt(s, i + 2))) {
    const r = detectIban(s, i, hits);
    if (r >= 0) return r;
  }
  if ((enabled & D_IP) !== 0 && next === 58 && len <= 4 && isAllHex(s, i, we)) return detectIPv6(s, i, hits);
  return (enabled & D_IDS) !== 0 && (digitSeen !== 0 || len === 2) ? atIdLetters(s, i, we, enabled, hits) : -1;
}

/**
 * idLetterCandidate, and a length only a VAT number can have: NATIONAL_ID's letter-initial
 * forms are 2, 8, 9 or 16 characters, passports 6-10, so a longer word ("cus_9267494414",
 * an order or session id) needs a member state's prefix.
 */
function idLetterWord(s: string, i: number, we: number): boolean {
  const len = we - i;
  return idLetterCandidate(s, i, we) && (len <= 10 || len === 16 || vatPrefixAt(s, i));
}

/** VAT numbers, national identifiers and passports that start with a letter. */
function atIdLetters(s: string, i: number, we: number, enabled: number, hits: Hits): number {
  if (!idLetterWord(s, i, we)) return (enabled & D_NATIONAL_ID) !== 0 && we - i >= 12 && we - i <= 16 ? detectGluedNationalId(s, i, we, hits) : -1;
  if ((enabled & D_VAT_ID) !== 0) {
    const r = detectVatId(s, i, we, hits);
    if (r >= 0) return r;
  }
  if ((enabled & D_NATIONAL_ID) !== 0) {
    const r = detectNationalIdLetters(s, i, we, hits);
    if (r >= 0) return r;
  }
  return (enabled & D_PASSPORT) !== 0 ? detectPassport(s, i, we, hits) : -1;
}

/**
 * Adds every built-in finding in `s` to `hits` (which the caller has reset). `enabled` is a
 * set of D_* bits, `ctx` a set of CTX_* bits.
 */
export function scanBuiltins(s: string, enabled: number, ctx: number, hits: Hits): void {
  const n = s.length;
  if (isWholeIsoDate(s)) {
    // The loop below would read it as a date at its first character (no house number or birth
    // date there: nothing precedes it) and skip to its end; one native match does the same.
    hits.lastEnd = n;
    endAssignmentScan();
    return;
  }
  let i = 0;
  // Whether the character before i is known not to be a word character: true after ASCII
  // punctuation, unknown after a non-ASCII character or the end of a finding.
  let clean = true;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c >= 128) {
      // "Łukasz", "Øystein", "Élodie": a capital outside ASCII may start a name.
      if (clean && (enabled & D_CAPITAL) !== 0 && lowerCode(c) !== c) {
        const end = atCapital(s, i, enabled, PEOPLE_BITS, hits);
        if (end > i) {
          i = end;
          clean = false;
          continue;
        }
      }
      i++;
      clean = false;
      continue;
    }
    const t = TRIGGER[c]!;
    if (t === T_NONE) {
      i++;
      clean = true;
      continue;
    }
    if (t <= T_UNDERSCORE) {
      // A word: find its end (and, for digits, the end of the leading digit run) first.
      const start = i;
      i++;
      let digitsEnd = start;
      // The character after the word (-1 at the end): each character is read once, and the one
      // that ends a loop is handed on rather than read again.
      let next = -1;
      if (t === T_DIGIT) {
        while (i < n) {
          const d = s.charCodeAt(i);
          if (d < 48 || d > 57) {
            next = d;
            break;
          }
          i++;
        }
        digitsEnd = i;
      } else if (i < n) next = s.charCodeAt(i);
      // Whether the word holds a digit: identifiers and IBANs do, almost no other word does.
      let digitSeen = 0;
      while (next >= 0 && next < 128) {
        const cls = ASCII_CLASS[next]!;
        if ((cls & WORD) === 0) break;
        digitSeen |= cls;
        next = ++i < n ? s.charCodeAt(i) : -1;
      }
      digitSeen &= DIGIT;
      if (t === T_UNDERSCORE || (!clean && start > 0 && isWordCode(codeBefore(s, start)))) continue;
      // A word right before '@' ends an e-mail's local part: the address is tried first, as a whole, so that an
      // identifier-shaped local part ("X1234567L@example.com") does not take the word and leave the domain clear.
      if (next === 64 && (enabled & D_EMAIL) !== 0) {
        const end = detectEmail(s, i, hits);
        if (end > i) {
          i = end;
          clean = false;
          continue;
        }
      }
      // Most words can start nothing: decide that here, without a call.
      let end = -1;
      if (t === T_DIGIT) {
        const run = digitsEnd - start;
        // A house number ("5", "221B") or a day ("12 March"): only short runs, rarely.
        // Only where a token starts after a space, ':' or '(' (not "2024-05-01"'s "05").
        const p = start > 0 ? s.charCodeAt(start - 1) : 32;
        if (run <= 4 && (enabled & D_PEOPLE) !== 0 && (digitsEnd === i || i - digitsEnd === 1) && (p === 32 || p === 58 || p === 40 || p === 10 || p === 9 || p === 0xa0)) {
          end = atShortNumber(s, start, run, digitsEnd === i ? next : s.charCodeAt(digitsEnd), enabled, PEOPLE_BITS, hits);
        }
        if (end < 0 && !(run < 8 && digitsEnd === i && next !== 32 && next !== 45 && next !== 46 && next !== 47 && next !== 58 && next !== 40)) {
          end = atDigits(s, start, digitsEnd, i, enabled, ctx, hits);
        }
      } else {
        if (
          (LETTER_START[c]! & enabled) !== 0 ||
          ((enabled & D_SECRET) !== 0 && formatCandidate(s, start, i, c, next)) ||
          (next === 58 && i - start <= 4) ||
          (digitSeen === 0
            ? i - start === 2 && (enabled & D_IDS) !== 0 && idLetterWord(s, start, i)
            : ((enabled & D_IBAN) !== 0 && i - start >= 4 && isDigit(s.charCodeAt(start + 2))) || ((enabled & D_IDS) !== 0 && idLetterWord(s, start, i)))
        ) {
          end = atLetter(s, start, i, c, t === T_UPPER, digitSeen, enabled, hits);
        }
        // A capitalised word ("Lars", "Herr", "Mme", "M."): the lexicon's bit set is the gate.
        if (end < 0 && t === T_UPPER && (enabled & D_CAPITAL) !== 0) {
          const c1 = i > start + 1 ? s.charCodeAt(start + 1) : next;
          // A word of ASCII letters that ends the name ('-', ''', '’' would join more) needs a lexicon shape.
          const whole = digitSeen === 0 && next !== 39 && next !== 45 && next < 128;
          if ((isLower(c1) || c1 >= 128 || (c1 === 46 && i === start + 1)) && (!whole || mayBeCapitalWord(s, start, i))) end = atCapital(s, start, enabled, PEOPLE_BITS, hits);
        }
      }
      if (end > start) {
        i = end;
        clean = false;
      }
      continue;
    }
    let end = -1;
    switch (t) {
      case T_AT:
        if ((enabled & D_EMAIL) !== 0) end = detectEmail(s, i, hits);
        break;
      case T_PLUS:
        if ((enabled & D_PHONE) !== 0 && isDigit(codeAt(s, i + 1))) end = detectPhone(s, i, hits, false);
        break;
      case T_PAREN:
        if ((enabled & D_SECRET) !== 0 && (codeAt(s, i + 1) === 34 || codeAt(s, i + 1) === 39)) end = detectCallArguments(s, i, hits);
        else if ((enabled & D_PHONE) !== 0 && (isDigit(codeAt(s, i + 1)) || (codeAt(s, i + 1) === 43 && isDigit(codeAt(s, i + 2)))) && numberStartsToken(s, i, hits.lastEnd)) {
          end = detectPhone(s, i, hits, false);
        }
        break;
      case T_DASH:
        if ((enabled & D_SECRET) !== 0) {
          const d1 = s.charCodeAt(i + 1);
          if (d1 === 45) end = detectPrivateKey(s, i, hits);
          if (end < 0 && (d1 === 117 || d1 === 45) && codeBefore(s, i) === 32) end = detectCurlUser(s, i, hits);
        }
        break;
      case T_TILDE:
        if ((enabled & D_SECRET) !== 0 && s.charCodeAt(i - 1) === 81) end = detectAzureClientSecret(s, i, hits);
        break;
      case T_GT:
        // An element with text: not "><" (empty or nested) unless CDATA follows.
        if ((enabled & D_SECRET) !== 0 && (codeAt(s, i + 1) !== 60 || codeAt(s, i + 2) === 33) && isAlnumCode(codeAt(s, i - 1))) end = detectXmlElement(s, i, hits);
        break;
      case T_EQUALS:
        if ((enabled & D_SECRET) !== 0) end = detectAssignment(s, i, hits);
        break;
      case T_COLON:
        if ((enabled & D_IP) !== 0 && s.charCodeAt(i + 1) === 58) end = detectIPv6(s, i, hits);
        if (end < 0 && (enabled & D_SECRET) !== 0) {
          end = s.charCodeAt(i + 1) === 47 && s.charCodeAt(i + 2) === 47 ? detectWebhookUrl(s, i, hits) : -1;
          if (end < 0) end = detectAssignment(s, i, hits);
        }
        break;
      case T_BACKSLASH:
        // An escape such as \n is whitespace: step over it so what follows starts a token.
        if (i + 2 < n && escapeBefore(s, i + 2)) {
          i += 2;
          clean = true;
          continue;
        }
        break;
    }
    if (end > i) {
      i = end;
      clean = false;
    } else {
      i++;
      clean = true;
    }
  }
  endAssignmentScan();
}
