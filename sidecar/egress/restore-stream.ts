// Streaming restoration of response bodies, chunk by chunk, never the whole body in memory:
// text and JSON through one ChannelRestorer (originals JSON-escaped inside JSON), event
// streams event by event through an SseRestorer.
import { StringDecoder } from 'node:string_decoder';
import { Transform, type TransformCallback } from 'node:stream';
import { createSseTransform } from '../sse/index.ts';
import { ChannelRestorer, type Escape, type TokenMap } from './restore.ts';
import { SseRestorer } from './sse-restore.ts';

export type RestoreFormat = 'sse' | 'json' | 'text';

/** How a response body of this media type is restored; undefined: passed on untouched (binary). */
export function restoreFormat(contentType: string | undefined): RestoreFormat | undefined {
  const media = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (media === 'text/event-stream') return 'sse';
  if (media === 'application/json' || media.endsWith('+json') || media === 'application/x-ndjson' || media === 'application/jsonl') return 'json';
  if (media.startsWith('text/')) return 'text';
  return undefined;
}

export function restoreStream(format: RestoreFormat, map: TokenMap, maxEventSize: number): Transform {
  if (format !== 'sse') return new TextRestoreStream(map, format === 'json' ? 'json' : 'none');
  const restorer = new SseRestorer(map);
  return createSseTransform((event) => restorer.process(event), { maxEventSize, end: () => restorer.end() });
}

class TextRestoreStream extends Transform {
  readonly #decoder = new StringDecoder('utf8');
  readonly #restorer: ChannelRestorer;

  constructor(map: TokenMap, escape: Escape) {
    super();
    this.#restorer = new ChannelRestorer(map, escape);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    const out = this.#restorer.push(this.#decoder.write(chunk));
    if (out !== '') this.push(out);
    done();
  }

  override _flush(done: TransformCallback): void {
    const out = this.#restorer.push(this.#decoder.end()) + this.#restorer.flush();
    if (out !== '') this.push(out);
    done();
  }
}
