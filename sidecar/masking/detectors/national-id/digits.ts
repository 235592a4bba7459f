// National identifiers written with digits only, one validator per country, each from the
// issuing authority's published rule (sources in README "Masking"). A rule says which ways of
// grouping the digits people write ("11" bare, "6-4" = six digits, a dash, four digits), and
// whether the number is strong enough to be masked on its own or only after a cue word
// ("BSN", "PESEL", ...). A nine- or ten-digit string with one check digit passes about one
// time in ten by chance, so in prose those formats need the cue; as a whole value, see ALONE_*.
import { dg, luhn, mod, mod1110, num, validDate, weighted } from './checks.ts';

export interface DigitRule {
  /** Country and name, for tests and explanations: "DE Steuer-ID". */
  readonly name: string;
  readonly length: number;
  /** Groupings accepted, as shapeKey numbers of "11", "6-4", "2.2.2-3.2" (group lengths joined by their separator). */
  readonly shapes: readonly number[];
  /** Groupings distinctive enough (with the checksum) to need no cue word. */
  readonly strongShapes: readonly number[];
  /** Where the number needs no cue word as a whole value (entire-value.ts) in one of `shapes`: ALONE_*. */
  readonly alone: number;
  readonly valid: (d: string) => boolean;
}

/** Index of a group separator in shape keys: none (first group), space, '-', '.', '/'. */
export function sepIndex(c: number): number {
  return c === 32 ? 1 : c === 45 ? 2 : c === 46 ? 3 : c === 47 ? 4 : 0;
}

/** Adds one group (its length and the separator before it) to a shape key. */
export function shapeStep(key: number, len: number, sepCode: number): number {
  return key * 128 + len * 5 + sepIndex(sepCode);
}

/** The key of a written shape such as "2.2.2-3.2". */
export function shapeKey(shape: string): number {
  let key = 0;
  for (const m of shape.matchAll(/([ ./-]?)(\d+)/gu)) key = shapeStep(key, Number(m[2]), m[1] === '' ? 0 : m[1]!.charCodeAt(0));
  return key;
}

/** DE Steuerliche Identifikationsnummer: ISO 7064 MOD 11,10; no leading 0. */
export function deSteuerIdChecksum(d: string): boolean {
  return d.length === 11 && d[0] !== '0' && mod1110(d, 10) === dg(d, 10);
}

/**
 * The checksum and the bound half of the BZSt structure rule: no digit more than three times among the first
 * ten. The other half, that exactly one digit repeats, is what sample numbers in forms and test suites
 * (12345678903, 98765432106) break; a whole value is not held to it (see ALONE_STRING).
 */
export function deSteuerIdWhole(d: string): boolean {
  if (!deSteuerIdChecksum(d)) return false;
  const counts = new Uint8Array(10);
  for (let k = 0; k < 10; k++) if (++counts[dg(d, k)]! > 3) return false;
  return true;
}

/**
 * The BZSt structure rule on top of the checksum: among the first ten digits exactly one
 * digit appears two or three times (never three in a row) and the others at most once. Made-up
 * numbers such as 12345678903 pass the checksum but not this, so without a cue word both apply.
 */
export function deSteuerIdStructure(d: string): boolean {
  if (!deSteuerIdChecksum(d)) return false;
  const counts = new Uint8Array(10);
  for (let k = 0; k < 10; k++) counts[dg(d, k)]!++;
  let repeated = 0;
  for (const c of counts) {
    if (c > 3) return false;
    if (c >= 2) repeated++;
  }
  if (repeated !== 1) return false;
  for (let k = 2; k < 10; k++) if (d[k] === d[k - 1] && d[k] === d[k - 2]) return false;
  return true;
}

/** FR NIR (numéro de sécurité sociale): sex 1-4/7/8, month, and key = 97 - (first 13 mod 97). */
export function frNir(d: string): boolean {
  if (d.length !== 15 || !'123478'.includes(d[0]!)) return false;
  const month = num(d, 3, 5);
  if (!((month >= 1 && month <= 12) || (month >= 20 && month <= 42) || (month >= 50 && month <= 99))) return false;
  return 97 - mod(d, 0, 13, 97) === num(d, 13, 15);
}

