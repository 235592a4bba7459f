// The one JSON reader for what crosses the gateway: RFC 8259 and nothing more, on UTF-8 bytes.
// Every decoder on the other side (JavaScript, Go's encoding/json, Python) agrees on what such
// a text means, so the sidecar decides on what the other side will read. It replaces
// JSON.parse (one pass, not two) and refuses what JSON.parse would quietly accept or resolve:
// bytes that are not UTF-8 (JSON.parse never sees them: a lenient decode turns them into
// U+FFFD first), a byte-order mark, and duplicate keys (last-wins in JavaScript and Go,
// first-wins elsewhere). Nesting is bounded, so a hostile text cannot exhaust the stack.

export class StrictJsonError extends Error {}

/** Deeper nesting is refused (the masker's bound, see masking/json.ts). */
export const MAX_DEPTH = 512;

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Decodes UTF-8 without repair: invalid sequences and a byte-order mark are errors. */
export function strictUtf8(bytes: Uint8Array): string {
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) throw new StrictJsonError('the body starts with a byte-order mark');
  try {
    return decoder.decode(bytes);
  } catch {
    throw new StrictJsonError('the body is not valid UTF-8');
  }
}

/** Parses UTF-8 JSON bytes strictly; throws StrictJsonError naming what is wrong and where. */
export function parseStrictJson(bytes: Uint8Array): unknown {
  return parseStrictJsonText(strictUtf8(bytes));
}

/** Parses a JSON text strictly (a string already decoded, e.g. an SSE event's data). */
export function parseStrictJsonText(text: string): unknown {
  if (text.charCodeAt(0) === 0xfeff) throw new StrictJsonError('the text starts with a byte-order mark');
  const r = new Reader(text);
  const value = r.value(0);
  r.ws();
  if (r.i !== text.length) r.fail('unexpected text after the JSON value');
  return value;
}

class Reader {
  readonly text: string;
  i = 0;

  constructor(text: string) {
    this.text = text;
  }

  fail(what: string): never {
    throw new StrictJsonError(`${what} at offset ${this.i}`);
  }

  ws(): void {
    const t = this.text;
    let i = this.i;
    for (;;) {
      const c = t.charCodeAt(i);
      if (c !== 32 && c !== 10 && c !== 13 && c !== 9) break;
      i++;
    }
    this.i = i;
  }

  value(depth: number): unknown {
    this.ws();
    const c = this.text.charCodeAt(this.i);
    if (c === 34) return this.string();
    if (c === 123) return this.object(depth + 1);
    if (c === 91) return this.array(depth + 1);
    if (c === 45 || (c >= 48 && c <= 57)) return this.number();
    if (this.text.startsWith('true', this.i)) return this.literal(4, true);
    if (this.text.startsWith('false', this.i)) return this.literal(5, false);
    if (this.text.startsWith('null', this.i)) return this.literal(4, null);
    return this.fail(this.i >= this.text.length ? 'unexpected end of JSON' : 'not a JSON value (NaN, Infinity, comments, single quotes and the like are not JSON)');
  }

  literal(length: number, v: boolean | null): boolean | null {
    this.i += length;
    return v;
  }

  object(depth: number): Record<string, unknown> {
    if (depth > MAX_DEPTH) this.fail(`JSON nested deeper than ${MAX_DEPTH} levels`);
    this.i++;
    const out: Record<string, unknown> = {};
    this.ws();
    if (this.text.charCodeAt(this.i) === 125) {
      this.i++;
      return out;
    }
    for (;;) {
      this.ws();
      if (this.text.charCodeAt(this.i) !== 34) this.fail('expected a string key');
      const at = this.i;
      const key = this.string();
      if (Object.hasOwn(out, key)) {
        this.i = at;
        this.fail(`duplicate key ${JSON.stringify(key)}`);
      }
      this.ws();
      if (this.text.charCodeAt(this.i) !== 58) this.fail('expected ":"');
      this.i++;
      const v = this.value(depth);
      // "__proto__" is an own key like any other (as JSON.parse makes it), never the prototype.
      if (key === '__proto__') Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
      else out[key] = v;
      this.ws();
      const c = this.text.charCodeAt(this.i++);
      if (c === 125) return out;
      if (c !== 44) {
        this.i--;
        this.fail('expected "," or "}"');
      }
    }
  }

  array(depth: number): unknown[] {
    if (depth > MAX_DEPTH) this.fail(`JSON nested deeper than ${MAX_DEPTH} levels`);
    this.i++;
    const out: unknown[] = [];
    this.ws();
    if (this.text.charCodeAt(this.i) === 93) {
      this.i++;
      return out;
    }
    for (;;) {
      out.push(this.value(depth));
      this.ws();
      const c = this.text.charCodeAt(this.i++);
      if (c === 93) return out;
      if (c !== 44) {
        this.i--;
        this.fail('expected "," or "]"');
      }
    }
  }

  string(): string {
    const t = this.text;
    const start = this.i + 1;
    let i = start;
    let escaped = false;
    for (;;) {
      const c = t.charCodeAt(i);
      if (c === 34) break;
      if (c === 92) {
        escaped = true;
        i += 2;
        continue;
      }
      if (c < 32 || Number.isNaN(c)) {
        this.i = i;
        this.fail(Number.isNaN(c) ? 'unterminated string' : 'a control character inside a string');
      }
      i++;
    }
    this.i = i + 1;
    if (!escaped) return t.slice(start, i);
    // The escapes are RFC 8259's (JSON.parse checks them), and the slice is one string token.
    let s: string;
    try {
      s = JSON.parse(t.slice(start - 1, i + 1)) as string;
    } catch {
      this.i = start;
      return this.fail('a bad escape inside a string');
    }
    // A lone surrogate (\ud800) is read as itself here and as U+FFFD by Go: two readings.
    if (!s.isWellFormed()) {
      this.i = start;
      this.fail('a lone surrogate escape inside a string');
    }
    return s;
  }

  number(): number {
    const t = this.text;
    const start = this.i;
    let i = start;
    if (t.charCodeAt(i) === 45) i++;
    const first = t.charCodeAt(i);
    if (first === 48) i++;
    else if (first >= 49 && first <= 57) i = digits(t, i);
    else {
      this.i = i;
      this.fail('a bad number');
    }
    if (t.charCodeAt(i) === 46) {
      const j = digits(t, i + 1);
      if (j === i + 1) {
        this.i = j;
        this.fail('a bad number');
      }
      i = j;
    }
    const e = t.charCodeAt(i);
    if (e === 101 || e === 69) {
      i++;
      const s = t.charCodeAt(i);
      if (s === 43 || s === 45) i++;
      const j = digits(t, i);
      if (j === i) {
        this.i = j;
        this.fail('a bad number');
      }
      i = j;
    }
    this.i = i;
    const n = Number(t.slice(start, i));
    if (!Number.isFinite(n)) this.fail('a number out of range');
    return n;
  }
}

function digits(t: string, i: number): number {
  for (;;) {
    // Written so that NaN (past the end) stops it too.
    const c = t.charCodeAt(i);
    if (!(c >= 48 && c <= 57)) return i;
    i++;
  }
}
