// CREDIT_CARD: 13-19 digits, contiguous or in the groupings printed on cards and forms
// (4-4-4-4, 4-4-4-4-3, 4-4-4-1, Amex 4-6-5, Diners 4-6-4) with one kind of separator: space,
// dash, dot, slash or underscore (all seen in the wild, and each one a way around a detector
// that knows only the first two). The issuer prefix must belong to a known brand with that length, and Luhn must pass:
// a random 16-digit number gets through both about once in twenty.
import { codeAt, isDigit, isUpper, isWordCode, numberEndsToken } from '../chars.ts';
import { luhnValid } from '../checksums.ts';
import { K_CARD, type Hits } from '../hits.ts';

/** The first `count` digits of s[start, end) as a number, skipping separators. */
function leadingDigits(s: string, start: number, end: number, count: number): number {
  let value = 0;
  let got = 0;
  for (let i = start; i < end && got < count; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d >= 0 && d <= 9) {
      value = value * 10 + d;
      got++;
    }
  }
  return value;
}

/** Whether the brand owning this issuer prefix issues cards of `len` digits. */
export function issuerAccepts(s: string, start: number, end: number, len: number): boolean {
  const iin = leadingDigits(s, start, end, 6);
  const d1 = Math.floor(iin / 100000);
  const d2 = Math.floor(iin / 10000);
  const d3 = Math.floor(iin / 1000);
  const d4 = Math.floor(iin / 100);
  if (d1 === 4) return len === 13 || len === 16 || len === 19; // Visa
  if (d2 >= 51 && d2 <= 55) return len === 16; // Mastercard
  if (d4 >= 2221 && d4 <= 2720) return len === 16; // Mastercard 2-series
  if (d4 >= 2200 && d4 <= 2204) return len >= 16; // Mir
  if (d2 === 34 || d2 === 37) return len === 15; // American Express
  if (d2 === 36 || d2 === 38 || d2 === 39 || (d3 >= 300 && d3 <= 305) || d4 === 3095) return len >= 14; // Diners Club
  if (d4 >= 3528 && d4 <= 3589) return len >= 16; // JCB
  if (d3 === 353 || d3 === 356) return len === 16; // RuPay
  if (d2 === 50 || (d2 >= 56 && d2 <= 69)) return len >= 12; // Maestro, Discover, UnionPay, RuPay, Verve
  if (d2 === 81 || d2 === 82) return len >= 16; // UnionPay / RuPay 8-series
  if (d4 === 9792) return len === 16; // Troy
  return false;
}

/**
 * Whether the first digits belong to one of the major brands' registered ranges: Visa 4, Mastercard 51-55 and
 * 2221-2720, Amex 34/37, Discover 6011/644-649/65, JCB 3528-3589, Diners 36/38/300-305, UnionPay 62, Mir
 * 2200-2204 and Maestro's own IINs. Narrower than issuerAccepts, which takes the whole 56-69 block: enough for a
 * number standing alone, too loose for one that may be the tail of another number (a mistyped IBAN's last groups).
 */
export function majorIssuer(s: string, start: number, end: number): boolean {
  const iin = leadingDigits(s, start, end, 4);
  const d2 = Math.floor(iin / 100);
  const d3 = Math.floor(iin / 10);
  if (d2 >= 40 && d2 <= 49) return true; // Visa
  if ((d2 >= 51 && d2 <= 55) || (iin >= 2221 && iin <= 2720) || (iin >= 2200 && iin <= 2204)) return true; // Mastercard, Mir
  if (d2 === 34 || d2 === 37 || d2 === 36 || d2 === 38 || (d3 >= 300 && d3 <= 305)) return true; // Amex, Diners
  if (iin === 6011 || (d3 >= 644 && d3 <= 649) || d2 === 65 || d2 === 62) return true; // Discover, UnionPay
  if (iin >= 3528 && iin <= 3589) return true; // JCB
  return iin === 5018 || iin === 5020 || iin === 5038 || iin === 5893 || iin === 6304 || iin === 6759 || (iin >= 6761 && iin <= 6763); // Maestro
}

function validGrouping(groups: readonly number[], count: number, total: number): boolean {
  if (total < 13 || total > 19) return false;
  if (count === 3) {
    return groups[0] === 4 && groups[1] === 6 && (groups[2] === 5 || groups[2] === 4);
  }
  if (count < 4) return false;
  for (let g = 0; g < count - 1; g++) if (groups[g] !== 4) return false;
  return groups[count - 1]! >= 1 && groups[count - 1]! <= 4;
}

const groupLens: number[] = [0, 0, 0, 0, 0, 0];
const groupEnds: number[] = [0, 0, 0, 0, 0, 0];

/** The token before `i` is an IBAN's country code and check digits ("RS35 2600 0560 ..."): what follows is its account. */
function afterIbanHead(s: string, i: number): boolean {
  const k = i - 5;
  return k >= 0 && isUpper(s.charCodeAt(k)) && isUpper(s.charCodeAt(k + 1)) && isDigit(s.charCodeAt(k + 2)) && isDigit(s.charCodeAt(k + 3)) && !isWordCode(codeAt(s, k - 1));
}

/**
 * `i` is at a digit that starts a token. Returns the end of a card number starting there, or -1. `afterNumber`:
 * the digits follow another number, so only a major brand's prefix (majorIssuer) makes them a card of their own.
 */
export function detectCard(s: string, i: number, hits: Hits, afterNumber = false): number {
  const n = s.length;
  let j = i;
  while (j < n && j - i < 20 && isDigit(s.charCodeAt(j))) j++;
  const first = j - i;
  // Inside an IBAN whose check failed ("RS35 2600 0560 1001 6113 70"), sixteen of its digits are no card of their own.
  if (afterNumber && (!majorIssuer(s, i, j) || afterIbanHead(s, i))) return -1;
  if (first >= 13) {
    if (first > 19 || !numberEndsToken(s, j)) return -1;
    if (!issuerAccepts(s, i, j, first) || !luhnValid(s, i, j)) return -1;
    hits.add(K_CARD, i, j);
    return j;
  }
  if (first !== 4 || j + 1 >= n) return -1;
  const sep = s.charCodeAt(j);
  if (sep !== 32 && sep !== 45 && sep !== 46 && sep !== 47 && sep !== 95) return -1;
  let count = 1;
  let total = 4;
  groupLens[0] = 4;
  groupEnds[0] = j;
  while (count < 6 && total < 19 && codeAt(s, j) === sep && isDigit(codeAt(s, j + 1))) {
    const gs = ++j;
    while (j < n && j - gs < 7 && isDigit(s.charCodeAt(j))) j++;
    groupLens[count] = j - gs;
    groupEnds[count] = j;
    total += j - gs;
    count++;
  }
  // The longest valid prefix of the groups; a shorter one only when the rest is a separate
  // number (space-separated), never the head of a longer dashed identifier.
  for (let c = count; c >= 3; c--) {
    if (c < count && sep !== 32) break;
    let t = 0;
    for (let g = 0; g < c; g++) t += groupLens[g]!;
    const end = groupEnds[c - 1]!;
    if (!validGrouping(groupLens, c, t) || !numberEndsToken(s, end)) continue;
    if (c === count && j < n && s.charCodeAt(j) === sep && isDigit(s.charCodeAt(j + 1))) continue;
    if (!issuerAccepts(s, i, end, t) || !luhnValid(s, i, end)) continue;
    hits.add(K_CARD, i, end);
    return end;
  }
  return -1;
}
