// VAT_ID: EU VAT identification numbers, the country prefix included ("DE136695976",
// "ATU13585627", "NL004495445B01", "FR 40 303 265 045"). A number is masked only when its
// state's check digit validates it (vat-id/rules.ts); without the prefix a VAT number is just
// digits and is left to the other detectors.
import { codeAt, isAsciiAlnum, isDigit, isLower, isUpper, isWordCode } from '../chars.ts';
import { K_VAT_ID, type Hits } from '../hits.ts';
import { VAT_RULES, validVat } from './vat-id/rules.ts';

const MAX_BODY = 14;

/** 1 at (c0 - 65) * 26 + (c1 - 65) for the member states' prefixes: most words are refused on one lookup. */
const VAT_PREFIX: Uint8Array = (() => {
  const t = new Uint8Array(26 * 26);
  for (const cc of Object.keys(VAT_RULES)) t[(cc.charCodeAt(0) - 65) * 26 + cc.charCodeAt(1) - 65] = 1;
  return t;
})();

function isVatSep(c: number): boolean {
  return c === 32 || c === 45 || c === 46;
}

/** `i` starts a word of upper-case letters and digits ending at `we`. Returns the end of a VAT number there, or -1. */
export function detectVatId(s: string, i: number, we: number, hits: Hits): number {
  // The prefix in one case ("DE", "de"); the body may be lower-case too when the prefix is.
  const c0 = s.charCodeAt(i) & 0xdf;
  const c1 = codeAt(s, i + 1);
  const upper = isUpper(s.charCodeAt(i));
  if (!(upper ? isUpper(c1) : isLower(c1)) || VAT_PREFIX[(c0 - 65) * 26 + (c1 & 0xdf) - 65] !== 1) return -1;
  const cc = String.fromCharCode(c0, c1 & 0xdf);
  let j = i + 2;
  if (we === j) {
    // "DE 136695976", "FR-40303265045", "DE.136.695.976": one separator between prefix and body;
    // upper-case only, or every "at 10" and "be 2" in English would be read.
    const c = codeAt(s, j);
    if (!upper) return -1;
    if (!isVatSep(c) || !isAsciiAlnum(codeAt(s, j + 1))) return -1;
    j++;
  }
  // The body: letters and digits, digit groups joined by single spaces, dots or dashes ("123 456 789").
  let body = '';
  let bestEnd = -1;
  for (let k = j; k < s.length && body.length <= MAX_BODY; k++) {
    const c = s.charCodeAt(k);
    if (isDigit(c) || isUpper(c) || (!upper && isLower(c))) {
      body += s[k]!.toUpperCase();
      continue;
    }
    if (body.length > 0 && !isWordCode(c) && validVat(cc, body)) bestEnd = k;
    if (isVatSep(c) && isDigit(codeAt(s, k - 1)) && isDigit(codeAt(s, k + 1))) continue;
    break;
  }
  if (body.length <= MAX_BODY && validVat(cc, body)) {
    let end = j;
    for (let n = 0; n < body.length; end++) if (isAsciiAlnum(s.charCodeAt(end))) n++;
    if (!isWordCode(codeAt(s, end))) bestEnd = end;
  }
  if (bestEnd < 0) return -1;
  hits.add(K_VAT_ID, i, bestEnd);
  return bestEnd;
}
