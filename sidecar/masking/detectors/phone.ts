// PHONE. A phone number is told from the many other digit groups in text (dates, times,
// versions, amounts, order numbers) by its structure:
//
// - international: '+' or '00' and a real country calling code, then 8-15 digits in all,
//   grouped any way with spaces, dashes, dots, slashes or parentheses ("+44 (0)20 7946 0958");
// - national with a trunk 0 (most of Europe): 9-12 digits in two or more groups of at least
//   two digits ("020 7946 0958", "06 12 34 56 78", "030/1234567", "(0161) 496 0000");
// - North American: [1] (NXX) NXX-XXXX with the area code starting 2-9 ("(415) 555-2671",
//   "415.555.2671", "1-800-555-0199"); Spanish 6xx xx xx xx;
// - anything else that is plausibly a phone (a bare digit run, 3-3-3 or 2-2-2-2 groups) only
//   when a word like "phone", "tel", "mobile" or "call" comes shortly before, or the JSON key
//   says so.
//
// Shapes that are dates (15.03.2024, 2024-03-15, 03/15/2024) are refused outright, and the
// digits must begin and end a token (see numberStartsToken / numberEndsToken), so parts of
// UUIDs, hashes, version strings and dashed order numbers never match.
import { codeAt, codeBefore, isAlnumCode, isDigit, numberEndsToken } from '../chars.ts';
import { K_PHONE, type Hits } from '../hits.ts';
import { callingCodeLength } from '../tables.ts';

const PHONE_CONTEXT =
  /(?:^|[^a-z])(?:phone|tel|mobile?|mob|cell|call|fax|contact|whatsapp|sms|telefon|telefono|teléfono|téléphone|handy|portable|gsm|tlf|puhelin|dial|ring|hotline|telefoon|mobiel|mobil|telefone|telemóvel|τηλ|puh|kontakt|numer tel|nr tel|tel\.|tél|тел)/u;

/** Whether a phone keyword precedes `i` closely enough to vouch for an ambiguous shape. */
export function phoneContextBefore(s: string, i: number): boolean {
  return PHONE_CONTEXT.test(s.slice(Math.max(0, i - 32), i).toLowerCase());
}

const MAX_GROUPS = 8;
const MAX_DIGITS = 18;

// Scratch space for one candidate: the digits and, per group, its length, end, whether it was
// in parentheses and the separator before it.
const dig = new Uint8Array(MAX_DIGITS + 8);
const gLen = new Int32Array(MAX_GROUPS + 1);
const gEnd = new Int32Array(MAX_GROUPS + 1);
const gParen = new Uint8Array(MAX_GROUPS + 1);
const gSep = new Int32Array(MAX_GROUPS + 1);

function isSep(c: number): boolean {
  return c === 32 || c === 45 || c === 46 || c === 47;
}

function groupValue(start: number, len: number): number {
  let v = 0;
  for (let k = 0; k < len; k++) v = v * 10 + dig[start + k]!;
  return v;
}

/** dd.mm.yyyy, yyyy-mm-dd, mm/dd/yyyy and the like, with one separator throughout. */
function dateLike(groups: number): boolean {
  if (groups < 3 || gSep[1] !== gSep[2] || gSep[1] === 32) return false;
  const a = gLen[0]!;
  const b = gLen[1]!;
  const c = gLen[2]!;
  const va = groupValue(0, a);
  const vb = groupValue(a, b);
  const vc = groupValue(a + b, c);
  if (a === 4 && b <= 2 && c <= 2) return vb >= 1 && vb <= 12 && vc >= 1 && vc <= 31;
  // A two-digit year only when the date is all there is: 06.12.34.56.78 is a French number.
  if (a <= 2 && b <= 2 && (c === 4 || (c === 2 && groups === 3))) {
    return (va >= 1 && va <= 31 && vb >= 1 && vb <= 12) || (va >= 1 && va <= 12 && vb >= 1 && vb <= 31);
  }
  return false;
}

/**
 * `i` is at a '+', a '(' or a digit that starts a token; `keyContext` is true when the JSON key
 * names a phone. Returns the end of a phone number starting there, or -1.
 */
