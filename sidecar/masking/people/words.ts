// Reading name-like words in text: letters of any script, with inner apostrophes and hyphens
// ("O'Brien", "Jean-Luc", "Müller-Lüdenscheidt"), and what may stand around a name.
import { isAlnumCode, isDigit, isWordCode } from '../chars.ts';
import { lowerCode } from './lexicon.ts';

export function isLetterCode(c: number): boolean {
  if (c < 128) return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
  return isAlnumCode(c) && !(c >= 0x660 && c <= 0x669);
}

export function isUpperLetter(c: number): boolean {
  if (c < 128) return c >= 65 && c <= 90;
  return isLetterCode(c) && lowerCode(c) !== c;
}

export function isLowerLetter(c: number): boolean {
  if (c < 128) return c >= 97 && c <= 122;
  return isLetterCode(c) && lowerCode(c) === c;
}

function isJoiner(c: number): boolean {
  return c === 39 || c === 0x2019 || c === 45;
}

/** The end of the word of letters starting at a (inner ' ’ - joined), or a itself. */
export function letterWordEnd(s: string, a: number): number {
  let j = a;
  const n = s.length;
  while (j < n) {
    const c = s.charCodeAt(j);
    if (isLetterCode(c)) j++;
    else if (isJoiner(c) && j > a && j + 1 < n && isLetterCode(s.charCodeAt(j + 1))) j += 2;
    else break;
  }
  return j;
}

/**
 * Whether s[a, b) is written like a name: a capital, then lower case, with capitals only
 * after a joiner or in a Mc/Mac/De/Di/La/Le prefix ("McDonald", "DiMaggio"). "iPhone",
 * "JavaScript", "README" and "GmbH" are not.
 */
export function nameCased(s: string, a: number, b: number): boolean {
  if (b - a < 2 || !isUpperLetter(s.charCodeAt(a))) return false;
  for (let k = a + 1; k < b; k++) {
    const c = s.charCodeAt(k);
    if ((c >= 97 && c <= 122) || !isUpperLetter(c)) continue;
    if (!capitalInsideName(s, a, k)) return false;
  }
  return true;
}

/** Whether the capital at k inside the name-cased word starting at a may stand there: after a joiner, or a Mc/Mac/De/Di/La/Le prefix. */
export function capitalInsideName(s: string, a: number, k: number): boolean {
  if (isJoiner(s.charCodeAt(k - 1))) return true;
  const prefix = k - a;
  return (prefix === 2 && (s.startsWith('Mc', a) || s.startsWith('De', a) || s.startsWith('Di', a) || s.startsWith('Le', a) || s.startsWith('La', a))) || (prefix === 3 && s.startsWith('Mac', a));
}

/** Nothing glued before a name: not a word, a dot (obj.Name), '_', '@', '/', '\', '#', '$', '-', '`'. */
export function startsFree(s: string, a: number): boolean {
  if (a === 0) return true;
  const p = s.charCodeAt(a - 1);
  if (isWordCode(p)) return false;
  return p !== 46 && p !== 95 && p !== 64 && p !== 47 && p !== 92 && p !== 35 && p !== 36 && p !== 45 && p !== 96 && p !== 61;
}

/** Nothing glued after a name: not a word, '(' (a call), '.x' (a member or a file), '@', '/', '_', '`', '='. */
export function endsFree(s: string, b: number): boolean {
  if (b >= s.length) return true;
  const c = s.charCodeAt(b);
  if (isWordCode(c)) return false;
  if (c === 46) {
    const d = s.charCodeAt(b + 1);
    return !(isLetterCode(d) || isDigit(d));
  }
  return c !== 40 && c !== 64 && c !== 47 && c !== 95 && c !== 96 && c !== 61 && c !== 60;
}

/** The start of the next word after b across exactly one space (or ", " when `comma`), or -1. */
export function nextWordStart(s: string, b: number, comma = false): number {
  let j = b;
  if (comma) {
    if (s.charCodeAt(j) !== 44) return -1;
    j++;
  }
  const c = s.charCodeAt(j);
  if (c !== 32 && c !== 0xa0) return -1;
  j++;
  return j < s.length && isLetterCode(s.charCodeAt(j)) ? j : -1;
}
