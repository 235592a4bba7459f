// Masking JSON text in place: a strict tokenizer walks the text, masks each string value (and
// each long integer) where it stands, and splices the tokens into a copy of the original.
// Same result as JSON.parse -> JsonMasker -> JSON.stringify, without building the object
// graph or serialising it again; the document keeps its formatting, key order and escapes
// everywhere except in the values that changed, and comes back as the same string when
// nothing did.
//
// JSON inside a JSON string (an MCP tool result's content[].text) is tokenized where it
// stands too, in its escaped form ("level 1": quotes are \" and newlines \n), so the inner
// document is neither unescaped nor escaped again. Where that does not work (inner strings
// with escapes of their own, \u-escaped structure) the string is decoded, masked as a
// document and encoded again.
//
// The tokenizer accepts only JSON (RFC 8259); on anything else it gives up and the caller
// masks the text as plain text. Nothing outside string tokens goes unexamined except
// structure, literals and numbers, and long integers are checked.
import type { MaskCore } from './core.ts';
import { isPlaceholderValue } from './detectors/secret-assignment.ts';
import { K_SECRET_KEY } from './hits.ts';
import { fieldMatches, keyHints, KEY_SECRET, looksLikeJsonDocument, MAX_EMBEDDING, type FieldPath } from './json.ts';
import { MaskReport } from './report.ts';
import { CTX_PHONE, CTX_SSN, D_SECRET } from './scanner.ts';

const OBJECT = 1;
const ARRAY = 2;

class SyntaxFailure extends Error {}
const FAIL = new SyntaxFailure('not JSON');

