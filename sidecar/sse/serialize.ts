// Writing server-sent events: the inverse of SseParser. Parsing the output gives back the
// same event (data, id, event, retry and comments), whatever line breaks the values hold.
import type { SseEvent } from './parser.ts';

export type SseEventInit = Partial<SseEvent>;

const LINE_BREAK = /\r\n|\r|\n/u;

function checkSingleLine(field: string, value: string): void {
  if (value.includes('\n') || value.includes('\r')) throw new TypeError(`SSE ${field} cannot contain a line break`);
}

/** The text of one event, ending with the blank line that dispatches it. */
export function serializeEvent(ev: SseEventInit): string {
  let out = '';
  for (const comment of ev.comments ?? []) {
    for (const line of comment.split(LINE_BREAK)) out += line.length === 0 ? ':\n' : `: ${line}\n`;
  }
  if (ev.event !== undefined) {
    checkSingleLine('event', ev.event);
    out += `event: ${ev.event}\n`;
  }
  if (ev.id !== undefined) {
    checkSingleLine('id', ev.id);
    if (ev.id.includes('\0')) throw new TypeError('SSE id cannot contain NUL');
    out += `id: ${ev.id}\n`;
  }
  if (ev.retry !== undefined) {
    if (!Number.isSafeInteger(ev.retry) || ev.retry < 0) throw new TypeError('SSE retry must be a non-negative integer');
    out += `retry: ${ev.retry}\n`;
  }
  if (ev.data !== undefined) {
    for (const line of ev.data.split(LINE_BREAK)) out += `data: ${line}\n`;
  }
  // An event with nothing at all would be a lone blank line, which dispatches nothing: keep
  // it visible as an empty comment.
  return out.length === 0 ? ':\n\n' : `${out}\n`;
}
