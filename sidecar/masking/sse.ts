// Masking a text/event-stream (an MCP Streamable HTTP response) event by event: each event's
// data is masked as JSON (JSON-RPC messages) or, if it is not JSON, as text; comments are
// masked as text. Ids and event types are left alone: clients send the id back to resume.
// Events are written as soon as they are complete, so nothing but the event being read is
// held, and a value split across network chunks is whole by the time it is masked.
import type { Transform } from 'node:stream';
import type { SseEvent } from '../sse/parser.ts';
import { createSseTransform } from '../sse/stream.ts';
import { MaskReport, type Masker } from './engine.ts';

export interface SseMaskerOptions {
  /** Called after each event is masked, with what was found in it. */
  onEvent?(report: MaskReport, event: SseEvent): void;
  /** Keep findings in the reports passed to onEvent. */
  readonly explain?: boolean;
  /** Largest event accepted, in characters (see SseParserOptions). */
  readonly maxEventSize?: number;
}

export function maskSseEvent(masker: Masker, event: SseEvent, report: MaskReport): SseEvent {
  const data = event.data === undefined ? undefined : masker.maskJsonText(event.data, report);
  let comments = event.comments;
  for (let k = 0; k < comments.length; k++) {
    const masked = masker.maskText(comments[k]!, report);
    if (masked !== comments[k]) {
      if (comments === event.comments) comments = [...comments];
      (comments as string[])[k] = masked;
    }
  }
  if (data === event.data && comments === event.comments) return event;
  return { ...event, ...(data !== undefined ? { data } : {}), comments };
}

export function createSseMasker(masker: Masker, options: SseMaskerOptions = {}): Transform {
  return createSseTransform(
    (event) => {
      const report = new MaskReport({ explain: options.explain === true });
      const masked = maskSseEvent(masker, event, report);
      options.onEvent?.(report, masked);
      return masked;
    },
    options.maxEventSize === undefined ? {} : { maxEventSize: options.maxEventSize },
  );
}