/** NL BSN: the "elfproef" with weights 9..2 and -1 for the last digit. */
export function nlBsn(d: string): boolean {
  if (d.length !== 9 || d === '000000000') return false;
  const sum = weighted(d, [9, 8, 7, 6, 5, 4, 3, 2]) - dg(d, 8);
  return sum % 11 === 0;
}

/** BE national register number: YYMMDD SSS CC, CC = 97 - (first nine mod 97), with a 2 prefixed after 1999. */
export function beNationalNumber(d: string): boolean {
  if (d.length !== 11) return false;
  const check = num(d, 9, 11);
  const month = num(d, 2, 4);
  // Month 0 and +20/+40 occur for people whose birth date was unknown or for bis numbers.
  if (month % 20 > 12) return false;
  return 97 - mod(d, 0, 9, 97) === check || 97 - mod(`2${d}`, 0, 10, 97) === check;
}

/** PL PESEL: weights 1,3,7,9 repeated; the month carries the century (+20, +40, +60, +80). */
export function plPesel(d: string): boolean {
  if (d.length !== 11) return false;
  const m = num(d, 2, 4) % 20;
  if (!validDate(m, num(d, 4, 6))) return false;
  const sum = weighted(d, [1, 3, 7, 9, 1, 3, 7, 9, 1, 3]);
  return (10 - (sum % 10)) % 10 === dg(d, 10);
}

/** SE personnummer / samordningsnummer (day + 60): Luhn over YYMMDDNNNC; 12-digit form with the century. */
export function sePersonnummer(d: string): boolean {
  if (d.length === 12) {
    const c = num(d, 0, 2);
    return (c === 18 || c === 19 || c === 20) && sePersonnummer(d.slice(2));
  }
  if (d.length !== 10) return false;
  const day = num(d, 4, 6);
  return validDate(num(d, 2, 4), day > 60 ? day - 60 : day) && luhn(d);
}

/** DK CPR: DDMMYY-SSSS. No check digit since 2007 (the modulus 11 rule was dropped), so a date and a cue. */
export function dkCpr(d: string): boolean {
  return d.length === 10 && validDate(num(d, 2, 4), num(d, 0, 2));
}

/** NO fødselsnummer / D-nummer (day + 40): two modulus 11 check digits. */
export function noFodselsnummer(d: string): boolean {
  if (d.length !== 11) return false;
  const day = num(d, 0, 2);
  const month = num(d, 2, 4);
  if (!validDate(month > 40 ? month - 40 : month, day > 40 ? day - 40 : day)) return false;
  let k1 = 11 - (weighted(d, [3, 7, 6, 1, 8, 9, 4, 5, 2]) % 11);
  if (k1 === 11) k1 = 0;
  if (k1 === 10 || k1 !== dg(d, 9)) return false;
  let k2 = 11 - (weighted(d, [5, 4, 3, 2, 7, 6, 5, 4, 3, 2]) % 11);
  if (k2 === 11) k2 = 0;
  return k2 === dg(d, 10);
}

/** AT Sozialversicherungsnummer: NNNC DDMMYY, C = weighted sum mod 11 (never 10). */
export function atSvnr(d: string): boolean {
  if (d.length !== 10 || d[0] === '0') return false;
  const sum = weighted(d, [3, 7, 9]) + weighted(d, [5, 8, 4, 2, 1, 6], 4);
  // Day and month may exceed the calendar for people with unknown birth dates; only the range is checked.
  return num(d, 6, 8) <= 14 && sum % 11 === dg(d, 3);
}

/** PT NIF (número de contribuinte): weights 9..2, check 11 - sum mod 11 (0 for 10 and 11). */
export function ptNif(d: string): boolean {
  if (d.length !== 9 || !'1235689'.includes(d[0]!)) return false;
  const r = 11 - (weighted(d, [9, 8, 7, 6, 5, 4, 3, 2]) % 11);
  return (r >= 10 ? 0 : r) === dg(d, 8);
}

