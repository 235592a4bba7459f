// PERSON in prose, found at a capitalised word (the scanner calls detectPerson there only when
// the lexicon's bit set lets the word through). What makes it a name:
//
// - a title right before it: "Herr Müller", "Mme Dubois", "Dear Ms Jensen", "Frau Dr. Weber";
//   the name is what follows the title(s), one to three capitalised words;
// - a salutation and a known name: "Dear Anna", "Hej Lars", "Liebe Frau Schmidt";
// - a known given name and a surname: "Lars Jensen", "Jane A. Doe", "Anna van der Berg", where
//   the surname is any capitalised word that is not a stop word. A given name that is also an
//   everyday word or place ("May", "Paris", "Will") needs a known surname;
// - a known surname, a comma and a given name: "Jensen, Lars";
// - a known name alone after a cue: "signed Anna", "assigned to Jensen".
//
// A name right before a company or institution word is not a person ("Georg Fischer AG",
// "Anna Schmidt Stiftung"). Words glued to code (obj.Name, Name(), Name_x, @Name) never are.
import { K_PERSON_CUE, K_PERSON_LEXICON, type Hits } from '../hits.ts';
import { R_AMBIGUOUS, R_GIVEN, R_MONTH, R_ORG, R_PARTICLE, R_SALUTATION, R_STOP, R_SURNAME, R_TITLE, rolesOf } from './lexicon.ts';
import { endsFree, isLetterCode, isLowerLetter, isUpperLetter, letterWordEnd, nameCased, nextWordStart, startsFree } from './words.ts';

const CUE_BEFORE = new RegExp(
  '(?:^|[^\\p{L}])(?:signed|signed by|signed off by|assigned to|assignee|attn|c/o|contact|contact person|owner|' +
    'requested by|reported by|approved by|reviewed by|created by|submitted by|written by|by|from|cc|to|with|' +
    'regards|thanks|cheers|best|gez\\.?|gezeichnet|unterzeichnet von|zugewiesen an|ansprechpartner(?:in)?|kontakt|' +
    'signé par|assigné à|assignée à|firmado por|asignado a|firmato da|assegnato a|getekend door|toegewezen aan|' +
    'podpisa(?:ł|l|ła|la|no)|przypisan[oay] do|underskrevet af|tildelt|undertecknad av|tilldelad|allekirjoittanut)' +
    '[\\s:,.-]*$',
  'u',
);

/** Whether a cue word stands right before i ("assigned to ", "signed: "). */
export function cueBefore(s: string, i: number): boolean {
  if (i < 2) return false;
  return CUE_BEFORE.test(s.slice(Math.max(0, i - 28), i).toLowerCase());
}

/** A single capital and a dot ("A."), as a middle initial. */
function initialEnd(s: string, j: number): number {
  return isUpperLetter(s.charCodeAt(j)) && s.charCodeAt(j + 1) === 46 && !isUpperLetter(s.charCodeAt(j + 2)) ? j + 2 : -1;
}

// The surname part after a given name or a title: filled by readSurnames.
let lastRoles = 0;
let stoppedAtOrg = false;

/**
 * Reads up to `max` name words from j (particles "van der", initials "A.", capitalised words
 * that are not stop words); returns the end of the last capitalised one, or -1.
 */
function readSurnames(s: string, j: number, max: number): number {
  let end = -1;
  let words = 0;
  lastRoles = 0;
  stoppedAtOrg = false;
  // The roles of the word at j when the loop stops there (-1: not looked up yet).
  let stopRoles = -1;
  while (j >= 0 && words < max) {
    const init = initialEnd(s, j);
    if (init > 0) {
      j = nextWordStart(s, init);
      continue;
    }
    const e = letterWordEnd(s, j);
    const roles = rolesOf(s, j, e);
    stopRoles = roles;
    if (isLowerLetter(s.charCodeAt(j))) {
      if ((roles & R_PARTICLE) === 0 || e - j > 4) break;
      j = nextWordStart(s, e);
      stopRoles = -1;
      continue;
    }
    if (!nameCased(s, j, e) || (roles & (R_STOP | R_TITLE | R_SALUTATION | R_MONTH)) !== 0) {
      stoppedAtOrg = (roles & R_ORG) !== 0;
      break;
    }
    if (!endsFree(s, e) && s.charCodeAt(e) !== 46 && s.charCodeAt(e) !== 44) break;
    end = e;
    lastRoles = roles;
    words++;
    j = nextWordStart(s, e);
    stopRoles = -1;
  }
  if (end > 0 && !stoppedAtOrg && j >= 0) {
    // "Georg Fischer AG": an organisation word may follow the name's last word directly.
    const roles = stopRoles >= 0 ? stopRoles : rolesOf(s, j, letterWordEnd(s, j));
    stoppedAtOrg = (roles & R_ORG) !== 0;
  }
  return stoppedAtOrg || end < 0 || !endsFree(s, end) ? -1 : end;
}