function isDigitCode(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** The output: the source text with replacements spliced in, built only once one happens. */
class Splicer {
  readonly text: string;
  out = '';
  copied = 0;

  constructor(text: string) {
    this.text = text;
  }

  replace(start: number, end: number, replacement: string): void {
    this.out += this.text.slice(this.copied, start);
    this.out += replacement;
    this.copied = end;
  }

  result(): string {
    return this.copied === 0 ? this.text : this.out + this.text.slice(this.copied);
  }
}

/**
 * One document in text[from, to). Level 0: plain JSON text. Level 1: JSON text encoded inside
 * a JSON string literal, read in its encoded form.
 */
class Doc {
  readonly text: string;
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
  #backslash = -1;

  constructor(text: string, to: number, level: number, endsAtQuote = false) {
    this.text = text;
    this.to = to;
    this.level = level;
    this.endsAtQuote = endsAtQuote;
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
    const open = level === 0 ? 1 : 2;
    const contentStart = i + open;
    let j = text.indexOf('"', contentStart);
    for (;;) {
      if (j < 0 || j >= this.to) throw FAIL;
      let b = j - 1;
      while (text.charCodeAt(b) === 92) b--;
      const backslashes = j - 1 - b;
      // Level 0: a quote closes on an even number of backslashes before it. Level 1: every
      // quote is encoded as \" ; the inner quote closes when the backslashes before that are
      // an even number (each encoded as two), so 4k + 1 in all.
      if (level === 0 ? backslashes % 2 === 0 : backslashes % 4 === 1) break;
      // At level 1 an unescaped quote is the end of the enclosing string: the token runs past it.
      if (level === 1 && backslashes % 2 === 0) throw FAIL;
      j = text.indexOf('"', j + 1);
    }
    const contentEnd = level === 0 ? j : j - 1;
    if (this.#backslash < contentStart && this.#backslash !== Infinity) {
      const b = text.indexOf('\\', contentStart);
      this.#backslash = b < 0 ? Infinity : b;
    }
    this.escaped = this.#backslash < contentEnd;
    this.contentStart = contentStart;
    this.contentEnd = contentEnd;
    if (this.escaped) this.value = decode(text.slice(contentStart, contentEnd), level);
    else if (!isKey) this.value = text.slice(contentStart, contentEnd);
    return j + 1;
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
    const literal = JSON.stringify(value);
    return this.level === 0 ? literal : JSON.stringify(literal).slice(1, -1);
  }
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

// Key hints cached by the key's characters where it stands in the text: no substring is made
// for a key seen before, and keys repeat in every record of a list.
const SPAN_SLOTS = 512;
const spanKeys: (string | undefined)[] = new Array<string | undefined>(SPAN_SLOTS).fill(undefined);
const spanHints = new Uint8Array(SPAN_SLOTS);

function keyHash(text: string, a: number, b: number): number {
  let h = 0;
  for (let k = a; k < b; k++) h = (Math.imul(h, 31) + text.charCodeAt(k)) | 0;
  return h;
}

function keyHintsAt(text: string, a: number, b: number, hash: number): number {
  const slot = (hash ^ (hash >>> 11) ^ (b - a)) & (SPAN_SLOTS - 1);
  const cached = spanKeys[slot];
  if (cached !== undefined && cached.length === b - a && text.startsWith(cached, a)) return spanHints[slot]!;
  const key = text.slice(a, b);
  const hints = keyHints(key);
  spanKeys[slot] = key;
  spanHints[slot] = hints;
  return hints;
}

export class JsonTextMasker {
  readonly #core: MaskCore;
  readonly #fields: readonly FieldPath[];
  #report: MaskReport | undefined;
  #track = false;
  // Location from the outermost document's root; embedded documents extend it.
  readonly #path: (string | number)[] = [];

  constructor(core: MaskCore, fields: readonly FieldPath[]) {
    this.#core = core;
    this.#fields = fields;
  }

  /** The masked text (the same string when nothing changed), or undefined when `text` is not JSON. */
  mask(text: string, report: MaskReport | undefined): string | undefined {
    this.#report = report;
    this.#track = this.#fields.length > 0 || report?.findings !== undefined;
    this.#path.length = 0;
    try {
      const out = new Splicer(text);
      const from = text.charCodeAt(0) === 0xfeff ? 1 : 0;
      this.#document(new Doc(text, text.length, 0), from, out, 0, 0);
      return out.result();
    } catch (err) {
      if (err instanceof SyntaxFailure) return undefined;
      throw err;
    } finally {
      this.#report = undefined;
    }
  }

  /**
   * Masks the document at doc.text[from, doc.to) into `out`. `docStart` is where its root is in
   * #path; `embedding` how many strings deep it is.
   */
  #document(doc: Doc, from: number, out: Splicer, docStart: number, embedding: number): void {
    const text = doc.text;
    const to = doc.to;
    const path = this.#path;
    const track = this.#track;
    const fields = this.#fields;
    const kinds: number[] = [];
    const indexes: number[] = [];
    // Hints from the key of the value at i (0 in arrays).
    let hints = 0;
    let i = from;

    for (;;) {
      // A value is expected at i.
      i = doc.ws(i);
      if (i >= to) throw FAIL;
      const c = text.charCodeAt(i);
      if (fields.length > 0 && path.length > docStart) {
        const f = fieldMatches(fields, path, docStart);
        if (f !== undefined) {
          const [end, value] = doc.skipValue(i);
          out.replace(i, end, doc.encode(this.#core.fieldToken(value, f.source, this.#report, track ? path : undefined)));
          i = end;
          i = this.#afterValue(doc, i, kinds, indexes, path, track);
          if (i < 0) return;
          hints = kinds[kinds.length - 1] === OBJECT ? this.#hints : 0;
          continue;
        }
      }
      if (c === 123 || c === 91) {
        i = doc.ws(i + 1);
        if (text.charCodeAt(i) === (c === 123 ? 125 : 93)) {
          i++;
        } else {
          kinds.push(c === 123 ? OBJECT : ARRAY);
          indexes.push(0);
          if (track) path.push(0);
          if (c === 123) {
            i = this.#key(doc, i, path, track);
            hints = this.#hints;
          } else {
            hints = 0;
          }
          continue;
        }
      } else if (doc.quoteAt(i)) {
        // A string holding a JSON document (no leading space, as serializers write it) is first
        // read as a level-1 document where it stands; its end is where that document ends.
        const first = text.charCodeAt(i + 1);
        const end = doc.level === 0 && (first === 123 || first === 91) && embedding < MAX_EMBEDDING ? this.#embeddedInPlace(text, i + 1, out, embedding) : -1;
        if (end >= 0) {
          i = end;
        } else {
          const stringEnd = doc.readString(i);
          this.#stringValue(doc, i, stringEnd, hints, out, embedding);
          i = stringEnd;
        }
      } else if (c === 45 || isDigitCode(c)) {
        const end = doc.number(i);
        if (end - i >= 8) {
          const replacement = this.#number(text.slice(i, end), hints);
          if (replacement !== undefined) out.replace(i, end, doc.encode(replacement));
        }
        i = end;
      } else if (c === 116 && text.startsWith('true', i)) i += 4;
      else if (c === 102 && text.startsWith('false', i)) i += 5;
      else if (c === 110 && text.startsWith('null', i)) i += 4;
      else throw FAIL;

      i = this.#afterValue(doc, i, kinds, indexes, path, track);
      if (i < 0) return;
      hints = kinds[kinds.length - 1] === OBJECT ? this.#hints : 0;
    }
  }

  /**
   * After a value: commas and closing brackets, up to where the next value starts (returned;
   * a key, if any, has been read into #hints), or -1 at the end of the document.
   */
  #afterValue(doc: Doc, i: number, kinds: number[], indexes: number[], path: (string | number)[], track: boolean): number {
    const text = doc.text;
    for (;;) {
      i = doc.ws(i);
      const depth = kinds.length;
      if (depth === 0) {
        if (doc.endsAtQuote) {
          if (text.charCodeAt(i) !== 34) throw FAIL;
          doc.end = i + 1;
        } else if (i !== doc.to) throw FAIL;
        return -1;
      }
      const d = text.charCodeAt(i);
      const kind = kinds[depth - 1];
      if (d === 44) {
        if (kind === OBJECT) return this.#key(doc, doc.ws(i + 1), path, track);
        const next = indexes[depth - 1]! + 1;
        indexes[depth - 1] = next;
        if (track) path[path.length - 1] = next;
        return i + 1;
      }
      if ((d === 125 && kind === OBJECT) || (d === 93 && kind === ARRAY)) {
        i++;
        kinds.pop();
        indexes.pop();
        if (track) path.pop();
        continue;
      }
      throw FAIL;
    }
  }

  /** Hints of the key read last (see keyHints). */
  #hints = 0;

  /** Reads `"key" :` at i into #hints (and the path slot); returns the position after ':'. */
  #key(doc: Doc, i: number, path: (string | number)[], track: boolean): number {
    if (!doc.quoteAt(i)) throw FAIL;
    i = doc.ws(doc.readKey(i));
    const text = doc.text;
    if (doc.escaped) {
      this.#hints = keyHints(doc.value);
      if (track) path[path.length - 1] = doc.value;
    } else {
      this.#hints = keyHintsAt(text, doc.contentStart, doc.contentEnd, doc.keyHash);
      if (track) path[path.length - 1] = text.slice(doc.contentStart, doc.contentEnd);
    }
    if (text.charCodeAt(i) !== 58) throw FAIL;
    return i + 1;
  }

  /** A long integer may be a card or phone number written as a number: the token replaces it, as a string. */
  #number(literal: string, hints: number): string | undefined {
    const num = Number(literal);
    if (!(num >= 1e7) || !Number.isSafeInteger(num)) return undefined;
    const digits = String(num);
    const masked = this.#core.maskString(digits, hints & (CTX_PHONE | CTX_SSN), this.#report, this.#track ? this.#path : undefined);
    return masked === digits ? undefined : masked;
  }

  /** The string token doc.text[start, end) whose value is doc.value. */
  #stringValue(doc: Doc, start: number, end: number, hints: number, out: Splicer, embedding: number): void {
    const s = doc.value;
    if (s.length === 0) return;
    const core = this.#core;
    const path = this.#track ? this.#path : undefined;
    if ((hints & KEY_SECRET) !== 0 && (core.enabled & D_SECRET) !== 0 && !isPlaceholderValue(s, 0, s.length)) {
      out.replace(start, end, doc.encode(this.#secret(s, path)));
      return;
    }
    if (embedding < MAX_EMBEDDING && looksLikeJsonDocument(s)) {
      const masked = this.#embeddedDecoded(s, embedding);
      if (masked !== undefined) {
        if (masked !== s) out.replace(start, end, doc.encode(masked));
        return;
      }
    }
    const masked = core.maskString(s, hints & (CTX_PHONE | CTX_SSN), this.#report, path);
    if (masked === s) return;
    if (doc.escaped) out.replace(start, end, doc.encode(masked));
    else {
      // No escapes: the value is the raw span, so only the findings need replacing, and mask
      // tokens need no escaping.
      const open = doc.level === 0 ? 1 : 2;
      out.replace(start + open, end - open, masked);
    }
  }

  #secret(s: string, path: readonly (string | number)[] | undefined): string {
    const core = this.#core;
    const token = core.token('SECRET', s, K_SECRET_KEY);
    const report = this.#report;
    if (report !== undefined) {
      const info = core.kinds[K_SECRET_KEY]!;
      const finding = report.findings === undefined ? undefined : { type: info.type, detector: info.detector, start: 0, end: s.length, ...(path ? { path: [...path] } : {}) };
      report.record(info.type, core.pseudonymizer ? token : undefined, core.pseudonymizer ? s : undefined, finding);
    }
    return token;
  }

  /**
   * Runs `body` against a scratch report and the current path, keeping its findings only if it
   * completes: a string that turns out not to be JSON must not leave half-recorded findings.
   */
  #attempt(body: (out: Splicer | undefined) => void, out: Splicer | undefined): boolean {
    const path = this.#path;
    const base = path.length;
    const report = this.#report;
    const scratch = report === undefined ? undefined : new MaskReport({ explain: report.findings !== undefined });
    const saved = out === undefined ? undefined : { out: out.out, copied: out.copied };
    this.#report = scratch;
    try {
      body(out);
    } catch (err) {
      if (!(err instanceof SyntaxFailure)) throw err;
      if (out !== undefined && saved !== undefined) {
        out.out = saved.out;
        out.copied = saved.copied;
      }
      return false;
    } finally {
      this.#report = report;
      path.length = base;
    }
    if (scratch !== undefined) report!.merge(scratch);
    return true;
  }

  /**
   * The level-1 document starting at text[from] inside a string token, tokenized in its
   * encoded form and masked into `out`. Returns the position after the string's closing
   * quote, or -1 when the string is not exactly one JSON document in that form.
   */
  #embeddedInPlace(text: string, from: number, out: Splicer, embedding: number): number {
    const base = this.#path.length;
    const doc = new Doc(text, text.length, 1, true);
    return this.#attempt((o) => this.#document(doc, from, o!, base, embedding + 1), out) ? doc.end : -1;
  }

  /** A decoded JSON document, masked as JSON; undefined when it is not JSON. */
  #embeddedDecoded(s: string, embedding: number): string | undefined {
    const base = this.#path.length;
    const inner = new Splicer(s);
    const ok = this.#attempt(() => this.#document(new Doc(s, s.length, 0), 0, inner, base, embedding + 1), undefined);
    return ok ? inner.result() : undefined;
  }
}
