// SSN (US): ddd-dd-dddd, ddd dd dddd or ddd.dd.dddd (one separator throughout), or nine bare digits or a dash
// left out ("078-051121", "07805-1121") when the text or the JSON key says it is a social security number: about
// nine in ten random nine-digit numbers follow the SSA's rules, so those forms never stand alone, not even as a
// whole value. Never-issued numbers are rejected: area 000, 666 and
// 900-999, group 00, serial 0000.
import { contextBefore, isDigit, numberEndsToken } from '../chars.ts';
import { K_SSN, type Hits } from '../hits.ts';

export const SSN_CONTEXT_WORDS: readonly string[] = ['ssn', 'social security', 'soc. sec', 'ss#', 'ss #', 'ss no', 'taxpayer'];

const VERSION_BEFORE = /(?:version|release|build|ver\.?|v)\s*$/iu;

function digits(s: string, i: number, count: number): number {
  let v = 0;
  for (let k = 0; k < count; k++) {
    const d = s.charCodeAt(i + k) - 48;
    if (!(d >= 0 && d <= 9)) return -1;
    v = v * 10 + d;
  }
  return v;
}

function issuable(area: number, group: number, serial: number): boolean {
  return area > 0 && area !== 666 && area < 900 && group > 0 && serial > 0;
}

/**
 * Whether an SSN word comes in the 24 characters before `i` with no digit after it: the odd groupings are also
 * a ZIP+4 code ("10001-1234") or an account number, which may share a record with an SSN a few words earlier.
 */
function cueRightBefore(s: string, i: number): boolean {
  const text = s.slice(Math.max(0, i - 24), i).toLowerCase();
  let after = -1;
  for (const w of SSN_CONTEXT_WORDS) {
    const at = text.lastIndexOf(w);
    if (at >= 0) after = Math.max(after, at + w.length);
  }
  if (after < 0) return false;
  for (let k = after; k < text.length; k++) if (isDigit(text.charCodeAt(k))) return false;
  return true;
}

/**
 * `i` is at a digit that starts a token. `keyContext` is true when the JSON key names an SSN.
 * Returns the end of an SSN starting there, or -1.
 */
export function detectSsn(s: string, i: number, hits: Hits, keyContext: boolean): number {
  const area = digits(s, i, 3);
  if (area < 0) return -1;
  const sep = s.charCodeAt(i + 3);
  let group: number;
  let serial: number;
  let end: number;
  if (sep === 45 && isDigit(s.charCodeAt(i + 6))) {
    // "078-051121": the group's dash left out.
    group = digits(s, i + 4, 2);
    serial = digits(s, i + 6, 4);
    end = i + 10;
    if (!keyContext && !cueRightBefore(s, i)) return -1;
  } else if (sep === 45 || sep === 32 || sep === 46) {
    group = digits(s, i + 4, 2);
    if (group < 0 || s.charCodeAt(i + 6) !== sep) return -1;
    serial = digits(s, i + 7, 4);
    end = i + 11;
  } else if (isDigit(sep) && s.charCodeAt(i + 5) === 45) {
    // "07805-1121": the area's dash left out.
    group = digits(s, i + 3, 2);
    serial = digits(s, i + 6, 4);
    end = i + 10;
    if (!keyContext && !cueRightBefore(s, i)) return -1;
  } else if (isDigit(sep)) {
    group = digits(s, i + 3, 2);
    serial = digits(s, i + 5, 4);
    end = i + 9;
    if (serial < 0 || isDigit(s.charCodeAt(end))) return -1;
    if (!keyContext && !contextBefore(s, i, 40, SSN_CONTEXT_WORDS)) return -1;
  } else return -1;
  if (serial < 0 || !numberEndsToken(s, end)) return -1;
  // Dotted, it could be a version ("release 123.45.6789"): not after a word that says so.
  if (sep === 46 && VERSION_BEFORE.test(s.slice(Math.max(0, i - 12), i))) return -1;
  if (!issuable(area, group, serial)) return -1;
  hits.add(K_SSN, i, end);
  return end;
}
