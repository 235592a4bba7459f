// IP_ADDRESS. IPv4: a dotted quad with every octet 0-255 and no leading zeros, standing on its
// own: not part of a longer dotted number (1.2.3.4.5, OIDs) and not right after a word like
// "version". IPv6: hex groups and colons, validated by node:net, with a digit or three colons
// required so that code such as "a::b" is left alone. Zone ids, ports, brackets and CIDR
// suffixes stay outside the span.
import { isIPv6 } from 'node:net';
import { codeAt, codeBefore, isAsciiAlnum, isDigit, isHex, isUpper, isWordCode } from '../chars.ts';
import { K_IPV4, K_IPV6, type Hits } from '../hits.ts';

const VERSION_WORDS = ['v', 'ver', 'version', 'release', 'build', 'firmware', 'fw', 'rev', 'revision', 'os', 'kernel', 'sdk', 'api'];
const LONGEST_VERSION_WORD = 8;

/** Whether s[start, end), ASCII, is the lower-case word `w` in any case. */
function isWordIgnoringCase(s: string, start: number, end: number, w: string): boolean {
  if (end - start !== w.length) return false;
  for (let k = 0; k < w.length; k++) {
    const c = s.charCodeAt(start + k);
    if ((isUpper(c) ? c + 32 : c) !== w.charCodeAt(k)) return false;
  }
  return true;
}

function precededByVersionWord(s: string, i: number): boolean {
  let j = i;
  // "version: 1.2.3.4", "release = 10.0.0.1", "release-1.2.3.4"
  while (j > 0 && j > i - 4) {
    const c = s.charCodeAt(j - 1);
    if (c === 32 || c === 58 || c === 61 || c === 9 || c === 45 || c === 95) j--;
    else break;
  }
  // The word before (letters, digits, '_', '-'), compared in place: most addresses follow "from" or
  // "IP", and a lower-cased copy of it cost an allocation per address.
  let k = j;
  const stop = Math.max(0, j - LONGEST_VERSION_WORD - 1);
  while (k > stop) {
    const c = s.charCodeAt(k - 1);
    if (!(isAsciiAlnum(c) || c === 95 || c === 45)) break;
    k--;
  }
  if (j - k > LONGEST_VERSION_WORD) return false;
  for (const w of VERSION_WORDS) if (isWordIgnoringCase(s, k, j, w)) return true;
  return false;
}

/** `i` is at a digit. Returns the end of an IPv4 address starting there, or -1. */
export function detectIPv4(s: string, i: number, hits: Hits): number {
  const p = codeBefore(s, i);
  if (p >= 0 && (isWordCode(p) || p === 46)) return -1;
  let j = i;
  for (let octet = 0; octet < 4; octet++) {
    if (octet > 0) {
      if (codeAt(s, j) !== 46) return -1;
      j++;
    }
    const start = j;
    let v = 0;
    while (j < s.length && j - start < 4 && isDigit(s.charCodeAt(j))) v = v * 10 + (s.charCodeAt(j++) - 48);
    const len = j - start;
    if (len === 0 || len > 3 || v > 255 || (len > 1 && s.charCodeAt(start) === 48)) return -1;
  }
  const next = codeAt(s, j);
  if (next >= 0 && (isWordCode(next) || (next === 46 && isDigit(codeAt(s, j + 1))))) return -1;
  if (precededByVersionWord(s, i)) return -1;
  hits.add(K_IPV4, i, j);
  return j;
}

function isIPv6Char(c: number): boolean {
  return isHex(c) || c === 58 || c === 46;
}

/**
 * `i` is at a hex digit or ':' that starts a token. Returns the end of an IPv6 address
 * starting there, or -1. Cheap rejections come first: most hex-starting words have no colon
 * within their first five characters.
 */
export function detectIPv6(s: string, i: number, hits: Hits): number {
  const n = s.length;
  const p = codeBefore(s, i);
  if (p >= 0 && (isWordCode(p) || p === 58 || p === 46)) return -1;
  let k = i;
  while (k < n && k - i < 5 && isHex(s.charCodeAt(k))) k++;
  if (k - i > 4 || codeAt(s, k) !== 58) return -1;
  let j = k;
  let colons = 0;
  let digit = false;
  for (let m = i; m < k; m++) if (isDigit(s.charCodeAt(m))) digit = true;
  while (j < n && j - i < 46) {
    const c = s.charCodeAt(j);
    if (!isIPv6Char(c)) break;
    if (c === 58) colons++;
    else if (isDigit(c)) digit = true;
    j++;
  }
  if (colons < 2) return -1;
  // A sentence may end right after the address: "reach it at fe80::1."
  while (j > i && s.charCodeAt(j - 1) === 46) j--;
  if (s.charCodeAt(j - 1) === 58 && s.charCodeAt(j - 2) !== 58) j--;
  const next = codeAt(s, j);
  if (next >= 0 && isWordCode(next)) return -1;
  if (!digit && colons < 3) return -1;
  if (!isIPv6(s.slice(i, j))) return -1;
  hits.add(K_IPV6, i, j);
  return j;
}
