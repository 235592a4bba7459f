// EU VAT identification numbers, one rule per member state: the body's shape after the country
// prefix and, where the state defines one, its check digit (the algorithms the states publish
// and the European Commission's VIES documentation collects; sources in README "Masking").
// Each validator gets the body in upper case without separators.
import { dg, luhn, mod, mod1110, num, weighted } from '../national-id/checks.ts';
import { bgEgn, czSkBirthNumber, ptNif } from '../national-id/digits.ts';
import { esDniNie, iePpsn } from '../national-id/alnum.ts';

type Check = (b: string) => boolean;

const digitSum2 = (x: number): number => (x * 2 > 9 ? x * 2 - 9 : x * 2);

const at: Check = (b) => {
  if (!/^U\d{8}$/u.test(b)) return false;
  const d = b.slice(1);
  const sum = dg(d, 0) + digitSum2(dg(d, 1)) + dg(d, 2) + digitSum2(dg(d, 3)) + dg(d, 4) + digitSum2(dg(d, 5)) + dg(d, 6);
  return (10 - ((sum + 4) % 10)) % 10 === dg(d, 7);
};

const be: Check = (b) => {
  const d = b.length === 9 ? `0${b}` : b;
  return /^[01]\d{9}$/u.test(d) && 97 - mod(d, 0, 8, 97) === num(d, 8, 10);
};

const bg: Check = (b) => {
  if (/^\d{10}$/u.test(b)) return bgEgn(b);
  if (!/^\d{9}$/u.test(b)) return false;
  let r = weighted(b, [1, 2, 3, 4, 5, 6, 7, 8]) % 11;
  if (r === 10) r = weighted(b, [3, 4, 5, 6, 7, 8, 9, 10]) % 11;
  return (r === 10 ? 0 : r) === dg(b, 8);
};

const CY_ODD = [1, 0, 5, 7, 9, 13, 15, 17, 19, 21];
const cy: Check = (b) => {
  if (!/^[0-59]\d{7}[A-Z]$/u.test(b) || b.startsWith('12')) return false;
  let sum = 0;
  for (let k = 0; k < 8; k++) sum += k % 2 === 0 ? CY_ODD[dg(b, k)]! : dg(b, k);
  return String.fromCharCode(65 + (sum % 26)) === b[8];
};

const cz: Check = (b) => {
  if (/^\d{10}$/u.test(b)) return czSkBirthNumber(b);
  if (!/^[0-8]\d{7}$/u.test(b)) return false;
  const r = weighted(b, [8, 7, 6, 5, 4, 3, 2]) % 11;
  return [1, 0, 9, 8, 7, 6, 5, 4, 3, 2, 1][r] === dg(b, 7);
};

const de: Check = (b) => /^[1-9]\d{8}$/u.test(b) && mod1110(b, 8) === dg(b, 8);

const dk: Check = (b) => /^[1-9]\d{7}$/u.test(b) && weighted(b, [2, 7, 6, 5, 4, 3, 2, 1]) % 11 === 0;

const ee: Check = (b) => /^10\d{7}$/u.test(b) && (10 - (weighted(b, [3, 7, 1, 3, 7, 1, 3, 7]) % 10)) % 10 === dg(b, 8);

const el: Check = (b) => /^\d{9}$/u.test(b) && (weighted(b, [256, 128, 64, 32, 16, 8, 4, 2]) % 11) % 10 === dg(b, 8);

const es: Check = (b) => {
  if (!/^[0-9A-Z]\d{7}[0-9A-Z]$/u.test(b)) return false;
  const first = b[0]!;
  if (/[0-9XYZ]/u.test(first)) return esDniNie(b);
  if ('KLM'.includes(first)) return esDniNie(`0${b.slice(1)}`);
  // Legal entities: digits in odd places doubled (digit sum), even places plain.
  const d = b.slice(1, 8);
  let sum = 0;
  for (let k = 0; k < 7; k++) sum += k % 2 === 0 ? digitSum2(dg(d, k)) : dg(d, k);
  const c = (10 - (sum % 10)) % 10;
  if ('ABCDEFGHJUV'.includes(first)) return String(c) === b[8];
  if ('NPQRSW'.includes(first)) return 'JABCDEFGHI'[c] === b[8];
  return false;
};

const fi: Check = (b) => {
  if (!/^\d{8}$/u.test(b)) return false;
  const r = 11 - (weighted(b, [7, 9, 10, 5, 8, 4, 2]) % 11);
  return r !== 10 && (r === 11 ? 0 : r) === dg(b, 7);
};

const fr: Check = (b) => {
  if (!/^[0-9A-HJ-NP-Z]{2}\d{9}$/u.test(b)) return false;
  const siren = b.slice(2);
  if (/^\d\d$/u.test(b.slice(0, 2))) return num(b, 0, 2) === (12 + 3 * mod(siren, 0, 9, 97)) % 97;
  // Letter keys follow an unpublished rule: the SIREN's own Luhn check still applies.
  return luhn(siren);
};

