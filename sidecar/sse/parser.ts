// An incremental parser for text/event-stream (the WHATWG HTML "server-sent events" format):
// feed it chunks as they arrive (bytes or strings, split anywhere, even inside a UTF-8
// sequence or between the CR and LF of a line break) and get whole events back.
//
// Kept faithful to the spec's line and field rules (CRLF, LF and CR line ends; a leading BOM
// dropped; "field: value" with one optional space; comments start with ':'; retry only when
// all digits; an id containing NUL ignored) but, unlike a browser, it reports everything a
// proxy needs to write the stream back unchanged in meaning: comments (keep-alives), blocks
// without data, and which fields each block set.
import { StringDecoder } from 'node:string_decoder';

export interface SseEvent {
  /** The id field of this block (an empty string resets the client's last event id). */
  readonly id?: string;
  /** The event field of this block: the event type. */
  readonly event?: string;
  /**
   * The data lines of this block joined with "\n". Absent when the block had no data line
   * (a keep-alive comment, a bare id or retry): browsers dispatch no event for those.
   */
  readonly data?: string;
  /** The reconnection time in milliseconds, when the block set a valid one. */
  readonly retry?: number;
  /** Comment lines (":" lines) of this block, without the ':' and one following space. */
  readonly comments: readonly string[];
}

export interface SseParserOptions {
  /**
   * Largest event accepted, in characters of its lines (default 16 MiB). A stream that sends
   * a longer one fails with SseEventTooLargeError rather than grow memory without bound.
   */
  readonly maxEventSize?: number;
}

export const DEFAULT_MAX_EVENT_SIZE = 16 * 1024 * 1024;

export class SseEventTooLargeError extends Error {
  readonly limit: number;
  constructor(limit: number) {
    super(`server-sent event larger than ${limit} characters`);
    this.limit = limit;
  }
}

interface Block {
  id: string | undefined;
  event: string | undefined;
  data: string[] | undefined;
  retry: number | undefined;
  comments: string[];
  lines: number;
}

function emptyBlock(): Block {
  return { id: undefined, event: undefined, data: undefined, retry: undefined, comments: [], lines: 0 };
}

const LF = 10;
const CR = 13;

export class SseParser {
  readonly #max: number;
  readonly #decoder = new StringDecoder('utf8');
  #started = false;
  #skipLF = false;
  // The line being read, in pieces (a long line arriving in many chunks is joined once).
  #partial: string[] = [];
  #partialLength = 0;
  #block: Block = emptyBlock();
  #blockSize = 0;

  constructor(options: SseParserOptions = {}) {
    this.#max = options.maxEventSize ?? DEFAULT_MAX_EVENT_SIZE;
  }

  /** Feeds one chunk; returns the events it completed, in order. */
  push(chunk: string | Uint8Array): SseEvent[] {
    let text = typeof chunk === 'string' ? chunk : this.#decoder.write(chunk);
    if (!this.#started && text.length > 0) {
      this.#started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    const out: SseEvent[] = [];
    this.#consume(text, out);
    return out;
  }

  /**
   * Ends the stream. Returns the event that was still being read, if any: the spec has
   * clients discard it, so it is returned only for a caller that wants to know.
   */
  end(): SseEvent | undefined {
    // Neither a decoder remainder nor an unterminated last line can complete an event: only
    // an empty line dispatches.
    const out: SseEvent[] = [];
    const rest = this.#decoder.end();
    if (rest.length > 0) this.#consume(rest, out);
    if (this.#partial.length > 0) this.#line(this.#takePartial(''), out);
    const pending = this.#block.lines > 0 ? toEvent(this.#block) : undefined;
    this.#block = emptyBlock();
    this.#blockSize = 0;
    return pending;
  }

  #consume(text: string, out: SseEvent[]): void {
    const n = text.length;
    let pos = 0;
    if (this.#skipLF && n > 0) {
      if (text.charCodeAt(0) === LF) pos = 1;
      this.#skipLF = false;
    }
    // Next CR and LF at or after pos, found with indexOf and reused until passed.
    let nextLF = -2;
    let nextCR = -2;
    while (pos < n) {
      if (nextLF !== -1 && nextLF < pos) nextLF = text.indexOf('\n', pos);
      if (nextCR !== -1 && nextCR < pos) nextCR = text.indexOf('\r', pos);
      const end = nextLF === -1 ? nextCR : nextCR === -1 ? nextLF : Math.min(nextLF, nextCR);
      if (end === -1) {
        this.#addPartial(text, pos, n);
        return;
      }
      const line = this.#takePartial(text.slice(pos, end));
      this.#line(line, out);
      if (text.charCodeAt(end) === CR) {
        if (end + 1 < n) pos = text.charCodeAt(end + 1) === LF ? end + 2 : end + 1;
        else {
          this.#skipLF = true;
          pos = end + 1;
        }
      } else pos = end + 1;
    }
  }

  #addPartial(text: string, from: number, to: number): void {
    if (to <= from) return;
    this.#partial.push(from === 0 && to === text.length ? text : text.slice(from, to));
    this.#partialLength += to - from;
    if (this.#blockSize + this.#partialLength > this.#max) throw new SseEventTooLargeError(this.#max);
  }

  #takePartial(tail: string): string {
    if (this.#partial.length === 0) return tail;
    this.#partial.push(tail);
    const line = this.#partial.join('');
    this.#partial = [];
    this.#partialLength = 0;
    return line;
  }

  #line(line: string, out: SseEvent[]): void {
    const block = this.#block;
    if (line.length === 0) {
      if (block.lines > 0) out.push(toEvent(block));
      this.#block = emptyBlock();
      this.#blockSize = 0;
      return;
    }
    this.#blockSize += line.length + 1;
    if (this.#blockSize > this.#max) throw new SseEventTooLargeError(this.#max);
    block.lines++;
    const colon = line.indexOf(':');
    if (colon === 0) {
      block.comments.push(line.charCodeAt(1) === 32 ? line.slice(2) : line.slice(1));
      return;
    }
    const name = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.charCodeAt(colon + 1) === 32 ? line.slice(colon + 2) : line.slice(colon + 1);
    switch (name) {
      case 'data':
        (block.data ??= []).push(value);
        break;
      case 'event':
        block.event = value;
        break;
      case 'id':
        if (!value.includes('\0')) block.id = value;
        break;
      case 'retry':
        if (/^\d+$/u.test(value)) block.retry = Number(value);
        break;
      default:
        // Unknown fields are ignored, as the spec says.
        break;
    }
  }
}

function toEvent(block: Block): SseEvent {
  return {
    ...(block.id !== undefined ? { id: block.id } : {}),
    ...(block.event !== undefined ? { event: block.event } : {}),
    ...(block.data !== undefined ? { data: block.data.join('\n') } : {}),
    ...(block.retry !== undefined ? { retry: block.retry } : {}),
    comments: block.comments,
  };
}
