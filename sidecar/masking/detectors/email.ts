// EMAIL: found from its '@', which is rare in text, so the cost is paid only near one.
// Local part: the usual unquoted characters (letters of any script, digits, . _ % + -), at
// most 64. Domain: two or more labels of letters, digits and inner hyphens; the last is the
// TLD and must be alphabetic (or punycode), so "lodash@4.17.21" is not an address.
//
// Every address in a customer list comes through here, so each character around the '@' is
// read once (a view into a JSON text pays for every read) and classified by one table lookup.
import { ASCII_CLASS, ALNUM, escapeBefore, isAlnumCode, isDigit, isSpaceCode, isWordCode, LOWER, UPPER } from '../chars.ts';
import { K_EMAIL, type Hits } from '../hits.ts';

// ASCII classes for addresses: what a local part, a domain label and an alphabetic TLD may hold.
const LOCAL = 1;
const LABEL = 2;
const TLD = 4;
const EMAIL_CLASS: Uint8Array = (() => {
  const t = new Uint8Array(128);
  for (let c = 0; c < 128; c++) {
    const cls = ASCII_CLASS[c]!;
    if ((cls & ALNUM) !== 0) t[c] = LOCAL | LABEL | ((cls & (UPPER | LOWER)) !== 0 ? TLD : 0);
  }
  for (const c of '._%+') t[c.charCodeAt(0)] = LOCAL;
  t[45] = LOCAL | LABEL;
  return t;
})();

/** The EMAIL_CLASS bits of a character; outside ASCII, letters and digits of any script are all three. */
function emailClass(c: number): number {
  if (c < 128) return c < 0 ? 0 : EMAIL_CLASS[c]!;
  return isAlnumCode(c) ? LOCAL | LABEL | TLD : 0;
}

// "icon@2x.png" is an image name, not an address.
const IMAGE_SUFFIX = /^\d+x\.(?:png|jpe?g|gif|svg|webp|avif|bmp|ico|tiff?)$/iu;

/** `at` is the index of an '@'. Adds the address around it and returns its end, or -1. */
export function detectEmail(s: string, at: number, hits: Hits): number {
  const n = s.length;
  const stop = Math.max(hits.lastEnd, at - 64);
  // The local part, backwards. It cannot end with a dot, nor be empty.
  if (at <= stop) return -1;
  const last = s.charCodeAt(at - 1);
  if (last === 46 || (emailClass(last) & LOCAL) === 0) return -1;
  let a = at - 1;
  // s[a], the local part's first character so far.
  let lead = last;
  // The character that ended the walk (-1: it stopped at `stop` without reading one).
  let before = -1;
  while (a > stop) {
    const c = s.charCodeAt(a - 1);
    // An apostrophe counts between letters (o'neil@...), not as a quote around the address.
    if ((emailClass(c) & LOCAL) !== 0 || (c === 39 && a - 1 > stop && isAlnumCode(s.charCodeAt(a - 2)) && isAlnumCode(lead))) {
      a--;
      lead = c;
    } else {
      before = c;
      break;
    }
  }
  // "…\njane@…": the escape's letter is not part of the address.
  if ((before === 92 || before === -1) && escapeBefore(s, a + 1)) lead = s.charCodeAt(++a);
  // Leading dots are not part of it either (`last` is not a dot, so this stops before the '@').
  while (lead === 46) lead = s.charCodeAt(++a);
  if (a === at) return -1;

  // The domain: labels joined by single dots, read up to the character after the last one.
  let j = at + 1;
  let c = j < n ? s.charCodeAt(j) : -1;
  const first = c;
  let labels = 0;
  let end = -1;
  // Of the last label taken: its classes in common (TLD: alphabetic) and where it starts.
  let tldClass = 0;
  let tldStart = -1;
  // The character at `end` (-1: the end of s).
  let after = -1;
  while (j < n && j - at <= 254) {
    const ls = j;
    const lead = c;
    let common = LABEL | TLD;
    let prev = -1;
    for (;;) {
      const cls = emailClass(c);
      if ((cls & LABEL) === 0) break;
      common &= cls;
      prev = c;
      c = ++j < n ? s.charCodeAt(j) : -1;
    }
    const len = j - ls;
    if (len === 0 || len > 63 || lead === 45 || prev === 45) break;
    labels++;
    tldStart = ls;
    tldClass = common;
    end = j;
    after = c;
    if (c !== 46 || j + 1 >= n) break;
    const next = s.charCodeAt(j + 1);
    if ((emailClass(next) & LABEL) === 0) break;
    c = next;
    j++;
  }
  if (labels < 2 || end - at - 1 > 253) return -1;
  // The TLD is alphabetic, or punycode ("xn--p1ai").
  const tldLen = end - tldStart;
  if (tldLen < 2 || ((tldClass & TLD) === 0 && !(tldLen > 4 && s.startsWith('xn--', tldStart)))) return -1;
  if (after >= 0 && (isWordCode(after) || after === 64)) return -1;
  // scp-style "git@host:org/repo": a host and a path, not an address.
  if (after === 58 && end + 1 < n && !isSpaceCode(s.charCodeAt(end + 1))) return -1;
  if (end - at <= 16 && isDigit(first) && IMAGE_SUFFIX.test(s.slice(at + 1, end))) return -1;
  hits.add(K_EMAIL, a, end);
  return end;
}
