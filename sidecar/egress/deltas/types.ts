// What the stream restorer needs to know about a provider's streaming format: where the text
// deltas are, which events end a delta channel, and how to make a delta event of its own
// when held-back text has to go out on a channel that has ended.
import type { Escape } from '../restore.ts';

/** An SSE event whose data is a JSON object. */
export interface JsonEvent {
  readonly event: string | undefined;
  readonly data: Record<string, unknown>;
}

/** One text delta in an event; `channel` names the stream of text it continues. */
export interface Slot {
  readonly channel: string;
  /** json for fragments of JSON text (tool-call arguments), none for plain text. */
  readonly escape: Escape;
  get(): string;
  set(text: string): void;
}

export interface DeltaAdapter {
  /** The text deltas of an event, in order. Also where the adapter learns envelopes. */
  slots(e: JsonEvent): Slot[];
  /** The channels this event ends (their held text goes out before or with it); 'all' at stream end. */
  closes(e: JsonEvent, open: ReadonlySet<string>): readonly string[] | 'all';
  /** Puts a closing channel's held text into this very event, when its shape allows. */
  absorb(e: JsonEvent, channel: string, text: string): boolean;
  /** A new delta event carrying `text` on `channel`, modeled on that channel's last delta. */
  synthesize(channel: string, text: string): JsonEvent | undefined;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** A slot over `obj[key]` when it holds a string. */
export function slotOf(obj: Record<string, unknown>, key: string, channel: string, escape: Escape): Slot | undefined {
  if (typeof obj[key] !== 'string') return undefined;
  return {
    channel,
    escape,
    get: () => obj[key] as string,
    set: (text) => {
      obj[key] = text;
    },
  };
}
