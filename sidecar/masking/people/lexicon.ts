// The names lexicon (names.txt beside this file): words with role bits, read once, on first
// use, into one Map. A bit set indexed by a hash of the lower-cased word sits in front of it,
// so the scanner can reject a capitalised word ("The", "Release", "Berlin") from its char
// codes alone, without making a string: that is the common case and it must stay cheap.
import { readFileSync } from 'node:fs';

export const R_GIVEN = 1;
export const R_SURNAME = 2;
/** Also an everyday word or a place ("May", "Paris", "Will"): a name only with a surname or a cue. */
export const R_AMBIGUOUS = 4;
export const R_TITLE = 8;
export const R_SALUTATION = 16;
export const R_PARTICLE = 32;
/** Never part of a name: company forms, institutions, weekdays, headings' words. */
export const R_STOP = 64;
export const R_MONTH = 128;
/** A company or institution word: the name right before it is an organisation's. */
export const R_ORG = 256;

const ROLE_LETTERS: Readonly<Record<string, number>> = {
  G: R_GIVEN,
  S: R_SURNAME,
  A: R_GIVEN | R_AMBIGUOUS,
  B: R_SURNAME | R_AMBIGUOUS,
  T: R_TITLE,
  H: R_SALUTATION,
  P: R_PARTICLE,
  X: R_STOP,
  M: R_MONTH,
  C: R_STOP | R_ORG,
};

const GATE_BITS = 18;
const GATE_SHIFT = 32 - GATE_BITS;

// Lower-case of each UTF-16 code unit, cached per unit (0 = not computed yet).
const lowerCache = new Uint16Array(65536);

export function lowerCode(c: number): number {
  if (c < 128) return c >= 65 && c <= 90 ? c + 32 : c;
  let v = lowerCache[c]!;
  if (v === 0) {
    const l = String.fromCharCode(c).toLowerCase();
    v = l.length === 1 ? l.charCodeAt(0) : c;
    lowerCache[c] = v;
  }
  return v;
}

/** FNV-1a over the lower-cased code units of s[a, b). */
export function wordHash(s: string, a: number, b: number): number {
  let h = 0x811c9dc5;
  for (let k = a; k < b; k++) h = Math.imul(h ^ lowerCode(s.charCodeAt(k)), 16777619);
  return h >>> 0;
}

interface Lexicon {
  readonly roles: Map<string, number>;
  readonly gate: Uint32Array;
}

let lexicon: Lexicon | undefined;

/** Parses the lexicon text (exported for tests of the format). */
export function parseLexicon(text: string): Lexicon {
  const roles = new Map<string, number>();
  const gate = new Uint32Array(1 << (GATE_BITS - 5));
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const tab = line.indexOf('\t');
    const role = ROLE_LETTERS[line.slice(0, tab)];
    if (tab < 0 || role === undefined) throw new Error(`names lexicon: bad line ${JSON.stringify(line.slice(0, 40))}`);
    for (const raw of line.slice(tab + 1).split(' ')) {
      if (raw === '') continue;
      // "van-dijk" stands for "van Dijk": the scanner sees the parts, the last one a surname and
      // the others particles. "lars-erik" is two given names.
      const parts = raw.split('-');
      for (let p = 0; p < parts.length; p++) {
        const w = parts[p]!;
        const r = role === R_SURNAME && p < parts.length - 1 ? R_PARTICLE : role;
        roles.set(w, (roles.get(w) ?? 0) | r);
        const h = wordHash(w, 0, w.length) >>> GATE_SHIFT;
        gate[h >>> 5]! |= 1 << (h & 31);
      }
    }
  }
  return { roles, gate };
}

function load(): Lexicon {
  lexicon ??= parseLexicon(readFileSync(new URL('./names.txt', import.meta.url), 'utf8'));
  return lexicon;
}

/** Role bits of the word s[a, b) (any case), or 0. */
export function rolesOf(s: string, a: number, b: number): number {
  const lex = load();
  const h = wordHash(s, a, b) >>> GATE_SHIFT;
  if ((lex.gate[h >>> 5]! & (1 << (h & 31))) === 0) return 0;
  return lex.roles.get(s.slice(a, b).toLowerCase()) ?? 0;
}

/** Role bits of a whole word. */
export function rolesOfWord(word: string): number {
  return rolesOf(word, 0, word.length);
}
