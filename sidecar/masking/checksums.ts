// Check-digit algorithms that turn "looks like a card number / IBAN" into "is one". They read
// straight from the source text (skipping separators) so a candidate costs no allocation.

/** Luhn (mod 10) over the digits of s[start, end), ignoring every non-digit. */
export function luhnValid(s: string, start: number, end: number): boolean {
  let sum = 0;
  let double = false;
  for (let i = end - 1; i >= start; i--) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) continue;
    if (double) sum += d < 5 ? d * 2 : d * 2 - 9;
    else sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/** Value of an IBAN character in the mod-97 computation: 0-9 for digits, 10-35 for letters; -1 otherwise. */
function ibanCharValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 90) return c - 55;
  if (c >= 97 && c <= 122) return c - 87;
  return -1;
}

/**
 * ISO 13616 / ISO 7064 MOD 97-10 over an IBAN written in s[start, end), ignoring spaces and
 * dashes: the first four characters move to the end, letters become two-digit numbers, and the
 * whole must be 1 mod 97. Computed digit by digit, so no BigInt is needed.
 */
export function ibanChecksumValid(s: string, start: number, end: number): boolean {
  let rem = 0;
  let seen = 0;
  let headEnd = start;
  // Pass 1: everything after the first four IBAN characters.
  for (let i = start; i < end; i++) {
    const v = ibanCharValue(s.charCodeAt(i));
    if (v < 0) continue;
    seen++;
    if (seen <= 4) {
      headEnd = i + 1;
      continue;
    }
    rem = v < 10 ? (rem * 10 + v) % 97 : (rem * 100 + v) % 97;
  }
  if (seen < 5) return false;
  // Pass 2: the country code and check digits, now at the end.
  for (let i = start; i < headEnd; i++) {
    const v = ibanCharValue(s.charCodeAt(i));
    if (v < 0) continue;
    rem = v < 10 ? (rem * 10 + v) % 97 : (rem * 100 + v) % 97;
  }
  return rem === 1;
}
