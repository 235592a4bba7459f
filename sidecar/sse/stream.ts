// A Transform over a text/event-stream: parses events as the bytes arrive, hands each whole
// event to a function, and writes what it returns. Nothing is held back beyond the event
// being read, so a long-lived stream flows event by event.
import { Transform, type TransformCallback } from 'node:stream';
import { SseParser, type SseEvent, type SseParserOptions } from './parser.ts';
import { serializeEvent, type SseEventInit } from './serialize.ts';

export type SseEventMapper = (event: SseEvent) => SseEventInit | readonly SseEventInit[] | null;

export interface SseTransformOptions extends SseParserOptions {
  /**
   * Events to write when the stream ends, after the last whole one. An event the stream
   * ended in the middle of is dropped, as browsers drop it.
   */
  readonly end?: () => readonly SseEventInit[];
}

export function createSseTransform(map: SseEventMapper, options: SseTransformOptions = {}): Transform {
  const parser = new SseParser(options);
  const serialize = (events: readonly SseEventInit[]): string => {
    let out = '';
    for (const e of events) out += serializeEvent(e);
    return out;
  };
  return new Transform({
    transform(this: Transform, chunk: Buffer | string, _encoding: BufferEncoding, callback: TransformCallback): void {
      try {
        // One write per chunk, not per event: each write downstream is a chunk of its own on
        // the wire.
        let out = '';
        for (const ev of parser.push(chunk)) {
          const mapped = map(ev);
          if (mapped !== null) out += serialize(Array.isArray(mapped) ? (mapped as readonly SseEventInit[]) : [mapped as SseEventInit]);
        }
        if (out !== '') this.push(out);
        callback();
      } catch (err) {
        callback(err as Error);
      }
    },
    flush(this: Transform, callback: TransformCallback): void {
      try {
        parser.end();
        const out = options.end === undefined ? '' : serialize(options.end());
        if (out !== '') this.push(out);
        callback();
      } catch (err) {
        callback(err as Error);
      }
    },
  });
}
