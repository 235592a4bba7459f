// ADDRESS in prose, found at a house number (a run of 1-4 digits, maybe a letter: "5", "221B",
// "12a"). It is an address when a street stands around it:
//
// - before it, a street name: a word ending in a street word ("Hauptstraße 5", "Kerkstraat 12",
//   "Storgatan 1", "Vesterbrogade 3", "Mannerheimintie 5") or a street word and its name
//   ("Calle Mayor 10", "Via Roma 1", "ul. Marszałkowska 1", "Rua Augusta 100");
// - after it, the street: "221B Baker Street", "10 Downing Street", "12 rue de la Paix".
//
// The postcode and town that follow in the shape of a European country's postcodes are part of
// the address ("…, 10115 Berlin", "…, 1017 GC Amsterdam", "…, 00-001 Warszawa", "…, 111 22
// Stockholm", "…, London NW1 6XE"). A postcode or town on its own is not an address: "10115"
// is as likely an order number, and a place named as a place is not personal data.
import { K_ADDRESS_TEXT, type Hits } from '../hits.ts';
import { lowerCode, R_PARTICLE, R_STREET_PREFIX, rolesOf } from './lexicon.ts';
import { isLetterCode, isUpperLetter } from './words.ts';

const L = "[\\p{L}'’.-]";
const cap = (words: string): string => words.split(' ').map((w) => `[${w[0]!.toUpperCase()}${w[0]}]${w.slice(1).replace(/\./gu, '\\.')}`).join('|');

const STREET_SUFFIX =
  'straße|strasse|str\\.|weg|gasse|platz|allee|damm|ufer|steig|chaussee|markt|straat|laan|gracht|plein|kade|singel|dijk|steeg|' +
  'gatan|vägen|gata|väg|gränd|torg|gade|vej|allé|plads|torv|gate|gaten|veien|vei|plassen|katu|tie|kuja|polku|väylä|utca';
const PREFIX_WORDS = cap('calle c/ avenida avda. av. paseo plaza camino carrer rua travessa via viale piazza piazzale corso largo vicolo ul. ulica al. aleja plac os. rue avenue boulevard bd chemin place quai impasse allée route');
const LINKS = "de|del|de la|di|della|delle|dei|des|du|la|le|les|do|da|dos|das|d'|l'";

// A street word standing after the name ("Mariahilfer Straße", "Karl Johans gate"); the
// Nordic ones only in lower case, as they are written ("Departure Gate 5" is no street).
const STREET_WORDS = `${cap('straße strasse str. weg gasse platz allee')}|gate|gata|gatan|vei|veien|vej|gade|allé|laan`;

// The street name ending right before the house number's space (the regex runs on a window).
const STREET_BEFORE = new RegExp(
  `(?:(?<!\\p{L})\\p{Lu}\\p{L}{2,}(?:${STREET_SUFFIX})|(?<![\\p{L}.])(?:${PREFIX_WORDS})(?:\\s+(?:${LINKS}))*(?:\\s+\\p{Lu}${L}*){1,3}` +
    `|(?<!\\p{L})\\p{Lu}${L}+(?:\\s+\\p{Lu}${L}+){0,2}\\s+(?:${STREET_WORDS}))\\s$`,
  'u',
);

// Street words a street name ends with ("Hauptstraße", "Karl Johans gate"), compared from the
// end of the word before the house number, in lower case.
const STREET_ENDS = (STREET_SUFFIX.replace(/\\/gu, '') + '|gate|gata|gatan|vei|veien|vej|gade|allé|laan').split('|');

// Street words by their last two letters (lower case, hashed into a small table): a word is
// compared only with the few that end like it. Most words before a number ("score", "Storage",
// "via") end here after reading two characters. Filled up front so it stays a packed array.
const END_SLOTS = 1024;
const endSlot = (last: number, prev: number): number => ((last & 0xff) * 37 + (prev & 0xff)) & (END_SLOTS - 1);
const BY_END: (string[] | undefined)[] = Array.from({ length: END_SLOTS }, () => undefined);
for (const end of STREET_ENDS) (BY_END[endSlot(end.charCodeAt(end.length - 1), end.charCodeAt(end.length - 2))] ??= []).push(end);
// The shortest street word ("weg", "vej", "tie"): a shorter word ends none.
const MIN_END = Math.min(...STREET_ENDS.map((end) => end.length));

function endsWithStreetWord(s: string, b: number, e: number): boolean {
  if (e - b < MIN_END) return false;
  const ends = BY_END[endSlot(lowerCode(s.charCodeAt(e - 1)), lowerCode(s.charCodeAt(e - 2)))];
  if (ends === undefined) return false;
  for (const end of ends) {
    const len = end.length;
    if (e - b < len) continue;
    let k = 0;
    while (k < len && lowerCode(s.charCodeAt(e - len + k)) === end.charCodeAt(k)) k++;
    if (k === len) return true;
  }
  return false;
}

