// The answer's way back: status and headers first (the gateway records the call in between),
// then the body streamed through the stages it needs: an idle timeout always; decoding when
// the body must be read; the credential scrubbed from error bodies; tokens restored in
// pseudonymize mode (text and JSON chunk by chunk, event streams event by event).
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { Writable, type Transform } from 'node:stream';
import { serializeEvent } from '../sse/index.ts';
import { responseHeaders } from './headers.ts';
import type { TokenMap } from './restore.ts';
import { restoreFormat, restoreStream } from './restore-stream.ts';
import { decoderFor, idleTimeout, IdleTimeoutError, scrub } from './streams.ts';

export interface RelayOptions {
  /** The request's token map in pseudonymize mode when something was masked; else undefined. */
  readonly tokens: TokenMap | undefined;
  /** The secret of the credential the gateway added, to keep out of error bodies. */
  readonly credential: string | undefined;
  readonly maxEventBytes: number;
  readonly idleTimeoutMs: number;
  /** Names the upstream in error messages. */
  readonly what: string;
  /** Rewrites a redirect's Location (e.g. back onto the named route); undefined keeps it. */
  readonly location?: (location: string) => string | undefined;
}

export type RelayEnd = { readonly ok: true } | { readonly ok: false; readonly reason: string; readonly clientGone: boolean };

export interface PreparedRelay {
  readonly status: number;
  readonly headers: OutgoingHttpHeaders;
  /** Why the body passes unread although it should have been restored or scrubbed. */
  readonly unreadable: string | undefined;
  start(res: ServerResponse): Promise<RelayEnd>;
}

export function prepareRelay(upstream: IncomingMessage, o: RelayOptions): PreparedRelay {
  const status = upstream.statusCode ?? 502;
  const contentType = upstream.headers['content-type'];
  const format = o.tokens !== undefined ? restoreFormat(contentType) : undefined;
  const scrubbing = o.credential !== undefined && status >= 400;
  const wantsBody = format !== undefined || scrubbing;
  const decoder = wantsBody ? decoderFor(upstream.headers['content-encoding']) : 'identity';
  const unreadable = decoder === undefined ? `the upstream answered with content-encoding ${String(upstream.headers['content-encoding'])}, which cannot be decoded` : undefined;
  const rewriting = wantsBody && decoder !== undefined;
  const headers = responseHeaders(upstream.headers, rewriting);
  if (o.location !== undefined && typeof headers.location === 'string') {
    const moved = o.location(headers.location);
    if (moved !== undefined) headers.location = moved;
  }
  const sse = (contentType ?? '').toLowerCase().startsWith('text/event-stream');
  if (sse) headers['x-accel-buffering'] = 'no';

  const start = async (res: ServerResponse): Promise<RelayEnd> => {
    res.writeHead(status, headers);
    if (sse) res.flushHeaders();
    const stages: Transform[] = [idleTimeout(o.idleTimeoutMs, `the upstream ${o.what}`)];
    if (rewriting) {
      if (decoder !== 'identity' && decoder !== undefined) stages.push(decoder);
      if (scrubbing) stages.push(scrub(o.credential, '[CREDENTIAL]'));
      if (format !== undefined) stages.push(restoreStream(format, o.tokens!, o.maxEventBytes));
    }
    // The application going away cancels the upstream request (its connection is closed).
    const gone = new AbortController();
    const onClose = (): void => {
      if (!res.writableFinished) gone.abort();
    };
    res.once('close', onClose);
    try {
      // The response is written by hand rather than piped, so that a failure upstream leaves
      // it open for a last event saying why the stream ends.
      const sink = new Writable({
        write(chunk: Buffer, _enc, done): void {
          if (res.write(chunk)) done();
          else res.once('drain', () => done());
        },
      });
      await pipeline([upstream, ...stages, sink], { signal: gone.signal });
      res.end();
      return { ok: true };
    } catch (err) {
      upstream.destroy();
      if (gone.signal.aborted) return { ok: false, reason: 'the application disconnected; the upstream request was cancelled', clientGone: true };
      const reason = err instanceof IdleTimeoutError ? err.message : `the response stream from ${o.what} failed: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
      if (sse && res.writable) res.end(serializeEvent({ event: 'error', data: JSON.stringify({ error: { type: 'upstream_stream_failed', message: reason } }) }));
      else res.destroy();
      return { ok: false, reason, clientGone: false };
    } finally {
      res.off('close', onClose);
    }
  };
  return { status, headers, unreadable, start };
}
