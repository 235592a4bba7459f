// Text that hides a value behind an encoding the reader will undo: percent-encoding
// ("jane.doe%40example.com") and HTML character references ("&#64;", "&#x40;", "&commat;").
// The detectors run on the decoded text as well, and each finding there is mapped back to the
// span of the original text that encodes it, which is what gets masked. One level of decoding:
// a double encoding ("%2540") is what a reader that decodes once sees as text, and is left.
// Only ASCII results are decoded (every detector matches ASCII); anything else stays as is.

/** Named references for ASCII characters that detectors care about (HTML's names). */
const NAMED: Record<string, number> = {
  commat: 64, period: 46, lowbar: 95, UnderBar: 95, hyphen: 45, dash: 45, minus: 45, plus: 43, colon: 58, sol: 47,
  num: 35, amp: 38, lt: 60, gt: 62, quot: 34, apos: 39, excl: 33, percnt: 37, equals: 61, quest: 63, lpar: 40, rpar: 41,
  comma: 44, semi: 59, nbsp: 32, Tab: 32, NewLine: 32, dollar: 36, ast: 42, midast: 42, bsol: 92, verbar: 124, tilde: 126,
};

export interface Decoded {
  readonly text: string;
  /** For each character of text, where the span that encodes it starts and ends in the original. */
  readonly starts: Int32Array;
  readonly ends: Int32Array;
}

/** Cheap test first: most strings hold neither '%' nor '&'. */
export function mayBeEncoded(s: string): boolean {
  return s.includes('%') || s.includes('&');
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 0x20;
  return l >= 97 && l <= 102 ? l - 87 : -1;
}

/** The reference at s[i] ('&'): [code, end] or undefined. */
function reference(s: string, i: number): [number, number] | undefined {
  let j = i + 1;
  let code = 0;
  if (s.charCodeAt(j) === 35) {
    j++;
    const hex = (s.charCodeAt(j) | 0x20) === 120;
    if (hex) j++;
    const from = j;
    for (;;) {
      const c = s.charCodeAt(j);
      const v = hex ? hexValue(c) : c >= 48 && c <= 57 ? c - 48 : -1;
      if (v < 0 || j - from > 7) break;
      code = code * (hex ? 16 : 10) + v;
      j++;
    }
    if (j === from) return undefined;
    // The ';' is optional for numeric references: browsers decode "&#64" too.
    if (s.charCodeAt(j) === 59) j++;
  } else {
    const from = j;
    while (j - from < 10 && /[A-Za-z]/u.test(s[j] ?? '')) j++;
    if (s.charCodeAt(j) !== 59) return undefined;
    const named = NAMED[s.slice(from, j)];
    if (named === undefined) return undefined;
    code = named;
    j++;
  }
  return code > 0 && code < 128 ? [code, j] : undefined;
}

/** Whether anything in `s` decodes: most '%' and '&' in text escape nothing ("50% off", "R&D"). */
function hasEscape(s: string): boolean {
  for (let i = s.indexOf('%'); i >= 0; i = s.indexOf('%', i + 1)) if (percent(s, i) >= 0) return true;
  for (let i = s.indexOf('&'); i >= 0; i = s.indexOf('&', i + 1)) if (reference(s, i) !== undefined) return true;
  return false;
}

/** The ASCII character %XX at s[i] encodes, or -1. */
function percent(s: string, i: number): number {
  const hi = hexValue(s.charCodeAt(i + 1));
  const lo = hexValue(s.charCodeAt(i + 2));
  const v = hi * 16 + lo;
  return hi >= 0 && lo >= 0 && v > 0 && v < 128 ? v : -1;
}

/** The decoded text with its map back to `s`, or undefined when nothing in `s` decodes. */
export function decodeEncoded(s: string): Decoded | undefined {
  if (!hasEscape(s)) return undefined;
  const n = s.length;
  const starts = new Int32Array(n);
  const ends = new Int32Array(n);
  let out = '';
  let k = 0;
  let pct = s.indexOf('%');
  let amp = s.indexOf('&');
  let i = 0;
  while (i < n) {
    if (pct >= 0 && pct < i) pct = s.indexOf('%', i);
    if (amp >= 0 && amp < i) amp = s.indexOf('&', i);
    // Copy the plain run up to the next '%' or '&' in one piece.
    const next = Math.min(pct < 0 ? n : pct, amp < 0 ? n : amp);
    if (next > i) {
      out += s.slice(i, next);
      for (let p = i; p < next; p++, k++) {
        starts[k] = p;
        ends[k] = p + 1;
      }
      i = next;
      continue;
    }
    let code = s.charCodeAt(i);
    let end = i + 1;
    if (code === 37) {
      const v = percent(s, i);
      if (v >= 0) [code, end] = [v, i + 3];
    } else {
      const ref = reference(s, i);
      if (ref !== undefined) [code, end] = ref;
    }
    starts[k] = i;
    ends[k] = end;
    k++;
    out += String.fromCharCode(code);
    i = end;
  }
  return { text: out, starts, ends };
}
