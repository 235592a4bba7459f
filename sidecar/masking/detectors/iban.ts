// IBAN: country code, two check digits, then the BBAN; compact (DE89370400440532013000) or in
// groups separated by single spaces or dashes (DE89 3704 0044 0532 0130 00). The total length
// must be the one the country registered, and the ISO 7064 mod-97 check must pass.
import { codeAt, codeBefore, isAsciiAlnum, isDigit, isLower, isUpper, isWordCode } from '../chars.ts';
import { ibanChecksumValid } from '../checksums.ts';
import { K_IBAN, type Hits } from '../hits.ts';
import { IBAN_LENGTH } from '../tables.ts';

function isIbanChar(c: number): boolean {
  return isAsciiAlnum(c);
}

/**
 * `i` is at a letter that starts a token. Returns the end of an IBAN starting there, or -1.
 * The country code is two upper-case letters, or two lower-case ones in an all-lower-case
 * IBAN.
 */
export function detectIban(s: string, i: number, hits: Hits): number {
  const n = s.length;
  if (i + 15 > n) return -1;
  let c0 = s.charCodeAt(i);
  let c1 = s.charCodeAt(i + 1);
  if (isLower(c0) && isLower(c1)) {
    c0 -= 32;
    c1 -= 32;
  } else if (!isUpper(c0) || !isUpper(c1)) return -1;
  if (!isDigit(s.charCodeAt(i + 2)) || !isDigit(s.charCodeAt(i + 3))) return -1;
  const len = IBAN_LENGTH[(c0 - 65) * 26 + (c1 - 65)]!;
  if (len === 0) return -1;
  const check = (s.charCodeAt(i + 2) - 48) * 10 + (s.charCodeAt(i + 3) - 48);
  if (check < 2 || check > 98) return -1;
  if (isWordCode(codeBefore(s, i))) return -1;
  // The BBAN follows, compact or in groups (of four as printed, or however the writer split
  // it) separated by single spaces or dashes, one kind throughout; reading stops at the
  // registered length.
  let j = i + 4;
  let count = 4;
  let sep = -1;
  while (count < len && j < n) {
    const c = s.charCodeAt(j);
    if (isIbanChar(c)) {
      j++;
      count++;
    } else if ((c === 32 || c === 45) && (sep === -1 || sep === c) && isIbanChar(codeAt(s, j + 1))) {
      sep = c;
      j++;
    } else break;
  }
  if (count !== len || (j < n && isAsciiAlnum(s.charCodeAt(j)))) return -1;
  // One stretch of a longer hyphenated token ("...-be59-2e455f696937", "ba28f139-d852-469b-b420-..."):
  // a UUID or a key whose segments happened to pass mod 97, as about one UUID in four thousand does.
  if ((codeAt(s, j) === 45 && isAsciiAlnum(codeAt(s, j + 1))) || (codeBefore(s, i) === 45 && isAsciiAlnum(codeBefore(s, i - 1)))) return -1;
  if (!ibanChecksumValid(s, i, j)) return -1;
  hits.add(K_IBAN, i, j);
  return j;
}