export function detectPhone(s: string, i: number, hits: Hits, keyContext: boolean): number {
  let j = i;
  // "(+44) 20 7946 0958": the country code in parentheses.
  const parenCc = s.charCodeAt(i) === 40 && s.charCodeAt(i + 1) === 43;
  const intl = parenCc || s.charCodeAt(i) === 43;
  if (intl) {
    const p = codeBefore(s, i);
    if (p >= 0 && (isAlnumCode(p) || p === 43)) return -1;
    j += parenCc ? 2 : 1;
    if (!isDigit(codeAt(s, j))) return -1;
    if (parenCc) {
      let k = j;
      while (isDigit(codeAt(s, k))) {
        dig[k - j] = s.charCodeAt(k) - 48;
        k++;
      }
      if (k - j > 3 || codeAt(s, k) !== 41 || codeAt(s, k + 1) !== 32 || !isDigit(codeAt(s, k + 2))) return -1;
      gLen[0] = k - j;
      gEnd[0] = k;
      gParen[0] = 0;
      gSep[0] = 0;
      return parse(s, i, k + 2, 1, k - j, hits, keyContext, true);
    }
  } else if (s.charCodeAt(i) === 40 && isAlnumCode(codeBefore(s, i))) return -1;
  return parse(s, i, j, 0, 0, hits, keyContext, intl);
}

/** Reads digit groups from j on (after `groups` groups and `digits` digits already read) and classifies them. */
function parse(s: string, i: number, j: number, groups: number, digits: number, hits: Hits, keyContext: boolean, intl: boolean): number {
  const n = s.length;
  let overflow = false;
  let sep = groups > 0 ? 32 : 0;
  for (;;) {
    let paren = 0;
    if (s.charCodeAt(j) === 40) {
      if (!isDigit(codeAt(s, j + 1))) break;
      paren = 1;
      j++;
    }
    const gs = j;
    const d0 = digits;
    let inner = 0;
    for (;;) {
      while (j < n && isDigit(s.charCodeAt(j))) {
        if (digits === MAX_DIGITS) {
          overflow = true;
          break;
        }
        dig[digits++] = s.charCodeAt(j) - 48;
        j++;
      }
      // "(06 1) 234 5678", "(0-312) 34567": trunk prefix and area code in one parenthesis.
      const c = codeAt(s, j);
      if (overflow || paren === 0 || inner === 1 || dig[d0] !== 0 || (c !== 32 && c !== 45) || !isDigit(codeAt(s, j + 1))) break;
      inner = 1;
      j++;
    }
    if (overflow) break;
    if (paren === 1) {
      if (s.charCodeAt(j) !== 41 || j === gs) return groups === 0 ? -1 : finish(s, i, groups, false, intl, hits, keyContext);
    }
    gLen[groups] = digits - d0;
    gEnd[groups] = j;
    gParen[groups] = paren;
    gSep[groups] = sep;
    groups++;
    if (paren === 1) j++;
    if (groups === MAX_GROUPS) {
      overflow = isSep(codeAt(s, j)) && isDigit(codeAt(s, j + 1));
      break;
    }
    const c = codeAt(s, j);
    if (paren === 1 && isDigit(c)) {
      sep = 41;
      continue;
    }
    const c1 = codeAt(s, j + 1);
    if (c === 40 && paren === 0 && isDigit(c1)) {
      // "+44(0)20 ...": a parenthesised group straight after a digit.
      sep = 40;
      continue;
    }
    if (isSep(c) && (isDigit(c1) || (c1 === 40 && isDigit(codeAt(s, j + 2))))) {
      // A '.' or '/' straight after a parenthesised group is not a phone separator.
      if (paren === 1 && c !== 32 && c !== 45) break;
      sep = c;
      j++;
      continue;
    }
    break;
  }
  return finish(s, i, groups, overflow, intl, hits, keyContext);
}

// Whether a phone keyword vouches for the current candidate: computed at most once per
// candidate, and only for the ambiguous shapes that need it.
let ctxText = '';
let ctxAt = 0;
let ctxState = 0; // 0 unknown, 1 yes, 2 no

// Words that say the digits that follow are some other number: account, order, reference...
// National ID words too: "NHS number: 943 476 5919" has a phone's shape but is not one.
const OTHER_NUMBER =
  /(?:^|[^a-z])(?:kto|konto|account|acct|a\/c|order|invoice|ref|reference|ticket|serial|sn|iban|isbn|no|nhs(?: number| no)?|ssn|bsn|pesel|svnr|nif|nino|ahv|cpr|personnummer|steuer-id|idnr|passport(?: no| number)?)\.?:?\s*$/u;

function notPhoneBefore(): boolean {
  if (ctxState === 1) return false;
  return OTHER_NUMBER.test(ctxText.slice(Math.max(0, ctxAt - 24), ctxAt).toLowerCase()) && !hasContext();
}

function hasContext(): boolean {
  if (ctxState === 0) ctxState = phoneContextBefore(ctxText, ctxAt) ? 1 : 2;
  return ctxState === 1;
}