/** UK NHS number: weights 10..2, check 11 - sum mod 11 (11 becomes 0, 10 is never issued). */
export function ukNhs(d: string): boolean {
  if (d.length !== 10) return false;
  const r = 11 - (weighted(d, [10, 9, 8, 7, 6, 5, 4, 3, 2]) % 11);
  return r !== 10 && (r === 11 ? 0 : r) === dg(d, 9);
}

/** An NHS number printed "943 476 5919" with no cue: not from 0, a national phone number's trunk prefix ("021 123 4567"). */
export function ukNhsSpaced(d: string): boolean {
  return d.charCodeAt(0) !== 48 && ukNhs(d);
}

/** An NHS number printed "401-023-2137" with no cue: also no US number, whose area code and exchange start from 2. */
export function ukNhsDashed(d: string): boolean {
  return (d.charCodeAt(0) === 49 || d.charCodeAt(3) < 50) && ukNhsSpaced(d);
}

/** CH AHV/AVS number (since 2008): 756 and an EAN-13 check digit. */
export function chAhv(d: string): boolean {
  if (d.length !== 13 || !d.startsWith('756')) return false;
  let sum = 0;
  for (let k = 0; k < 12; k++) sum += dg(d, k) * (k % 2 === 0 ? 1 : 3);
  return (10 - (sum % 10)) % 10 === dg(d, 12);
}

/** EE isikukood and LT asmens kodas: GYYMMDDSSSC, two-stage modulus 11. */
export function eeLtPersonalCode(d: string): boolean {
  if (d.length !== 11 || dg(d, 0) < 1 || dg(d, 0) > 6) return false;
  if (!validDate(num(d, 3, 5), num(d, 5, 7))) return false;
  let r = weighted(d, [1, 2, 3, 4, 5, 6, 7, 8, 9, 1]) % 11;
  if (r === 10) r = weighted(d, [3, 4, 5, 6, 7, 8, 9, 1, 2, 3]) % 11;
  return (r === 10 ? 0 : r) === dg(d, 10);
}

/** CZ/SK rodné číslo: YYMMDD/SSS(C); the ten-digit form is divisible by 11; women's months +50 (+20/+70 since 2004). */
export function czSkBirthNumber(d: string): boolean {
  if (d.length !== 9 && d.length !== 10) return false;
  const m = num(d, 2, 4);
  const month = m > 70 ? m - 70 : m > 50 ? m - 50 : m > 20 ? m - 20 : m;
  if (!validDate(month, num(d, 4, 6))) return false;
  if (d.length === 9) return num(d, 0, 2) < 54;
  const r = mod(d, 0, 9, 11);
  return (r === 10 ? 0 : r) === dg(d, 9);
}

/** RO CNP: S YYMMDD JJ NNN C, weights 279146358279, check = sum mod 11 (10 becomes 1). */
export function roCnp(d: string): boolean {
  if (d.length !== 13 || d[0] === '0') return false;
  if (!validDate(num(d, 3, 5), num(d, 5, 7))) return false;
  const county = num(d, 7, 9);
  if (county < 1 || (county > 52 && county !== 70)) return false;
  const r = weighted(d, [2, 7, 9, 1, 4, 6, 3, 5, 8, 2, 7, 9]) % 11;
  return (r === 10 ? 1 : r) === dg(d, 12);
}

/** BG EGN: YYMMDD (month +20 for the 1800s, +40 after 1999), weights 2,4,8,5,10,9,7,3,6, mod 11 (10 becomes 0). */
export function bgEgn(d: string): boolean {
  if (d.length !== 10 || !validDate(num(d, 2, 4) % 20, num(d, 4, 6))) return false;
  const r = weighted(d, [2, 4, 8, 5, 10, 9, 7, 3, 6]) % 11;
  return (r === 10 ? 0 : r) === dg(d, 9);
}

/** HR OIB: ISO 7064 MOD 11,10 over eleven digits. */
export function hrOib(d: string): boolean {
  return d.length === 11 && mod1110(d, 10) === dg(d, 10);
}

/** SI EMŠO: DDMMYYY RR BBB K, weights 7..2 twice, check 11 - sum mod 11 (11 becomes 0, 10 never issued). */
export function siEmso(d: string): boolean {
  if (d.length !== 13 || !validDate(num(d, 2, 4), num(d, 0, 2))) return false;
  const r = 11 - (weighted(d, [7, 6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2]) % 11);
  return r !== 10 && (r === 11 ? 0 : r) === dg(d, 12);
}

