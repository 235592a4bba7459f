// VAT_ID: EU VAT identification numbers, the country prefix included ("DE136695976",
// "ATU13585627", "NL004495445B01", "FR 40 303 265 045"). A number is masked only when its
// state's check digit validates it (vat-id/rules.ts); without the prefix a VAT number is just
// digits and is left to the other detectors.
import { codeAt, isAsciiAlnum, isDigit, isLower, isUpper, isWordCode } from '../chars.ts';
import { K_VAT_ID, type Hits } from '../hits.ts';
import { entireValue } from './entire-value.ts';
import { VAT_RULES, validVat } from './vat-id/rules.ts';

const MAX_BODY = 14;

/** 1 at (c0 - 65) * 26 + (c1 - 65) for the member states' prefixes: most words are refused on one lookup. */
const VAT_PREFIX: Uint8Array = (() => {
  const t = new Uint8Array(26 * 26);
  for (const cc of Object.keys(VAT_RULES)) t[(cc.charCodeAt(0) - 65) * 26 + cc.charCodeAt(1) - 65] = 1;
  return t;
})();

type VatCheck = (body: string) => boolean;
const NO_RULE: VatCheck = () => false;
// The same rules by prefix index: a body is checked at every separator, and a record keyed by a fresh
// two-letter string costs a string-table lookup each time.
const RULE_AT: readonly VatCheck[] = (() => {
  const t = new Array<VatCheck>(26 * 26).fill(NO_RULE);
  for (const [cc, rule] of Object.entries(VAT_RULES)) t[(cc.charCodeAt(0) - 65) * 26 + cc.charCodeAt(1) - 65] = rule;
  return t;
})();

function isVatSep(c: number): boolean {
  return c === 32 || c === 45 || c === 46;
}

/** Whether s[i] starts a member state's prefix in one case ("DE", "de"): the first test of detectVatId. */
export function vatPrefixAt(s: string, i: number): boolean {
  const c1 = codeAt(s, i + 1);
  return (isUpper(s.charCodeAt(i)) ? isUpper(c1) : isLower(c1)) && VAT_PREFIX[((s.charCodeAt(i) & 0xdf) - 65) * 26 + (c1 & 0xdf) - 65] === 1;
}

/** `i` starts a word of upper-case letters and digits ending at `we`. Returns the end of a VAT number there, or -1. */
export function detectVatId(s: string, i: number, we: number, hits: Hits): number {
  // The prefix in one case ("DE", "de"); the body may be lower-case too when the prefix is.
  if (!vatPrefixAt(s, i)) return -1;
  const c0 = s.charCodeAt(i) & 0xdf;
  const c1 = codeAt(s, i + 1);
  const upper = isUpper(s.charCodeAt(i));
  const rule = RULE_AT[(c0 - 65) * 26 + (c1 & 0xdf) - 65]!;
  let j = i + 2;
  // "DE 136695976", "FR-40303265045", "DE.136.695.976": one separator between prefix and body. In lower case
  // ("de 136 695 976") only as the whole value or after a VAT word: "de", "el", "it", "se" are words too, and
  // Spanish "un total de 136 695 976" would pass the German check one time in ten.
  const separated = we === j;
  if (separated) {
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
      body += String.fromCharCode(isLower(c) ? c - 32 : c);
      continue;
    }
    if (body.length > 0 && !isWordCode(c) && rule(body)) bestEnd = k;
    if (isVatSep(c) && isDigit(codeAt(s, k - 1)) && isDigit(codeAt(s, k + 1))) continue;
    break;
  }
  if (body.length <= MAX_BODY && rule(body)) {
    let end = j;
    for (let n = 0; n < body.length; end++) if (isAsciiAlnum(s.charCodeAt(end))) n++;
    if (!isWordCode(codeAt(s, end))) bestEnd = end;
  }
  if (bestEnd < 0 || (separated && !upper && !entireValue(s, i, bestEnd) && !vatCueBefore(s, i))) return -1;
  hits.add(K_VAT_ID, i, bestEnd);
  return bestEnd;
}

// Words that name a VAT number, in the member states' languages; what follows them up to the number holds no digit.
const VAT_CUE = new RegExp(
  `(?:^|[^\\p{L}])(?:vat|tva|iva|p\\.\\s?iva|partita iva|piva|btw|mwst|ust|ust-id|ust-idnr|ustid|umsatzsteuer-id|moms|alv|nip|dič|áfa|pvm|pvn|ddv|dds|fpa|φπα|cif|nif)(?:[^\\p{L}\\p{N}][^\\p{N}]{0,24})?$`,
  'iu',
);

/** Whether a VAT word comes in the 40 characters before `i` with no digit between. */
export function vatCueBefore(s: string, i: number): boolean {
  return VAT_CUE.test(s.slice(Math.max(0, i - 40), i));
}

/** IT partita IVA office codes (digits 8-10): the provinces 001-100, and 120, 121, 888, 999. */
function itOffice(s: string, at: number): boolean {
  const o = (s.charCodeAt(at) - 48) * 100 + (s.charCodeAt(at + 1) - 48) * 10 + (s.charCodeAt(at + 2) - 48);
  return (o >= 1 && o <= 100) || o === 120 || o === 121 || o === 888 || o === 999;
}

/**
 * `i` starts eleven digits ending the token at `i + 11`: an IT partita IVA written without its prefix
 * ("01333550323"), taken only after a VAT word or as the whole value. Luhn and a real office code pass about one
 * random number in a hundred, too often for prose but rare as a value on its own.
 */
export function detectItVatDigits(s: string, i: number, hits: Hits): number {
  const end = i + 11;
  if (!itOffice(s, i + 7) || !validVat('IT', s.slice(i, end))) return -1;
  if (!entireValue(s, i, end) && !vatCueBefore(s, i)) return -1;
  hits.add(K_VAT_ID, i, end);
  return end;
}
