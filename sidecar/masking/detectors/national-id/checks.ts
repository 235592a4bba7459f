// Check-digit arithmetic shared by the national identifier validators. Every function takes the
// identifier's digits as a string of '0'-'9' (separators already removed) and is pure.

/** Digit k of `d` as a number. */
export function dg(d: string, k: number): number {
  return d.charCodeAt(k) - 48;
}

/** The number written by d[from, to). */
export function num(d: string, from: number, to: number): number {
  let v = 0;
  for (let k = from; k < to; k++) v = v * 10 + dg(d, k);
  return v;
}

/** Sum of digit k times weights[k], from `from` on. */
export function weighted(d: string, weights: readonly number[], from = 0): number {
  let sum = 0;
  for (let k = 0; k < weights.length; k++) sum += dg(d, from + k) * weights[k]!;
  return sum;
}

/** Luhn (mod 10) over all of `d`, the last digit being the check digit. */
export function luhn(d: string): boolean {
  let sum = 0;
  let double = false;
  for (let k = d.length - 1; k >= 0; k--) {
    const v = dg(d, k);
    sum += double ? (v < 5 ? v * 2 : v * 2 - 9) : v;
    double = !double;
  }
  return sum % 10 === 0;
}

/** ISO 7064 MOD 11,10 over d[0, len): the check digit that should follow. */
export function mod1110(d: string, len: number): number {
  let product = 10;
  for (let k = 0; k < len; k++) {
    let sum = (dg(d, k) + product) % 10;
    if (sum === 0) sum = 10;
    product = (sum * 2) % 11;
  }
  const check = 11 - product;
  return check === 10 ? 0 : check;
}

/** d[from, to) mod m, digit by digit (no precision limit). */
export function mod(d: string, from: number, to: number, m: number): number {
  let r = 0;
  for (let k = from; k < to; k++) r = (r * 10 + dg(d, k)) % m;
  return r;
}

const DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** A plausible calendar day (29 February is allowed in any year: two-digit years hide leap years). */
export function validDate(month: number, day: number): boolean {
  return month >= 1 && month <= 12 && day >= 1 && day <= DAYS[month - 1]!;
}