/** IS kennitala: DDMMYY RR C D, weights 3,2,7,6,5,4,3,2, century digit 8, 9 or 0. */
export function isKennitala(d: string): boolean {
  if (d.length !== 10 || !'890'.includes(d[9]!)) return false;
  const day = num(d, 0, 2);
  if (!validDate(num(d, 2, 4), day > 40 ? day - 40 : day)) return false;
  const r = 11 - (weighted(d, [3, 2, 7, 6, 5, 4, 3, 2]) % 11);
  return r !== 10 && (r === 11 ? 0 : r) === dg(d, 8);
}

/** GR AMKA: DDMMYY and five digits, Luhn. */
export function grAmka(d: string): boolean {
  return d.length === 11 && validDate(num(d, 2, 4), num(d, 0, 2)) && luhn(d);
}

/**
 * Never without a cue word, even as a whole value: a date with no check digit (DK CPR, CZ/SK nine digits), or a check
 * digit alone on a length other numbers share. Nine digits (NL BSN, PT NIF) is the length of US SSNs, passport
 * numbers, Canadian SINs and NPIs: of Presidio's whole nine-digit test values, six that pass a BSN or NIF check are
 * those. Thirteen (SI EMSO) is an EAN-13 barcode's. HR OIB shares the Steuer-ID's checksum, and a whole value is
 * read through that rule (deSteuerIdWhole) unless it starts with 0 or has a digit four times.
 */
export const ALONE_NEVER = 0;
/**
 * A check digit on ten or eleven digits (with a date or the issuer's structure, where the format has them) vouches for
 * a whole string value or a whole text: a string holding nothing but a number that passes an identifier's check is
 * that identifier far more often than a number that happens to pass, and masking it is the side to err on. By chance
 * 10.7% of random whole ten-digit strings and 12.0% of eleven-digit ones pass (0.5% and 2.8% by the ALONE_NUMBER
 * rules alone; bench/masking/whole-values.ts); bare phone numbers are among them and are masked too. JSON numbers and
 * prose are not affected.
 */
export const ALONE_STRING = 1;
/**
 * A birth date and a check digit stand alone even as a JSON number, where counts, sizes and record ids are far more
 * common than identifiers. By chance a random whole value passes:
 *   PL PESEL (11 digits): month % 20 in 1-12 (60 in 100) x a calendar day (~30 in 100) x check 1 in 10 = ~1.8%;
 *   EE/LT (11): sex/century 1-6 x month x day x modulus 11 = ~0.2%;
 *   SE personnummer (10): month 1-12 x day (or day + 60) x Luhn = ~0.7%.
 * Of random whole values (bench/masking/whole-values.ts), 2.8% of eleven-digit ones (0.4% by the Steuer-ID structure
 * and NO fodselsnummer alone) and 0.5% of ten-digit ones. SE 10-digit values starting with 1 read as Unix times
 * (2001-2033) first: see wholeValueExcluded.
 */
export const ALONE_NUMBER = 2;

const rule = (name: string, length: number, valid: (d: string) => boolean, shapes: readonly string[], strongShapes: readonly string[] = [], alone = ALONE_NEVER): DigitRule => ({
  name,
  length,
  valid,
  shapes: shapes.map(shapeKey),
  strongShapes: strongShapes.map(shapeKey),
  alone,
});

const STRING = ALONE_STRING;
const NUMBER = ALONE_NUMBER;
const BE_STRONG = ['2.2.2-3.2', '6-3.2'];

