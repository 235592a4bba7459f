// The JSON text tokenizer that json-text.ts masks with: a strict reader of JSON (RFC 8259) that
// works on the text where it stands, without building values. It reads a document at level 0
// (plain JSON text) or at level 1 (JSON text encoded inside a JSON string literal, in its
// escaped form: quotes are \" and newlines \n), finds each token's span, decodes a string
// token only when it has escapes, and hashes keys on the way. On anything that is not JSON it
// throws FAIL (a SyntaxFailure), and the masker gives up on the text as JSON.
//
// It knows nothing about masking: what to do with each token is json-text.ts's job.

/** Thrown (always as FAIL) where the text stops being JSON. */
export class SyntaxFailure extends Error {}
export const FAIL = new SyntaxFailure('not JSON');

/** Past any position in a string (V8 strings are shorter than 2^29), and still a small integer (below 2^30). */
const NONE = 2 ** 30 - 1;

export function isDigitCode(c: number): boolean {
  return c >= 48 && c <= 57;
}

/**
 * One document in text[from, ...). Level 0: plain JSON text. Level 1: JSON text encoded inside
 * a JSON string literal, read in its encoded form.
 */
export class Doc {
  readonly text: string;
  /** text.length: a document runs to the end of its text (the walk reads past it as NaN, never a token). */
  readonly to: number;
  readonly level: number;
  /**
   * Level 1 documents read straight from a string token whose end is not known yet: the
   * document must end right before an unescaped '"' (the string's closing quote), and `end`
   * is set to the position after it.
   */
  readonly endsAtQuote: boolean;
  end = -1;
  /** The decoded value of the last string token read (for a key: only when `escaped`). */
  value = '';
  /** Where the last string token's content (between its quotes) is in `text`. */
  contentStart = 0;
  contentEnd = 0;
  /** keyHash() of the last key read without escapes. */
  keyHash = 0;
  /** Whether the last string token had escapes (so its raw span is not its value). */
  escaped = false;
  // Where the next backslash is (NONE: no more in the text); a small integer, never Infinity, so
  // the field stays a small-integer field that V8 reads and writes without a heap-number box.
  #backslash = -1;

  constructor(text: string, level: number, endsAtQuote = false) {
    this.text = text;
    this.to = text.length;
    this.level = level;
    this.endsAtQuote = endsAtQuote;
  }

  /**
   * Position after whitespace at i. The common case, a token right at i, is decided from its
   * first character without the loop (and the call, where the caller inlines this).
   */
  skip(i: number): number {
    const c = this.text.charCodeAt(i);
    if (this.level === 0 ? c > 32 : c !== 32 && (c !== 92 || this.text.charCodeAt(i + 1) === 34)) return i;
    return this.ws(i);
  }

  /** Position after whitespace at i. */
  ws(i: number): number {
    const { text, to } = this;
    if (this.level === 0) {
      while (i < to) {
        const c = text.charCodeAt(i);
        if (c !== 32 && c !== 10 && c !== 13 && c !== 9) break;
        i++;
      }
      return i;
    }
    while (i < to) {
      const c = text.charCodeAt(i);
      if (c === 32) i++;
      else if (c === 92) {
        const d = text.charCodeAt(i + 1);
        if (d !== 110 && d !== 114 && d !== 116) break;
        i += 2;
      } else break;
    }
    return i;
  }

  /** Whether a string token starts at i. */
  quoteAt(i: number): boolean {
    return this.level === 0 ? this.text.charCodeAt(i) === 34 : this.text.charCodeAt(i) === 92 && this.text.charCodeAt(i + 1) === 34;
  }

  /**
   * Reads the string token at i: sets escaped, the content span and (for values, or for keys
   * with escapes) value. Returns the position after the token.
   */
  readString(i: number, isKey = false): number {
    const { text, level } = this;
    const contentStart = i + (level === 0 ? 1 : 2);
    let j = text.indexOf('"', contentStart);
    if (j < 0 || j >= this.to) throw FAIL;
    // The usual first quote closes the token: unescaped at level 0, the encoded \" at level 1.
    const before = text.charCodeAt(j - 1);
    if (level === 0 ? before === 92 : before !== 92 || text.charCodeAt(j - 2) === 92) j = this.#closingQuote(j);
    const contentEnd = level === 0 ? j : j - 1;
    if (this.#backslash < contentStart && this.#backslash !== NONE) {
      const b = text.indexOf('\\', contentStart);
      this.#backslash = b < 0 ? NONE : b;
    }
    this.escaped = this.#backslash < contentEnd;
    this.contentStart = contentStart;
    this.contentEnd = contentEnd;
    if (this.escaped) this.value = decode(text.slice(contentStart, contentEnd), level);
    else if (!isKey) this.value = text.slice(contentStart, contentEnd);
    return j + 1;
  }