function finish(s: string, i: number, groups: number, overflow: boolean, intl: boolean, hits: Hits, keyContext: boolean): number {
  ctxText = s;
  ctxAt = i;
  ctxState = keyContext ? 1 : 0;
  let total = 0;
  for (let g = 0; g < groups; g++) total += gLen[g]!;
  // Seven digits ("321 2345" in Estonia, Iceland, Liechtenstein) only when a phone word vouches.
  if (total < 7 || (total === 7 && (groups < 2 || !hasContext()))) return -1;
  for (let c = groups; c >= 1; c--) {
    // A shorter prefix only when what is cut off is a space away, short, and unlike the group
    // before it ("... 0958 24/7"): long or same-sized trailing groups mean one long number
    // ("0123 4567 8901 2345", "04 11 23 35 42 48"), not a phone number and another.
    if (c < groups && (gSep[c] !== 32 || gLen[c]! > 2 || gLen[c] === gLen[c - 1])) break;
    if (c === groups && overflow) continue;
    // "+44 20 7946 0958 24 hours": a short group after a long one is the next word, not the number's end.
    if (c === groups && c > 2 && gSep[c - 1] === 32 && gLen[c - 1]! <= 2 && gLen[c - 2]! >= 4) continue;
    const end = gEnd[c - 1]!;
    if (gParen[c - 1] === 1 && c > 1) continue;
    if (!numberEndsToken(s, end + (gParen[c - 1] === 1 ? 1 : 0))) continue;
    if (classify(c, intl)) {
      hits.add(K_PHONE, i, end);
      ctxText = '';
      return end;
    }
  }
  ctxText = '';
  return -1;
}

function classify(groups: number, intl: boolean): boolean {
  let total = 0;
  let trunk = 0;
  for (let g = 0; g < groups; g++) {
    total += gLen[g]!;
    // "+44 (0)20 ...": the national trunk prefix in parentheses is not part of the number.
    if (intl && gParen[g] === 1 && gLen[g] === 1 && dig[total - 1] === 0) trunk++;
  }
  if (intl) {
    const d = total - trunk;
    return d >= 8 && d <= 15 && callingCodeLength(dig[0]!, total > 1 ? dig[1]! : -1, total > 2 ? dig[2]! : -1) > 0;
  }
  const first = gLen[0]!;
  if (dig[0] === 0 && dig[1] === 0) {
    // 00 international prefix: the first group is exactly 00 + a calling code ("0049"), or "00" alone.
    const ccLen = callingCodeLength(dig[2]!, total > 3 ? dig[3]! : -1, total > 4 ? dig[4]! : -1);
    const d = total - 2;
    return ccLen > 0 && (first === 2 + ccLen || (first === 2 && gLen[1] === ccLen)) && d >= 8 && d <= 15 && groups >= 2;
  }
  if (dateLike(groups)) return false;
  if (groups === 1) return total >= 8 && total <= 12 && hasContext();
  let allWide = true;
  for (let g = 0; g < groups; g++) if (gLen[g]! < 2) allWide = false;
  if (dig[0] === 0) {
    // Eight digits with the trunk 0 are whole numbers in Sweden, Bulgaria, Ireland ("08-12 34 56",
    // "02 123 456", "(022) 12345": libphonenumber's national formats).
    // With eight, the area code (trunk included) is two or three digits: "0315 0930" is not one.
    if (!allWide || total < 8 || total > 12 || first > 5 || (total === 8 && first > 3) || notPhoneBefore()) return false;
    // All pairs is the French and Belgian 0X XX XX XX XX, exactly five of them, or the Swedish
    // 0X-XX XX XX with the area code set apart by another separator.
    let pairs = true;
    for (let g = 0; g < groups; g++) if (gLen[g] !== 2) pairs = false;
    return !pairs || groups === 5 || (groups >= 3 && gSep[1] !== gSep[2]);
  }
  // North American Numbering Plan, with an optional leading 1.
  const lead1 = first === 1 && dig[0] === 1 ? 1 : 0;
  if (groups - lead1 === 3 && gLen[lead1] === 3 && gLen[lead1 + 1] === 3 && gLen[lead1 + 2] === 4 && dig[lead1]! >= 2) {
    return (lead1 === 0 || gParen[0] === 0) && !notPhoneBefore();
  }
  // Spanish mobile and landline grouping 6xx xx xx xx / 9xx xx xx xx.
  if (groups === 4 && first === 3 && gLen[1] === 2 && gLen[2] === 2 && gLen[3] === 2 && dig[0]! >= 6) return true;
  return allWide && total >= 7 && total <= 12 && hasContext();
}