/** Most distinctive first: the first rule that validates names the finding. */
export const DIGIT_RULES: readonly DigitRule[] = [
  rule('FR NIR', 15, frNir, ['15', '1 2 2 2 3 3 2', '13 2'], ['15', '1 2 2 2 3 3 2', '13 2']),
  rule('CH AHV', 13, chAhv, ['13', '3.4.4.2', '3 4 4 2'], ['13', '3.4.4.2', '3 4 4 2']),
  rule('RO CNP', 13, roCnp, ['13'], ['13']),
  rule('SI EMSO', 13, siEmso, ['13']),
  // Century, date and Luhn: about one random twelve-digit number in a thousand passes.
  rule('SE personnummer', 12, sePersonnummer, ['12', '8-4'], ['12', '8-4']),
  rule('DE Steuer-ID', 11, deSteuerIdStructure, ['11', '2 3 3 3'], ['11', '2 3 3 3']),
  rule('DE Steuer-ID', 11, deSteuerIdWhole, ['11'], [], STRING),
  rule('DE Steuer-ID', 11, deSteuerIdChecksum, ['11', '2 3 3 3']),
  rule('NO fodselsnummer', 11, noFodselsnummer, ['11', '6 5'], ['11', '6 5']),
  rule('BE national number', 11, beNationalNumber, ['11', '2.2.2-3.2', '6-3-2', '6 3 2', '6-3.2'], BE_STRONG, STRING),
  rule('PL PESEL', 11, plPesel, ['11'], [], NUMBER),
  rule('EE/LT personal code', 11, eeLtPersonalCode, ['11'], [], NUMBER),
  rule('HR OIB', 11, hrOib, ['11']),
  rule('GR AMKA', 11, grAmka, ['11'], [], STRING),
  rule('SE personnummer', 10, sePersonnummer, ['10', '6-4'], ['6-4'], NUMBER),
  rule('CZ/SK birth number', 10, czSkBirthNumber, ['10', '6/4'], ['6/4'], STRING),
  // NHS numbers are printed "943 476 5919" (NHS Data Dictionary), US phone numbers with dashes or brackets.
  rule('UK NHS number', 10, ukNhsSpaced, ['3 3 4'], ['3 3 4']),
  rule('UK NHS number', 10, ukNhsDashed, ['3-3-4'], ['3-3-4']),
  // Grouped, a whole value is a phone number as often ("212-555-0105"): only the bare ten digits stand alone.
  rule('UK NHS number', 10, ukNhs, ['3 3 4', '3-3-4']),
  rule('UK NHS number', 10, ukNhs, ['10'], [], STRING),
  rule('AT SVNR', 10, atSvnr, ['10', '4 6'], [], STRING),
  rule('BG EGN', 10, bgEgn, ['10'], [], STRING),
  rule('IS kennitala', 10, isKennitala, ['10', '6-4'], [], STRING),
  rule('DK CPR', 10, dkCpr, ['10', '6-4']),
  rule('CZ/SK birth number', 9, czSkBirthNumber, ['6/3']),
  rule('NL BSN', 9, nlBsn, ['9', '4.2.3', '3 3 3', '3.3.3']),
  rule('PT NIF', 9, ptNif, ['9', '3 3 3']),
];

/** Rules by length, so a candidate only meets the validators for its number of digits. */
export const RULES_BY_LENGTH: readonly (readonly DigitRule[])[] = (() => {
  const t: DigitRule[][] = Array.from({ length: 17 }, () => []);
  for (const r of DIGIT_RULES) t[r.length]!.push(r);
  return t;
})();

/**
 * Rules by length and written shape, in DIGIT_RULES order: most digit groupings in text (a phone number's
 * "4 7", an order number's "8-4") belong to no rule of their length, and one lookup says so.
 */
export const RULES_BY_SHAPE: readonly ReadonlyMap<number, readonly DigitRule[]>[] = RULES_BY_LENGTH.map((rules) => {
  const byShape = new Map<number, DigitRule[]>();
  for (const r of rules) {
    for (const shape of r.shapes) {
      const list = byShape.get(shape);
      if (list === undefined) byShape.set(shape, [r]);
      else if (!list.includes(r)) list.push(r);
    }
  }
  return byShape;
});

/**
 * Whole values a rule must not claim without a cue: ten digits from 1000000000 on are Unix times in seconds
 * (September 2001 to May 2033), the commonest ten-digit number in JSON; as a personnummer they would be people
 * born 1910-1919 or 2010-2019, still found after a cue word ("personnummer 1501012387") or in the 12-digit form.
 */
export function wholeValueExcluded(d: string): boolean {
  return d.length === 10 && d.charCodeAt(0) === 49;
}
