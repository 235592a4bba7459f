// A Transform over a text/event-stream: parses events as the bytes arrive, hands each whole
// event to a function, and writes what it returns. Nothing is held back beyond the event
// being read, so a long-lived stream flows event by event.
import { Transform, type TransformCallback } from 'node:stream';
import { SseParser, type SseEvent, type SseParserOptions } from './parser.ts';
import { serializeEvent, type SseEventInit } from './serialize.ts';

export type SseEventMapper = (event: SseEvent) => SseEventInit | readonly SseEventInit[] | null;

export interface SseTransformOptions extends SseParserOptions {
  /**
   * What to do with an event the stream ended in the middle of. Browsers discard it; 'drop'
   * (the default) does the same, 'map' passes it through the mapper and writes it without
   * the blank line that would dispatch it.
   */
  readonly incomplete?: 'drop' | 'map';
}

export function createSseTransform(map: SseEventMapper, options: SseTransformOptions = {}): Transform {
  const parser = new SseParser(options);
  const write = (t: Transform, ev: SseEvent): void => {
    const mapped = map(ev);
    if (mapped === null) return;
    const list = Array.isArray(mapped) ? (mapped as readonly SseEventInit[]) : [mapped as SseEventInit];
    for (const m of list) t.push(serializeEvent(m));
  };
  return new Transform({
    transform(this: Transform, chunk: Buffer | string, _encoding: BufferEncoding, callback: TransformCallback): void {
      try {
        for (const ev of parser.push(chunk)) write(this, ev);
        callback();
      } catch (err) {
        callback(err as Error);
      }
    },
    flush(this: Transform, callback: TransformCallback): void {
      try {
        const pending = parser.end();
        if (pending !== undefined && options.incomplete === 'map') {
          const mapped = map(pending);
          if (mapped !== null) {
            const list = Array.isArray(mapped) ? (mapped as readonly SseEventInit[]) : [mapped as SseEventInit];
            for (const m of list) this.push(serializeEvent(m).slice(0, -1));
          }
        }
        callback();
      } catch (err) {
        callback(err as Error);
      }
    },
  });
}