const hr: Check = (b) => /^\d{11}$/u.test(b) && mod1110(b, 10) === dg(b, 10);

const hu: Check = (b) => /^\d{8}$/u.test(b) && (10 - (weighted(b, [9, 7, 3, 1, 9, 7, 3]) % 10)) % 10 === dg(b, 7);

const ie: Check = (b) => {
  if (/^\d{7}[A-W][A-IW]?$/u.test(b)) return iePpsn(b);
  // Old style "1A23456B": the second character is a letter, + or *.
  return /^\d[A-Z+*]\d{5}[A-W]$/u.test(b) && iePpsn(`0${b.slice(2, 7)}${b[0]}${b[7]}`);
};

const it: Check = (b) => /^\d{11}$/u.test(b) && num(b, 7, 10) >= 1 && luhn(b);

const lt: Check = (b) => {
  if (!/^(?:\d{9}|\d{12})$/u.test(b) || b[b.length - 2] !== '1') return false;
  const n = b.length - 1;
  let sum = 0;
  for (let k = 0; k < n; k++) sum += dg(b, k) * (1 + (k % 9));
  let r = sum % 11;
  if (r === 10) {
    sum = 0;
    for (let k = 0; k < n; k++) sum += dg(b, k) * (1 + ((k + 2) % 9));
    r = sum % 11;
  }
  return (r === 10 ? 0 : r) === dg(b, n);
};

const lu: Check = (b) => /^\d{8}$/u.test(b) && mod(b, 0, 6, 89) === num(b, 6, 8);

const lv: Check = (b) => {
  if (!/^\d{11}$/u.test(b)) return false;
  // Legal entities (first digit above 3) have a check digit; people's codes are checked as dates.
  if (dg(b, 0) > 3) return weighted(b, [9, 1, 4, 8, 3, 10, 2, 5, 7, 6, 1]) % 11 === 3;
  const m = num(b, 2, 4);
  const day = num(b, 0, 2);
  return m >= 1 && m <= 12 && day >= 1 && day <= 31;
};

const mt: Check = (b) => /^[1-9]\d{7}$/u.test(b) && (weighted(b, [3, 4, 6, 7, 8, 9]) + num(b, 6, 8)) % 37 === 0;

const nl: Check = (b) => {
  if (!/^\d{9}B\d{2}$/u.test(b)) return false;
  const r = weighted(b, [9, 8, 7, 6, 5, 4, 3, 2]) % 11;
  if (r < 10 && r === dg(b, 8)) return true;
  // Since 2020 sole traders get numbers checked mod 97 over "NL" + the body (N=23, L=21, B=11).
  return mod(`2321${b.slice(0, 9)}11${b.slice(10)}`, 0, 17, 97) === 1;
};

const pl: Check = (b) => /^\d{10}$/u.test(b) && weighted(b, [6, 5, 7, 2, 3, 4, 5, 6, 7]) % 11 === dg(b, 9);

const pt: Check = (b) => /^\d{9}$/u.test(b) && ptNif(b);

const ro: Check = (b) => {
  if (!/^[1-9]\d{1,9}$/u.test(b)) return false;
  const w = [7, 5, 3, 2, 1, 7, 5, 3, 2].slice(10 - b.length);
  return ((weighted(b, w) * 10) % 11) % 10 === dg(b, b.length - 1);
};

const se: Check = (b) => /^\d{10}01$/u.test(b) && luhn(b.slice(0, 10));

const si: Check = (b) => {
  if (!/^[1-9]\d{7}$/u.test(b)) return false;
  const r = 11 - (weighted(b, [8, 7, 6, 5, 4, 3, 2]) % 11);
  return r !== 11 && (r === 10 ? 0 : r) === dg(b, 7);
};

const sk: Check = (b) => /^[1-9]\d[2-47-9]\d{7}$/u.test(b) && mod(b, 0, 10, 11) === 0;

/** Validators by the two-letter prefix (Greece writes EL). */
export const VAT_RULES: Readonly<Record<string, Check>> = {
  AT: at, BE: be, BG: bg, CY: cy, CZ: cz, DE: de, DK: dk, EE: ee, EL: el, ES: es, FI: fi, FR: fr, HR: hr, HU: hu,
  IE: ie, IT: it, LT: lt, LU: lu, LV: lv, MT: mt, NL: nl, PL: pl, PT: pt, RO: ro, SE: se, SI: si, SK: sk,
};

/** Whether "CC" + body is a valid EU VAT number. */
export function validVat(cc: string, body: string): boolean {
  const rule = VAT_RULES[cc];
  return rule !== undefined && rule(body);
}

/** Whether a written VAT number ("DE 136 695 976", "de136695976") is valid: prefix, then the body without separators. */
export function vatIdValid(value: string): boolean {
  const v = value.trim().toUpperCase().replace(/[ ._-]/gu, '');
  return validVat(v.slice(0, 2), v.slice(2));
}
