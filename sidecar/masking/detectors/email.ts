// EMAIL: found from its '@', which is rare in text, so the cost is paid only near one.
// Local part: the usual unquoted characters (letters of any script, digits, . _ % + -), at
// most 64. Domain: two or more labels of letters, digits and inner hyphens; the last is the
// TLD and must be alphabetic (or punycode), so "lodash@4.17.21" is not an address.
import { ASCII_CLASS, ALNUM, codeAt, escapeBefore, isAlnumCode, isDigit, isSpaceCode, isWordCode } from '../chars.ts';
import { K_EMAIL, type Hits } from '../hits.ts';

function isLocalChar(c: number): boolean {
  if (c < 128) return (ASCII_CLASS[c]! & ALNUM) !== 0 || c === 46 || c === 95 || c === 37 || c === 43 || c === 45;
  return isAlnumCode(c);
}

function isLabelChar(c: number): boolean {
  if (c < 128) return (ASCII_CLASS[c]! & ALNUM) !== 0 || c === 45;
  return isAlnumCode(c);
}

// "icon@2x.png" is an image name, not an address.
const IMAGE_SUFFIX = /^\d+x\.(?:png|jpe?g|gif|svg|webp|avif|bmp|ico|tiff?)$/iu;

/** `at` is the index of an '@'. Adds the address around it and returns its end, or -1. */
export function detectEmail(s: string, at: number, hits: Hits): number {
  const n = s.length;
  let a = at;
  const stop = Math.max(hits.lastEnd, at - 64);
  // An apostrophe counts between letters (o'neil@...), not as a quote around the address.
  while (a > stop && (isLocalChar(s.charCodeAt(a - 1)) || (s.charCodeAt(a - 1) === 39 && a - 1 > stop && isAlnumCode(s.charCodeAt(a - 2)) && isAlnumCode(s.charCodeAt(a))))) a--;
  // "…\njane@…": the escape's letter is not part of the address.
  if (escapeBefore(s, a + 1)) a++;
  while (a < at && s.charCodeAt(a) === 46) a++;
  if (a === at || s.charCodeAt(at - 1) === 46) return -1;

  let j = at + 1;
  let labels = 0;
  let tldStart = -1;
  let end = -1;
  while (j < n && j - at <= 254) {
    const ls = j;
    while (j < n && isLabelChar(s.charCodeAt(j))) j++;
    const len = j - ls;
    if (len === 0 || len > 63 || s.charCodeAt(ls) === 45 || s.charCodeAt(j - 1) === 45) break;
    labels++;
    tldStart = ls;
    end = j;
    if (j + 1 < n && s.charCodeAt(j) === 46 && isLabelChar(s.charCodeAt(j + 1))) j++;
    else break;
  }
  if (labels < 2 || end - at - 1 > 253) return -1;
  if (!validTld(s, tldStart, end)) return -1;
  if (end < n && (isWordCode(s.charCodeAt(end)) || s.charCodeAt(end) === 64)) return -1;
  // scp-style "git@host:org/repo": a host and a path, not an address.
  if (codeAt(s, end) === 58 && end + 1 < n && !isSpaceCode(s.charCodeAt(end + 1))) return -1;
  if (end - at <= 16 && isDigit(s.charCodeAt(at + 1)) && IMAGE_SUFFIX.test(s.slice(at + 1, end))) return -1;
  hits.add(K_EMAIL, a, end);
  return end;
}

function validTld(s: string, start: number, end: number): boolean {
  if (end - start < 2) return false;
  if (s.startsWith('xn--', start)) return end - start > 4;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    const letter = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 128 && isAlnumCode(c));
    if (!letter) return false;
  }
  return true;
}