/**
 * Whether a street name can end right before the house number at i: the word before it ends
 * in a street word, or one of the three words before it is a street word that leads ("Calle
 * Mayor 10"). A cheap test on a few words, so the exact regular expression runs rarely.
 */
function streetWordBefore(s: string, i: number): boolean {
  let j = i - 1;
  const stop = Math.max(0, i - 48);
  for (let words = 0; words < 4 && j > stop; words++) {
    let b = j;
    while (b > stop) {
      const c = s.charCodeAt(b - 1);
      if (!isLetterCode(c) && c !== 46 && c !== 47) break;
      b--;
    }
    if (b === j) return false;
    if (words === 0) {
      if (endsWithStreetWord(s, b, j)) return true;
      // A street's name ends with a capital word ("Calle Mayor", "Via Roma"); "items 1" does not.
      if (!isUpperLetter(s.charCodeAt(b))) return false;
    } else {
      if (j - b <= 9 && (rolesOf(s, b, j) & R_STREET_PREFIX) !== 0) return true;
      if (!isUpperLetter(s.charCodeAt(b)) && (rolesOf(s, b, j) & R_PARTICLE) === 0) return false;
    }
    if (b === 0 || s.charCodeAt(b - 1) !== 32) return false;
    j = b - 1;
  }
  return false;
}

const HOUSE_NUMBER = /\d{1,4}[A-Za-z]?(?:[-/]\d{1,4}[A-Za-z]?)?(?![\p{L}\p{N}])/uy;

// The street after the house number.
const STREET_AFTER = new RegExp(
  `,?\\s+(?:(?:${cap('rue avenue av. boulevard bd place allée chemin impasse quai cours route')})(?:\\s+(?:${LINKS}))*\\s+(?:d'|l'|d’|l’)?\\p{Lu}${L}+(?:\\s+\\p{Lu}${L}+){0,2}` +
    `|(?:\\p{Lu}${L}+\\s+){1,3}(?:Street|St\\.?|Road|Rd\\.?|Avenue|Ave\\.?|Lane|Ln\\.?|Drive|Close|Way|Place|Square|Crescent|Terrace|Court|Gardens|Row|Grove|Mews|Walk|Parade|Boulevard|Blvd\\.?|Highway|Hwy))(?![\\p{L}])`,
  'uy',
);

// Postcode and town after the street: DE/FR/IT/ES/FI 5 digits (with an old "D-" country
// prefix), AT/CH/BE/DK/NO/LU/HU 4, NL 4+2 letters, PL 00-000, PT 0000-000, SE/CZ/SK/GR 000 00,
// UK/IE outward+inward codes; then the town, or (UK) the town first and the postcode after.
const UK = '[A-Z]{1,2}\\d[A-Z\\d]?\\s?\\d[A-Z]{2}';
const TOWN = "\\p{Lu}[\\p{L}'’]+(?:[\\s-]\\p{Lu}[\\p{L}'’]+){0,2}";
const POSTCODE_TOWN = new RegExp(
  `(?:,\\s*|\\s+)(?:(?:(?:[A-Z]{1,3}-)?\\d{5}|\\d{4}(?:\\s?[A-Z]{2}(?![\\p{L}]))?|\\d{2}-\\d{3}|\\d{3}\\s\\d{2}|\\d{4}-\\d{3}|${UK})\\s+${TOWN}(?:\\s+[A-Z](?![\\p{L}]))?|${TOWN},?\\s+${UK})(?![\\p{L}\\p{N}])`,
  'uy',
);

function extend(s: string, end: number): number {
  POSTCODE_TOWN.lastIndex = end;
  return POSTCODE_TOWN.test(s) ? POSTCODE_TOWN.lastIndex : end;
}

/**
 * `i` starts a run of digits that starts a token; `before` says a word and a space stand before
 * it, `after` that a street may follow it (the caller's cheap tests). Adds the address it is
 * the house number of and returns its end, or -1.
 */
export function detectAddress(s: string, i: number, hits: Hits, before: boolean, after: boolean): number {
  // Street first: the word before the number ends a street's name.
  const streetBefore = before && i >= 4 && streetWordBefore(s, i);
  if (!streetBefore && !after) return -1;
  HOUSE_NUMBER.lastIndex = i;
  if (!HOUSE_NUMBER.test(s)) return -1;
  const numEnd = HOUSE_NUMBER.lastIndex;
  if (streetBefore) {
    const from = Math.max(0, i - 48);
    const m = STREET_BEFORE.exec(s.slice(from, i));
    if (m !== null) {
      const end = extend(s, numEnd);
      hits.add(K_ADDRESS_TEXT, from + m.index, end);
      return end;
    }
  }
  if (!after) return -1;
  STREET_AFTER.lastIndex = numEnd;
  if (STREET_AFTER.test(s)) {
    const end = extend(s, STREET_AFTER.lastIndex);
    hits.add(K_ADDRESS_TEXT, i, end);
    return end;
  }
  return -1;
}
