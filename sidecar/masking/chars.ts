// Character classes and boundary tests shared by the detectors. Detectors run only at a few
// candidate positions, but the scanner's main loop touches every character, so the classes
// are table lookups rather than regular expressions.

export const DIGIT = 1;
export const UPPER = 2;
export const LOWER = 4;
export const UNDERSCORE = 8;
export const HEX = 16;
export const WORD = DIGIT | UPPER | LOWER | UNDERSCORE;
export const ALNUM = DIGIT | UPPER | LOWER;

/** Class bits of the ASCII characters; index with a char code below 128. */
export const ASCII_CLASS: Uint8Array = (() => {
  const t = new Uint8Array(128);
  for (let c = 48; c <= 57; c++) t[c] = DIGIT | HEX;
  for (let c = 65; c <= 90; c++) t[c] = UPPER | (c <= 70 ? HEX : 0);
  for (let c = 97; c <= 122; c++) t[c] = LOWER | (c <= 102 ? HEX : 0);
  t[95] = UNDERSCORE;
  return t;
})();

export function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

export function isUpper(c: number): boolean {
  return c >= 65 && c <= 90;
}

export function isLower(c: number): boolean {
  return c >= 97 && c <= 122;
}

export function isAsciiAlnum(c: number): boolean {
  return c < 128 && (ASCII_CLASS[c]! & ALNUM) !== 0;
}

export function isHex(c: number): boolean {
  return c < 128 && (ASCII_CLASS[c]! & HEX) !== 0;
}

// Unicode letters and digits count as word characters, so "Müller4111..." is one token. The
// answer per code unit is cached: the regular expression runs once per distinct character.
// Callers pass charCodeAt past the end (NaN) and codeAt's -1: both are refused before any table
// lookup, since a typed array indexed with NaN or a negative number takes V8's slow generic path.
const unicodeWord = new Uint8Array(65536);
const LETTER_OR_NUMBER = /^[\p{L}\p{N}\p{M}]$/u;

function isUnicodeWord(c: number): boolean {
  let v = unicodeWord[c]!;
  if (v === 0) {
    // Surrogate halves (emoji and the like) are never word characters.
    v = c >= 0xd800 && c <= 0xdfff ? 2 : LETTER_OR_NUMBER.test(String.fromCharCode(c)) ? 1 : 2;
    unicodeWord[c] = v;
  }
  return v === 1;
}

/** Letters, digits and underscore, in any script. */
export function isWordCode(c: number): boolean {
  if (c < 128) return c >= 0 && (ASCII_CLASS[c]! & WORD) !== 0;
  return c <= 0xffff && isUnicodeWord(c);
}

/** Letters and digits in any script (no underscore). */
export function isAlnumCode(c: number): boolean {
  if (c < 128) return c >= 0 && (ASCII_CLASS[c]! & ALNUM) !== 0;
  return c <= 0xffff && isUnicodeWord(c);
}

/** NaN-safe char code: -1 outside the string, so comparisons with real codes are false. */
export function codeAt(s: string, i: number): number {
  return i >= 0 && i < s.length ? s.charCodeAt(i) : -1;
}

export function isSpaceCode(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 12 || c === 11 || c === 0xa0 || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x3000;
}

/**
 * Whether s[i-2, i) is a backslash escape that stands for whitespace (\n \t \r \b \f), as in
 * JSON or log text that was escaped but is being read as plain text: "…\n4111 1111…". Its
 * letter must not glue the value that follows to it.
 */
export function escapeBefore(s: string, i: number): boolean {
  if (i < 2 || s.charCodeAt(i - 2) !== 92) return false;
  const c = s.charCodeAt(i - 1);
  return (c === 110 || c === 116 || c === 114 || c === 98 || c === 102) && s.charCodeAt(i - 3) !== 92;
}

/** The character code before `i`, reading an escape like \n as a space; -1 at the start. */
export function codeBefore(s: string, i: number): number {
  if (i === 0) return -1;
  return escapeBefore(s, i) ? 32 : s.charCodeAt(i - 1);
}

/**
 * Whether a number starting at `i` begins a token of its own, rather than continuing one:
 * not after a letter or digit, not after a decimal point or thousands separator ("3.14",
 * "1,234"), not after an order-number dash ("ORD-1234"), not after a date or time separator
 * ("2024/..", "10:30") and, for a short leading group (`run` digits), not after a space that
 * continues a digit-group run ("1234 5678") unless that run was itself a finding or a date
 * ending at `lastEnd`.
 */
export function numberStartsToken(s: string, i: number, lastEnd: number, run = 0): boolean {
  if (i === 0) return true;
  const p = codeBefore(s, i);
  if (isWordCode(p)) return false;
  const pp = codeAt(s, i - 2);
  switch (p) {
    case 43: // '+': an international number, which the phone detector reads from the '+'
      return false;
    case 46: // '.'
    case 44: // ','
    case 58: // ':'
      return !isDigit(pp);
    case 45: // '-'
    case 47: // '/'
      return !(isAsciiAlnum(pp) && i - 2 >= lastEnd);
    case 32: // ' '
      return run >= 8 || !(isDigit(pp) && i - 2 >= lastEnd);
    default:
      return true;
  }
}

/**
 * Whether a number ending at `end` (exclusive) ends its token: not followed by a letter or
 * digit, nor by a separator and another digit ("4111111111111111.5", "123-45-6789-0"), nor by
 * a dash or slash and anything alphanumeric ("123-45-6789-X"), nor by '@'.
 */
export function numberEndsToken(s: string, end: number): boolean {
  if (end >= s.length) return true;
  const c = s.charCodeAt(end);
  if (isWordCode(c) || c === 64) return false;
  if (c === 45 || c === 47) return !isAlnumCode(codeAt(s, end + 1));
  if (c === 46 || c === 44 || c === 58) return !isDigit(codeAt(s, end + 1));
  return true;
}

/** True when the `window` characters before `i`, lower-cased, contain one of `words`. */
export function contextBefore(s: string, i: number, window: number, words: readonly string[]): boolean {
  const text = s.slice(Math.max(0, i - window), i).toLowerCase();
  for (const w of words) if (text.includes(w)) return true;
  return false;
}

/**
 * A copy of `s` that shares no storage with the text it was cut from. V8 cuts a substring of 13 or more
 * characters as a view into its parent, so a cache holding such a key would keep a whole payload (and the
 * personal data in it) alive after the call; a short one is already a copy.
 */
export function detached(s: string): string {
  return s.length < 13 ? s : (' ' + s).slice(1);
}
