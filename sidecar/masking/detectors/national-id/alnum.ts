// National identifiers that mix letters and digits. Each validator takes the identifier in
// upper case with its separators removed, and checks the structure and check character the
// issuing authority publishes (sources in README "Masking").
import { dg, num, validDate, weighted } from './checks.ts';

const DNI_LETTERS = 'TRWAGMYFPDXBNJZSQVHLCKE';

/** ES DNI (8 digits + letter) and NIE (X/Y/Z + 7 digits + letter): the letter is the number mod 23. */
export function esDniNie(v: string): boolean {
  if (v.length !== 9) return false;
  const lead = 'XYZ'.indexOf(v[0]!);
  const digits = lead >= 0 ? `${lead}${v.slice(1, 8)}` : v.slice(0, 8);
  if (!/^\d{8}$/u.test(digits)) return false;
  return DNI_LETTERS[num(digits, 0, 8) % 23] === v[8];
}

// Codice fiscale: characters in odd positions (1st, 3rd, ...) count by this table, in even
// positions by their plain value (0-9, A=0 ... Z=25).
const CF_ODD = [1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23];
const CF_MONTHS = 'ABCDEHLMPRST';
// Digits replaced by letters when two people would share a code ("omocodia").
const CF_OMOCODE = 'LMNPQRSTUV';
const CF_DIGIT_POSITIONS = [6, 7, 9, 10, 12, 13, 14];

function cfValue(c: number, odd: boolean): number {
  const v = c <= 57 ? c - 48 : c - 65;
  return odd ? CF_ODD[v]! : v;
}

/** IT codice fiscale: 6 letters, year, month letter, day (+40 for women), place, check letter. */
export function itCodiceFiscale(v: string): boolean {
  if (!/^[A-Z]{6}[0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]$/u.test(v)) return false;
  if (!CF_MONTHS.includes(v[8]!)) return false;
  let day = '';
  for (const k of [9, 10]) day += CF_DIGIT_POSITIONS.includes(k) && CF_OMOCODE.includes(v[k]!) ? String(CF_OMOCODE.indexOf(v[k]!)) : v[k];
  const d = Number(day);
  if (!((d >= 1 && d <= 31) || (d >= 41 && d <= 71))) return false;
  let sum = 0;
  for (let k = 0; k < 15; k++) sum += cfValue(v.charCodeAt(k), k % 2 === 0);
  return String.fromCharCode(65 + (sum % 26)) === v[15];
}

/** UK National Insurance number: two prefix letters from the allowed sets, six digits, suffix A-D. */
export function ukNino(v: string): boolean {
  if (!/^[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]\d{6}[A-D]$/u.test(v)) return false;
  return !['BG', 'GB', 'KN', 'NK', 'NT', 'TN', 'ZZ'].includes(v.slice(0, 2));
}

const PPSN_LETTERS = 'WABCDEFGHIJKLMNOPQRSTUV';

/** IE PPS number: 7 digits, a check letter (mod 23) and an optional second letter that counts ×9. */
export function iePpsn(v: string): boolean {
  if (!/^\d{7}[A-W][A-IW]?$/u.test(v)) return false;
  const second = v.length === 9 ? PPSN_LETTERS.indexOf(v[8]!) : 0;
  const sum = weighted(v, [8, 7, 6, 5, 4, 3, 2]) + second * 9;
  return PPSN_LETTERS[sum % 23] === v[7];
}

const HETU_CHECK = '0123456789ABCDEFHJKLMNPRSTUVWXY';

/** FI henkilötunnus: DDMMYY, century sign (+ - A and, since 2023, B-F and U-Y), NNN, check character mod 31. */
export function fiHetu(v: string): boolean {
  if (v.length !== 11 || !'+-ABCDEFUVWXY'.includes(v[6]!)) return false;
  const digits = v.slice(0, 6) + v.slice(7, 10);
  if (!/^\d{9}$/u.test(digits) || !validDate(num(digits, 2, 4), num(digits, 0, 2))) return false;
  return HETU_CHECK[num(digits, 0, 9) % 31] === v[10];
}

/**
 * DE Rentenversicherungsnummer (social security): area, DDMMYY, the initial of the birth name,
 * serial, check digit. The letter becomes its two-digit position; the products' cross sums mod 10.
 */
export function deRvnr(v: string): boolean {
  if (!/^\d{8}[A-Z]\d{3}$/u.test(v)) return false;
  const day = num(v, 2, 4);
  const month = num(v, 4, 6);
  if (!validDate(month, day > 31 ? day - 50 : day)) return false;
  const letter = String(v.charCodeAt(8) - 64).padStart(2, '0');
  const d = v.slice(0, 8) + letter + v.slice(9, 11);
  const weights = [2, 1, 2, 5, 7, 1, 2, 1, 2, 1, 2, 1];
  let sum = 0;
  for (let k = 0; k < 12; k++) {
    const p = dg(d, k) * weights[k]!;
    sum += Math.floor(p / 10) + (p % 10);
  }
  return sum % 10 === dg(v, 11);
}
