// VAT_ID: EU VAT identification numbers, the country prefix included ("DE136695976",
// "ATU13585627", "NL004495445B01", "FR 40 303 265 045"). A number is masked only when its
// state's check digit validates it (vat-id/rules.ts); without the prefix a VAT number is just
// digits and is left to the other detectors.
import { codeAt, isAsciiAlnum, isDigit, isLower, isUpper, isWordCode } from '../chars.ts';
import { K_VAT_ID, type Hits } from '../hits.ts';
import { VAT_RULES, validVat } from './vat-id/rules.ts';

const MAX_BODY = 14;

function isVatSep(c: number): boolean {
  return c === 32 || c === 45 || c === 46;
}

/** `i` starts a word of upper-case letters and digits ending at `we`. Returns the end of a VAT number there, or -1. */
export function detectVatId(s: string, i: number, we: number, hits: Hits): number {
  // The prefix in one case ("DE", "de"); the body may be lower-case too when the prefix is.
  const upper = isUpper(s.charCodeAt(i));
  if (upper !== isUpper(codeAt(s, i + 1))) return -1;
  const cc = s.slice(i, i + 2).toUpperCase();
  if (VAT_RULES[cc] === undefined) return -1;
  let j = i + 2;
  if (we === j) {
    // "DE 136695976", "FR-40303265045", "DE.136.695.976": one separator between prefix and body.
    const c = codeAt(s, j);
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
