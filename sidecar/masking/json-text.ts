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
// The tokenizer (json-tokenizer.ts) accepts only JSON (RFC 8259); on anything else it gives up
// and the caller masks the text as plain text. Nothing outside string tokens goes unexamined
// except structure, literals and numbers, and long integers are checked.
import type { MaskCore } from './core.ts';
import { detached } from './chars.ts';
import { mayBeEncoded } from './encoded.ts';
import { K_PERSON_KEY, K_SECRET_KEY } from './hits.ts';
import { fieldMatches, isSecretByKey, KEY_NUMERIC, keyedKindOf, keyHints, looksLikeJsonDocument, MAX_EMBEDDING, NAME_IF_PERSON_RECORD, type FieldPath } from './json.ts';
import { Doc, FAIL, isDigitCode, SyntaxFailure } from './json-tokenizer.ts';
import { KEY_NAME, personKeyNear } from './people/keys.ts';
import type { MaskReport } from './report.ts';
import { CTX_NUMBER, CTX_PHONE, CTX_SSN } from './detector-bits.ts';
import { CleanValues, EscapeCursor } from './value-memo.ts';

const ALL_DIGITS = /^[0-9]+$/u;

// What each container open around the current value is (the `kinds` stack of #document).
const OBJECT = 1;
const ARRAY = 2;

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

// Key hints cached by the key's characters where it stands in the text: keys repeat in every
// record of a list, and a key seen before is only compared, never kept. Each slot holds a copy of
// the key (never a view into a payload), its hints, and the key with its quotes and the
// ':' after it as written at level 0 and at level 1 (`"name":` and `\"name\":`), which a
// predicted key is compared with in one pass.
const SPAN_SLOTS = 512;
const spanKeys: (string | undefined)[] = new Array<string | undefined>(SPAN_SLOTS).fill(undefined);
const spanTails: string[][] = [new Array<string>(SPAN_SLOTS).fill(''), new Array<string>(SPAN_SLOTS).fill('')];
const spanHints = new Uint16Array(SPAN_SLOTS);

/** '{' or '['. */
function isOpenBracket(c: number): boolean {
  return c === 123 || c === 91;
}

/** A flat copy of s: a concatenation of 13+ characters is a rope, which every comparison would take the slow path for. */
function flat(s: string): string {
  return s.split('').join('');
}

/** Caches the hints of the key text[a, b) (hashed `hash`); returns its slot, whose spanHints are its hints. */
function keySlotAt(text: string, a: number, b: number, hash: number): number {
  const slot = (hash ^ (hash >>> 11) ^ (b - a)) & (SPAN_SLOTS - 1);
  const key = text.slice(a, b);
  if (spanKeys[slot] === key) return slot;
  const copy = detached(key);
  spanKeys[slot] = copy;
  spanTails[0]![slot] = flat(`"${copy}":`);
  spanTails[1]![slot] = flat(`\\"${copy}\\":`);
  spanHints[slot] = keyHints(copy);
  return slot;
}

// Records repeat their keys in the same order, so a key that followed this one before is most
// likely the next. For each slot, the slots of its last two different successors (-1: none),
// as lists alternate between a few shapes (an order followed by another order or by the
// notes); and the slot of the last plain key read (-1 after a key with escapes). A prediction
// only picks which cached keys to compare the text with; the hints come from the key the text
// is seen to hold.
const spanNext = new Int16Array(2 * SPAN_SLOTS).fill(-1);
let lastSlot = -1;

/** Whether text[i, ...) is the key in `slot`, as `"key":` at `level`. */
function keyAt(text: string, i: number, level: number, slot: number): boolean {
  if (slot < 0) return false;
  const tail = spanTails[level]![slot]!;
  return text.slice(i, i + tail.length) === tail;
}

/** The slot of a key predicted to follow the last one when text[i, ...) holds it (see keyAt); else -1. */
function predictedAt(text: string, i: number, level: number): number {
  if (lastSlot < 0) return -1;
  const first = spanNext[2 * lastSlot]!;
  if (keyAt(text, i, level, first)) return first;
  // The second guess, where the first failed: the ':' where it would be is checked first, as
  // keys of other lengths are most of the misses and that needs no slice.
  const second = spanNext[2 * lastSlot + 1]!;
  if (second < 0 || text.charCodeAt(i + spanTails[level]![second]!.length - 1) !== 58) return -1;
  return keyAt(text, i, level, second) ? second : -1;
}

