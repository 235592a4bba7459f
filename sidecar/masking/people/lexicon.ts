// The names lexicon (names.txt beside this file): words with role bits, read once, on first
// use, into a hash table looked up by the word's char codes where it stands in the text, so
// the scanner rejects a capitalised word ("The", "Release", "Berlin") without making a
// string: that is the common case and it must stay cheap. About 3,000 words, 16K slots.
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
/** A birth word ("born", "geboren", "née", "d.o.b") and a small word that may follow it ("on", "am"). */
export const R_BIRTH = 512;
export const R_BIRTH_LINK = 1024;
/** A lower-case word that starts a street after the house number ("rue", "avenue"). */
export const R_STREET_LEAD = 2048;
/** A word that starts a street name before the house number ("Calle", "Via", "ul.", "Rue"). */
export const R_STREET_PREFIX = 4096;

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
  Y: R_BIRTH,
  L: R_BIRTH_LINK,
  R: R_STREET_LEAD,
  W: R_STREET_PREFIX,
};

// Lower-case of each UTF-16 code unit, cached per unit (0 = not computed yet).
const lowerCache = new Uint16Array(65536);

export function lowerCode(c: number): number {
  if (c < 128) return c >= 65 && c <= 90 ? c | 32 : c;
  let v = lowerCache[c]!;
  if (v === 0) {
    const l = String.fromCharCode(c).toLowerCase();
    v = l.length === 1 ? l.charCodeAt(0) : c;
    lowerCache[c] = v;
  }
  return v;
}

// A hash loop starts from `FNV_OFFSET | 0`: an exported constant is read from its module cell as
// an untyped value, and 0x811c9dc5 is no small integer, so without the `| 0` the hash is kept
// as a boxed number and every step of the loop allocates one (~100 instructions a character).
export const FNV_OFFSET = 0x811c9dc5;
export const FNV_PRIME = 16777619;
/** The bits of a hash that rolesHashed uses and that stay a small integer (unboxed) between calls. */
export const HASH_BITS = 0x3fffffff;

/** FNV-1a over the lower-cased code units of s[a, b), its low 30 bits. */
export function wordHash(s: string, a: number, b: number): number {
  let h = FNV_OFFSET | 0;
  for (let k = a; k < b; k++) h = Math.imul(h ^ lowerCode(s.charCodeAt(k)), FNV_PRIME);
  return h & HASH_BITS;
}

// Open addressing on the word's hash: slots hold the lower-cased word and its roles, so a
// lookup compares char codes where the word stands and makes no string.
const TABLE_BITS = 14;
const TABLE_MASK = (1 << TABLE_BITS) - 1;

interface Lexicon {
  readonly words: (string | undefined)[];
  readonly roles: Uint16Array;
  /** Per (last letter, length): bit (first letter & 31) set when a birth word or birth link has the three (a cheap first test). */
  readonly birthShapes: Uint32Array;
  /** Bits per (first, second, last letter, length) of the words a capital can start (see mayBeCapitalWord). */
  readonly capitalShapes: Uint32Array;
  /** Word count, for tests. */
  readonly size: number;
}

let lexicon: Lexicon | undefined;

/** Parses the lexicon text (exported for tests of the format). */
export function parseLexicon(text: string): Lexicon {
  const byWord = new Map<string, number>();
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
        byWord.set(w, (byWord.get(w) ?? 0) | r);
      }
    }
  }
  if (byWord.size > TABLE_MASK / 2) throw new Error(`names lexicon: ${byWord.size} words do not fit the table`);
  const words: (string | undefined)[] = new Array<string | undefined>(TABLE_MASK + 1).fill(undefined);
  const roles = new Uint16Array(TABLE_MASK + 1);
  for (const [w, r] of byWord) {
    let slot = wordHash(w, 0, w.length) & TABLE_MASK;
    while (words[slot] !== undefined) slot = (slot + 1) & TABLE_MASK;
    words[slot] = w;
    roles[slot] = r;
  }
  const birthShapes = new Uint32Array(256 * 16);
  for (const [w, r] of byWord) {
    if ((r & (R_BIRTH | R_BIRTH_LINK)) !== 0) birthShapes[birthShape(lowerCode(w.charCodeAt(w.length - 1)), w.length)]! |= 1 << (lowerCode(w.charCodeAt(0)) & 31);
  }
  const capitalShapes = new Uint32Array((26 * 26 * 26 * 32) / 32);
  for (const [w, r] of byWord) {
    if ((r & (R_GIVEN | R_SURNAME | R_TITLE | R_SALUTATION | R_MONTH)) === 0) continue;
    const shape = capitalShape(w, 0, w.length);
    if (shape >= 0) capitalShapes[shape >>> 5]! |= 1 << (shape & 31);
  }
  return { words, roles, birthShapes, capitalShapes, size: byWord.size };
}

/** (first, second, last letter, length) of s[a, b) as a bit index, or -1 when one of those letters is not a-z. */
function capitalShape(s: string, a: number, b: number): number {
  const len = b - a;
  if (len < 2) return -1;
  const c0 = (s.charCodeAt(a) | 32) - 97;
  const c1 = (s.charCodeAt(a + 1) | 32) - 97;
  const cl = (s.charCodeAt(b - 1) | 32) - 97;
  if (c0 < 0 || c0 > 25 || c1 < 0 || c1 > 25 || cl < 0 || cl > 25) return -1;
  return ((c0 * 26 + c1) * 26 + cl) * 32 + (len > 31 ? 31 : len);
}

/**
 * False when no name, title, salutation or month has the first two letters, last letter and
 * length of the ASCII word s[a, b): most capitalised words ("Release", "Checksum") end here
 * without a hash or a table probe. True (ask rolesOf) for any word outside that shape.
 */
export function mayBeCapitalWord(s: string, a: number, b: number): boolean {
  const shape = capitalShape(s, a, b);
  return shape < 0 || (load().capitalShapes[shape >>> 5]! & (1 << (shape & 31))) !== 0;
}

function load(): Lexicon {
  lexicon ??= parseLexicon(readFileSync(new URL('./names.txt', import.meta.url), 'utf8'));
  return lexicon;
}

/** Role bits of the word s[a, b) (any case), or 0. */
export function rolesOf(s: string, a: number, b: number): number {
  return rolesHashed(s, a, b, wordHash(s, a, b));
}

/** rolesOf with the word's hash already computed (see wordHash). */
export function rolesHashed(s: string, a: number, b: number, hash: number): number {
  const { words, roles } = load();
  const len = b - a;
  for (let slot = hash & TABLE_MASK; ; slot = (slot + 1) & TABLE_MASK) {
    const w = words[slot];
    if (w === undefined) return 0;
    if (w.length !== len) continue;
    let k = 0;
    while (k < len && lowerCode(s.charCodeAt(a + k)) === w.charCodeAt(k)) k++;
    if (k === len) return roles[slot]!;
  }
}

function birthShape(lastLower: number, len: number): number {
  return ((lastLower & 0xff) << 4) | (len > 15 ? 15 : len);
}

/**
 * False when no birth word or birth link has the first letter (by its low five bits), the last
 * letter and the length of s[a, b): "sent", "Called" end here without a hash.
 */
export function mayBeBirthWord(s: string, a: number, b: number): boolean {
  if (b <= a) return false;
  return ((load().birthShapes[birthShape(lowerCode(s.charCodeAt(b - 1)), b - a)]! >>> (lowerCode(s.charCodeAt(a)) & 31)) & 1) !== 0;
}

/** Role bits of a whole word. */
export function rolesOfWord(word: string): number {
  return rolesOf(word, 0, word.length);
}