/** The start of a capitalised word that is not in the lexicon, one space before i; or -1. */
function givenBefore(s: string, i: number): number {
  if (i < 3 || s.charCodeAt(i - 1) !== 32) return -1;
  let b = i - 1;
  while (b > 0 && isLetterCode(s.charCodeAt(b - 1))) b--;
  if (b === i - 1 || !startsFree(s, b) || !nameCased(s, b, i - 1)) return -1;
  return rolesOf(s, b, i - 1) === 0 ? b : -1;
}

/** After a title at [i, e): optional '.', more titles, then the name. */
function afterTitle(s: string, e: number, hits: Hits): number {
  let j = e;
  for (let titles = 0; titles < 3; titles++) {
    if (s.charCodeAt(j) === 46) j++;
    j = nextWordStart(s, j);
    if (j < 0) return -1;
    const we = letterWordEnd(s, j);
    if ((rolesOf(s, j, we) & R_TITLE) === 0) break;
    j = we;
  }
  const end = readSurnames(s, j, 3);
  if (end < 0) return -1;
  hits.add(K_PERSON_CUE, j, end);
  return end;
}

/**
 * `i` starts the capitalised word s[i, e) with lexicon `roles`, nothing glued before it. Adds
 * a PERSON starting at or after i and returns its end; -1 when there is none.
 */
export function detectPerson(s: string, i: number, e: number, roles: number, hits: Hits): number {
  if ((roles & R_TITLE) !== 0) {
    // "Dr" also closes street names ("Main Dr"), "M" only counts as "M." before a name.
    if (e - i === 1 && s.charCodeAt(e) !== 46) return -1;
    return afterTitle(s, e, hits);
  }
  if (!nameCased(s, i, e) && e - i > 1) return -1;
  if ((roles & R_SALUTATION) !== 0) {
    const j = nextWordStart(s, e);
    if (j < 0) return -1;
    const we = letterWordEnd(s, j);
    const next = rolesOf(s, j, we);
    if ((next & R_TITLE) !== 0) return afterTitle(s, we, hits);
    if ((next & (R_GIVEN | R_SURNAME)) === 0 || (next & R_STOP) !== 0 || !nameCased(s, j, we)) return -1;
    const sur = readSurnames(s, nextWordStart(s, we), 2);
    const end = sur > 0 ? sur : endsFree(s, we) ? we : -1;
    if (end < 0) return -1;
    hits.add(K_PERSON_CUE, j, end);
    return end;
  }
  if (!endsFree(s, e) && s.charCodeAt(e) !== 44 && s.charCodeAt(e) !== 46) return -1;
  if ((roles & R_GIVEN) !== 0 && (roles & R_STOP) === 0) {
    const sur = readSurnames(s, nextWordStart(s, e), 3);
    if (sur > 0) {
      if ((roles & R_AMBIGUOUS) !== 0 && (lastRoles & R_SURNAME) === 0 && !cueBefore(s, i)) return -1;
      hits.add(K_PERSON_LEXICON, i, sur);
      return sur;
    }
    if (stoppedAtOrg || (roles & R_AMBIGUOUS) !== 0 || !endsFree(s, e) || !cueBefore(s, i)) return -1;
    hits.add(K_PERSON_CUE, i, e);
    return e;
  }
  if ((roles & R_SURNAME) !== 0 && (roles & R_STOP) === 0) {
    // "Rupert Doe": an unknown capitalised word right before a known surname is a given name.
    const b = (roles & R_AMBIGUOUS) === 0 && endsFree(s, e) ? givenBefore(s, i) : -1;
    if (b >= 0) {
      hits.add(K_PERSON_LEXICON, b, e);
      return e;
    }
    // "Jensen, Lars"
    const j = nextWordStart(s, e, true);
    if (j > 0) {
      const we = letterWordEnd(s, j);
      const next = rolesOf(s, j, we);
      if ((next & R_GIVEN) !== 0 && (next & (R_AMBIGUOUS | R_STOP)) === 0 && nameCased(s, j, we) && endsFree(s, we)) {
        hits.add(K_PERSON_LEXICON, i, we);
        return we;
      }
    }
    if (!endsFree(s, e) || !cueBefore(s, i)) return -1;
    hits.add(K_PERSON_CUE, i, e);
    return e;
  }
  return -1;
}
