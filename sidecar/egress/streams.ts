// Small stream stages of the response path: an idle timeout (a provider that stops sending
// mid-stream gives an error, not a hang), a decoder for a body compressed despite
// accept-encoding: identity, and a scrubber that keeps the held credential out of what the
// application sees when a provider echoes it in an error.
import { Transform, type TransformCallback } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate, createZstdDecompress } from 'node:zlib';

export class IdleTimeoutError extends Error {}

export function idleTimeout(ms: number, what: string): Transform {
  const t: Transform = new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      timer.refresh();
      done(null, chunk);
    },
    flush(done: TransformCallback) {
      clearTimeout(timer);
      done();
    },
    destroy(err, done) {
      clearTimeout(timer);
      done(err);
    },
  });
  const timer = setTimeout(() => t.destroy(new IdleTimeoutError(`${what} sent nothing for ${ms / 1000}s`)), ms);
  return t;
}

/** A decoder for a content-coding, undefined when it is not one node can undo. */
export function decoderFor(encoding: string | undefined): Transform | undefined | 'identity' {
  const coding = (encoding ?? '').trim().toLowerCase();
  if (coding === '' || coding === 'identity') return 'identity';
  if (coding === 'gzip' || coding === 'x-gzip') return createGunzip();
  if (coding === 'deflate') return createInflate();
  if (coding === 'br') return createBrotliDecompress();
  if (coding === 'zstd') return createZstdDecompress();
  return undefined;
}

/** Replaces every occurrence of `needle` with `replacement`, also across chunk boundaries. */
export function scrub(needle: string, replacement: string): Transform {
  const find = Buffer.from(needle);
  const put = Buffer.from(replacement);
  let tail = Buffer.alloc(0);
  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      const buf = tail.length === 0 ? chunk : Buffer.concat([tail, chunk]);
      const parts: Buffer[] = [];
      let from = 0;
      for (let i = buf.indexOf(find); i >= 0; i = buf.indexOf(find, from)) {
        parts.push(buf.subarray(from, i), put);
        from = i + find.length;
      }
      // The last needle-length-1 bytes may be the start of an occurrence.
      const keep = Math.max(from, buf.length - (find.length - 1));
      parts.push(buf.subarray(from, keep));
      tail = Buffer.from(buf.subarray(keep));
      done(null, Buffer.concat(parts));
    },
    flush(done: TransformCallback) {
      done(null, tail);
    },
  });
}