/** Records that `slot` followed the last key, where predictedAt did not expect it. */
function learnNext(slot: number): void {
  if (lastSlot < 0) return;
  spanNext[2 * lastSlot + 1] = spanNext[2 * lastSlot]!;
  spanNext[2 * lastSlot] = slot;
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
      this.#document(new Doc(text, 0), from, out, 0, 0);
      return out.result();
    } catch (err) {
      if (err instanceof SyntaxFailure) return undefined;
      throw err;
    } finally {
      this.#report = undefined;
      this.#clean.clear();
      this.#escapes.clear();
    }
  }

  /**
   * Masks the document at doc.text[from, doc.to) into `out`. `docStart` is where its root is in
   * #path; `embedding` how many strings deep it is.
   */
  #document(doc: Doc, from: number, out: Splicer, docStart: number, embedding: number): void {
    const text = doc.text;
    const path = this.#path;
    const track = this.#track;
    const fields = this.#fields;
    const hasFields = fields.length > 0;
    const level = doc.level;
    // Whether a string at level 0 may hold a document to read in place.
    const inPlace = level === 0 && embedding < MAX_EMBEDDING;
    const kinds: number[] = [];
    const indexes: number[] = [];
    // Hints from the key of the value at i (0 in arrays).
    let hints = 0;
    let i = from;

    for (;;) {
      // A value is expected at i. Its first character (two at level 1) tells a string from
      // whitespace: that is read once, and the whitespace loop runs only where there is some.
      let c = text.charCodeAt(i);
      let quote = level === 0 ? c === 34 : c === 92 && text.charCodeAt(i + 1) === 34;
      if (!quote && (c <= 32 || c === 92)) {
        i = doc.ws(i);
        c = text.charCodeAt(i);
        quote = doc.quoteAt(i);
      }
      const f = hasFields && path.length > docStart ? fieldMatches(fields, path, docStart) : undefined;
      if (f !== undefined) {
        const [end, value] = doc.skipValue(i);
        out.replace(i, end, doc.encode(this.#core.fieldToken(value, f.source, this.#report, track ? path : undefined)));
        i = end;
      } else if (quote) {
        // A string holding a JSON document (no leading space, as serializers write it) is first
        // read as a level-1 document where it stands; its end is where that document ends.
        const end = inPlace && isOpenBracket(text.charCodeAt(i + 1)) ? this.#embeddedInPlace(text, i + 1, out, embedding) : -1;
        if (end >= 0) {
          i = end;
        } else {
          const stringEnd = doc.readString(i);
          this.#stringValue(doc, i, stringEnd, hints, out, embedding);
          i = stringEnd;
        }
      } else if (c === 123 || c === 91) {
        i = doc.skip(i + 1);
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
      } else if (c === 45 || isDigitCode(c)) {
        const end = doc.number(i);
        const keyed = (hints & KEY_NUMERIC) !== 0 ? this.#keyedNumber(text.slice(i, end), hints) : undefined;
        if (keyed !== undefined) out.replace(i, end, doc.encode(keyed));
        else if (end - i >= 8) {
          const replacement = this.#number(text.slice(i, end), hints);
          if (replacement !== undefined) out.replace(i, end, doc.encode(replacement));
        }
        i = end;
      } else if (c === 116 && text.startsWith('true', i)) i += 4;
      else if (c === 102 && text.startsWith('false', i)) i += 5;
      else if (c === 110 && text.startsWith('null', i)) i += 4;
      else throw FAIL;

      // After a value: commas and closing brackets, up to where the next value starts.
      for (;;) {
        let d = text.charCodeAt(i);
        if (d <= 32 || d === 92) {
          i = doc.ws(i);
          d = text.charCodeAt(i);
        }
        const depth = kinds.length;
        if (depth === 0) {
          if (doc.endsAtQuote) {
            if (d !== 34) throw FAIL;
            doc.end = i + 1;
          } else if (i !== doc.to) throw FAIL;
          return;
        }
        const kind = kinds[depth - 1];
        if (d === 44) {
          if (kind === OBJECT) {
            i = this.#key(doc, i + 1, path, track);
            hints = this.#hints;
          } else {
            const next = indexes[depth - 1]! + 1;
            indexes[depth - 1] = next;
            if (track) path[path.length - 1] = next;
            i++;
            hints = 0;
          }
          break;
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
  }

  /** Hints of the key read last (see keyHints). */
  #hints = 0;

  /**
   * Reads `"key" :` at i (whitespace before it aside) into #hints and the path slot; returns
   * the position after ':'. Small, so that the walk inlines the usual case: the predicted key.
   */
  #key(doc: Doc, i: number, path: (string | number)[], track: boolean): number {
    const slot = predictedAt(doc.text, i, doc.level);
    if (slot < 0) return this.#unpredictedKey(doc, i, path, track);
    this.#hints = spanHints[slot]!;
    if (track) path[path.length - 1] = spanKeys[slot]!;
    lastSlot = slot;
    return i + spanTails[doc.level]![slot]!.length;
  }

  /** #key where the text does not start with the predicted key. */
  #unpredictedKey(doc: Doc, i: number, path: (string | number)[], track: boolean): number {
    // Pretty-printed text: the key (predicted or not) is after whitespace.
    const j = doc.ws(i);
    if (j !== i) return this.#key(doc, j, path, track);
    if (!doc.quoteAt(i)) throw FAIL;
    const text = doc.text;
    i = doc.skip(doc.readKey(i));
    let slot: number;
    if (doc.escaped) {
      slot = -1;
      this.#hints = keyHints(doc.value);
      if (track) path[path.length - 1] = doc.value;
    } else {
      slot = keySlotAt(text, doc.contentStart, doc.contentEnd, doc.keyHash);
      learnNext(slot);
      this.#hints = spanHints[slot]!;
      if (track) path[path.length - 1] = spanKeys[slot]!;
    }
    lastSlot = slot;
    if (text.charCodeAt(i) !== 58) throw FAIL;
    return i + 1;
  }

  /** An integer under a personal-data key (a postcode, a birth date): its token, or undefined. */
  #keyedNumber(literal: string, hints: number): string | undefined {
    if (!/^\d+$/u.test(literal)) return undefined;
    const kind = keyedKindOf(this.#core, hints, literal);
    return kind < 0 ? undefined : this.#core.wholeToken(kind, literal, this.#report, this.#track ? this.#path : undefined);
  }

  /** A long integer may be a card or phone number written as a number: the token replaces it, as a string. */
  #number(literal: string, hints: number): string | undefined {
    // The digits as written, without the sign ({"card": -4111111111111111} is still the card)
    // and never through a double, which loses digits past 2^53 (19-digit cards).
    const digits = literal.charCodeAt(0) === 45 ? literal.slice(1) : literal;
    if (digits.length < 8 || digits.charCodeAt(0) === 48 || !ALL_DIGITS.test(digits)) return undefined;
    const masked = this.#core.maskString(digits, (hints & (CTX_PHONE | CTX_SSN)) | CTX_NUMBER, this.#report, this.#track ? this.#path : undefined);
    return masked === digits ? undefined : masked;
  }

  // Per-call shortcuts for #stringValue (value-memo.ts); emptied when mask() returns.
  readonly #clean = new CleanValues();
  readonly #escapes = new EscapeCursor();

  /** The string token doc.text[start, end) whose value is doc.value. */
  #stringValue(doc: Doc, start: number, end: number, hints: number, out: Splicer, embedding: number): void {
    const s = doc.value;
    // A short value seen before under the same hints and left unchanged: the same again. Not
    // under a "name" key, whose masking also depends on the record around it (personKeyNear).
    const slot = (hints & KEY_NAME) === 0 ? this.#clean.slotOf(s, hints) : -1;
    if (slot >= 0 && this.#clean.has(slot, s, hints)) return;
    if (s.length === 0) return;
    const core = this.#core;
    const path = this.#track ? this.#path : undefined;
    if (isSecretByKey(core, hints, s)) {
      out.replace(start, end, doc.encode(core.wholeToken(K_SECRET_KEY, s, this.#report, path)));
      return;
    }
    let keyed = keyedKindOf(core, hints, s);
    // A generic "name" in a record that also has a lastName, cognome, ...: that person's name.
    if (keyed === NAME_IF_PERSON_RECORD && personKeyNear(doc.text, start, 400)) keyed = K_PERSON_KEY;
    if (keyed >= 0) {
      out.replace(start, end, doc.encode(core.wholeToken(keyed, s, this.#report, path)));
      return;
    }
    // Kept only when not a document: whether it is masked as one depends on the depth.
    // Without escapes the value is its span in the (flat) text, which reads faster than the value's view.
    const document = doc.escaped ? looksLikeJsonDocument(s) : looksLikeJsonDocument(doc.text, doc.contentStart, doc.contentEnd);
    if (document && embedding < MAX_EMBEDDING) {
      const masked = this.#embeddedDecoded(s, embedding);
      if (masked !== undefined) {
        if (masked !== s) out.replace(start, end, doc.encode(masked));
        return;
      }
    }
    // Without escapes the value is its span in the text, where the cursor finds '%' and '&'.
    const encoded = doc.escaped ? mayBeEncoded(s) : this.#escapes.mayBeEncoded(doc, doc.text, doc.contentStart, doc.contentEnd);
    const masked = core.maskString(s, hints & (CTX_PHONE | CTX_SSN), this.#report, path, encoded);
    if (masked === s) {
      if (slot >= 0 && !document) this.#clean.add(slot, s, hints);
      return;
    }
    if (doc.escaped) out.replace(start, end, doc.encode(masked));
    else {
      // No escapes: the value is the raw span, so only the findings need replacing, and mask
      // tokens need no escaping.
      const open = doc.level === 0 ? 1 : 2;
      out.replace(start + open, end - open, masked);
    }
  }

  /**
   * Runs `body` against a scratch report and the current path, keeping its findings only if it
   * completes: a string that turns out not to be JSON must not leave half-recorded findings.
   */
  #attempt(body: (out: Splicer | undefined) => void, out: Splicer | undefined): boolean {
    const path = this.#path;
    const base = path.length;
    const report = this.#report;
    const scratch = report?.scratch();
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
    const doc = new Doc(text, 1, true);
    return this.#attempt((o) => this.#document(doc, from, o!, base, embedding + 1), out) ? doc.end : -1;
  }

  /** A decoded JSON document, masked as JSON; undefined when it is not JSON. */
  #embeddedDecoded(s: string, embedding: number): string | undefined {
    const base = this.#path.length;
    const inner = new Splicer(s);
    const ok = this.#attempt(() => this.#document(new Doc(s, 0), 0, inner, base, embedding + 1), undefined);
    return ok ? inner.result() : undefined;
  }
}