  /** The quote that closes the string token whose content has a quote at j, after escapes and all. */
  #closingQuote(j: number): number {
    const { text, level } = this;
    for (;;) {
      if (j < 0 || j >= this.to) throw FAIL;
      let b = j - 1;
      while (text.charCodeAt(b) === 92) b--;
      const backslashes = j - 1 - b;
      // Level 0: a quote closes on an even number of backslashes before it. Level 1: every
      // quote is encoded as \" ; the inner quote closes when the backslashes before that are
      // an even number (each encoded as two), so 4k + 1 in all.
      if (level === 0 ? backslashes % 2 === 0 : backslashes % 4 === 1) return j;
      // At level 1 an unescaped quote is the end of the enclosing string: the token runs past it.
      if (level === 1 && backslashes % 2 === 0) throw FAIL;
      j = text.indexOf('"', j + 1);
    }
  }

  /**
   * Reads the key token at i, like readString(i, true), hashing its characters on the way:
   * keys are short and usually plain, and one pass over them does all that is needed.
   */
  readKey(i: number): number {
    const { text, level } = this;
    const contentStart = i + (level === 0 ? 1 : 2);
    const stop = Math.min(this.to, contentStart + 128);
    let k = contentStart;
    let h = 0;
    while (k < stop) {
      const c = text.charCodeAt(k);
      if (c === 34 || c === 92) break;
      h = (Math.imul(h, 31) + c) | 0;
      k++;
    }
    const close = level === 0 ? text.charCodeAt(k) === 34 : text.charCodeAt(k) === 92 && text.charCodeAt(k + 1) === 34;
    if (k < stop && close) {
      this.escaped = false;
      this.contentStart = contentStart;
      this.contentEnd = k;
      this.keyHash = h;
      return k + (level === 0 ? 1 : 2);
    }
    const end = this.readString(i, true);
    if (!this.escaped) this.keyHash = keyHash(text, this.contentStart, this.contentEnd);
    return end;
  }

  /** End of the number at i. */
  number(i: number): number {
    const text = this.text;
    let j = i;
    if (text.charCodeAt(j) === 45) j++;
    const c = text.charCodeAt(j);
    if (c === 48) j++;
    else if (c >= 49 && c <= 57) {
      while (isDigitCode(text.charCodeAt(j))) j++;
    } else throw FAIL;
    if (text.charCodeAt(j) === 46) {
      j++;
      if (!isDigitCode(text.charCodeAt(j))) throw FAIL;
      while (isDigitCode(text.charCodeAt(j))) j++;
    }
    const e = text.charCodeAt(j);
    if (e === 101 || e === 69) {
      j++;
      const s = text.charCodeAt(j);
      if (s === 43 || s === 45) j++;
      if (!isDigitCode(text.charCodeAt(j))) throw FAIL;
      while (isDigitCode(text.charCodeAt(j))) j++;
    }
    if (j > this.to) throw FAIL;
    return j;
  }

  /** End of the whole value at i (for `fields`), and its decoded value. */
  skipValue(i: number): [number, unknown] {
    const { text } = this;
    let j = i;
    let depth = 0;
    do {
      j = this.ws(j);
      if (j >= this.to) throw FAIL;
      const c = text.charCodeAt(j);
      if (this.quoteAt(j)) j = this.readString(j);
      else if (c === 123 || c === 91) {
        depth++;
        j++;
      } else if (c === 125 || c === 93) {
        depth--;
        j++;
      } else if (c === 44 || c === 58) j++;
      else if (c === 45 || isDigitCode(c)) j = this.number(j);
      else if (text.startsWith('true', j) || text.startsWith('null', j)) j += 4;
      else if (text.startsWith('false', j)) j += 5;
      else throw FAIL;
    } while (depth > 0);
    return [j, parseJson(decodeRaw(text.slice(i, j), this.level))];
  }

  /** The replacement text for a new string value, encoded for this level. */
  encode(value: string): string {
    // Tokens ("[PERSON]") and most masked text need no escape: quote them without a stringify.
    if (plainForJson(value)) return this.level === 0 ? `"${value}"` : `\\"${value}\\"`;
    const literal = JSON.stringify(value);
    return this.level === 0 ? literal : JSON.stringify(literal).slice(1, -1);
  }
}

/** No character JSON.stringify would escape: '"', '\\', controls, surrogates (a lone one is escaped). */
function plainForJson(value: string): boolean {
  for (let k = 0; k < value.length; k++) {
    const c = value.charCodeAt(k);
    if (c < 32 || c === 34 || c === 92 || (c >= 0xd800 && c <= 0xdfff)) return false;
  }
  return true;
}

function parseJson(literal: string): unknown {
  try {
    return JSON.parse(literal) as unknown;
  } catch {
    throw FAIL;
  }
}

/** A raw span of level-`level` text as level-0 JSON text. */
function decodeRaw(raw: string, level: number): string {
  return level === 0 ? raw : (parseJson(`"${raw}"`) as string);
}

/** The value of a string token's content (between its quotes) at `level`. */
function decode(content: string, level: number): string {
  const once = parseJson(`"${content}"`);
  if (typeof once !== 'string') throw FAIL;
  if (level === 0) return once;
  const twice = parseJson(`"${once}"`);
  if (typeof twice !== 'string') throw FAIL;
  return twice;
}

function keyHash(text: string, a: number, b: number): number {
  let h = 0;
  for (let k = a; k < b; k++) h = (Math.imul(h, 31) + text.charCodeAt(k)) | 0;
  return h;
}
