// Shortcuts for the string values of one JSON text, valid for one masking call and emptied at
// its end, so no value (nor, through a substring view, the payload) outlives the call.
//
// - CleanValues: tool results repeat enum-like values record after record ("active",
//   "Pro plan", "Vienna"). Masking a string is a pure function of its characters and the hints
//   of its key, so a value that came back unchanged under the same hints will again. Only short
//   values are kept: V8 copies substrings under 13 characters, which makes them cheap to
//   compare, while longer ones are views whose comparison costs about what a scan of an id or
//   a date does, and those (the unique values) are most of the long ones. (Parsed values, in
//   json.ts, gain nothing from it: measured, the lookups cost what the repeats save.)
// - EscapeCursor: the next '%' and '&' in a document's text, so whether a value's span holds
//   either (only then can it hide percent-encoding or an HTML reference) is two comparisons
//   instead of two searches of the value.

/** Longest value kept: substrings of 13+ characters are views into the text (see chars.ts, detached). */
export const MEMO_MAX_LENGTH = 12;
const SLOTS = 256;

/** Short values known to mask to themselves under given key hints; one per slot, the last seen wins. */
export class CleanValues {
  readonly #values: (string | undefined)[] = new Array<string | undefined>(SLOTS).fill(undefined);
  readonly #hints = new Int32Array(SLOTS).fill(-1);
  #used = false;

  /** The slot `s` under `hints` would be kept in, or -1 when it is empty or too long to keep. */
  slotOf(s: string, hints: number): number {
    const n = s.length;
    if (n === 0 || n > MEMO_MAX_LENGTH) return -1;
    // Length, hints and three characters tell values apart well enough; a collision only costs
    // the lookup, as the stored string is compared whole.
    return (n * 31 + hints * 17 + s.charCodeAt(0) * 7 + s.charCodeAt(n >> 1) * 3 + s.charCodeAt(n - 1)) & (SLOTS - 1);
  }

  /** Whether `s` (in `slot`) is known to mask to itself under `hints`. */
  has(slot: number, s: string, hints: number): boolean {
    return this.#hints[slot] === hints && this.#values[slot] === s;
  }

  add(slot: number, s: string, hints: number): void {
    this.#values[slot] = s;
    this.#hints[slot] = hints;
    this.#used = true;
  }

  clear(): void {
    if (!this.#used) return;
    this.#values.fill(undefined);
    this.#hints.fill(-1);
    this.#used = false;
  }
}

/** Past any position in a string (V8 strings are shorter than 2^29), and still a small integer. */
const NONE = 2 ** 30 - 1;

/** Where the next '%' and '&' are in the text of the document being read. */
export class EscapeCursor {
  // The document (any object standing for one text read front to back) the positions are in.
  #owner: object | undefined;
  #percent = -1;
  #ampersand = -1;

  /**
   * Whether text[a, b) holds a '%' or '&'. Spans of one owner must come in increasing order of
   * `a`, as a document's tokens do; a new owner starts over.
   */
  mayBeEncoded(owner: object, text: string, a: number, b: number): boolean {
    if (owner !== this.#owner) {
      this.#owner = owner;
      this.#percent = -1;
      this.#ampersand = -1;
    }
    // A position before `a` is stale; one at or after it is still the next one, as nothing
    // lies between the `a` it was searched from and itself.
    if (this.#percent < a) this.#percent = nextAt(text, '%', a);
    if (this.#ampersand < a) this.#ampersand = nextAt(text, '&', a);
    return this.#percent < b || this.#ampersand < b;
  }

  clear(): void {
    this.#owner = undefined;
  }
}

function nextAt(text: string, c: string, a: number): number {
  const i = text.indexOf(c, a);
  return i < 0 ? NONE : i;
}
