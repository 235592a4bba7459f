// Restoration of a server-sent event stream, event by event. Text deltas (found by the delta
// adapters) are restored per channel with hold-back, so a token split across two deltas is
// still recognised; every other string in an event is restored whole. An event in which
// nothing changes is passed on as it came, byte for byte in meaning.
import type { SseEvent } from '../sse/index.ts';
import { providerDeltaAdapter, type DeltaAdapter, type JsonEvent } from './deltas/index.ts';
import { ChannelRestorer, restoreJsonValue, restoreText, type TokenMap } from './restore.ts';

export class SseRestorer {
  readonly #map: TokenMap;
  readonly #adapter: DeltaAdapter;
  readonly #channels = new Map<string, ChannelRestorer>();

  constructor(map: TokenMap, adapter: DeltaAdapter = providerDeltaAdapter()) {
    this.#map = map;
    this.#adapter = adapter;
  }

  /** The events to send for one received event: held-back text first, when a channel ends. */
  process(event: SseEvent): SseEvent[] {
    const data = event.data;
    if (data === undefined || data === '') return [event];
    if (data.trim() === '[DONE]') return [...this.end(), event];
    const mayMatter = this.#map.mayMatterInJson(data);
    if (!mayMatter && !this.#anyPending()) return [event];
    let parsed: unknown;
    try {
      parsed = JSON.parse(data);
    } catch {
      return [withData(event, restoreText(data, this.#map, 'none'))];
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      return [withData(event, restoreText(data, this.#map, 'json'))];
    }
    const e: JsonEvent = { event: event.event, data: parsed as Record<string, unknown> };
    let changed = false;
    const slots = this.#adapter.slots(e);
    for (const slot of slots) {
      const before = slot.get();
      const after = this.#channel(slot.channel, slot.escape).push(before);
      if (after !== before) {
        slot.set(after);
        changed = true;
      }
    }
    const before: SseEvent[] = [];
    const closes = this.#adapter.closes(e, new Set(this.#channels.keys()));
    for (const channel of closes === 'all' ? [...this.#channels.keys()] : closes) {
      const rest = this.#channels.get(channel)?.flush() ?? '';
      this.#channels.delete(channel);
      if (rest === '') continue;
      const own = slots.findLast((s) => s.channel === channel);
      if (own !== undefined) own.set(own.get() + rest);
      else if (!this.#adapter.absorb(e, channel, rest)) this.#synthesize(channel, rest, before);
      changed = true;
    }
    // Tokens elsewhere in the event (a finished message, a done event's full text).
    if (mayMatter && restoreJsonValue(e.data, this.#map).changed) changed = true;
    const out = changed ? withData(event, JSON.stringify(e.data)) : event;
    return before.length === 0 ? [out] : [...before, out];
  }

  /** At the end of the stream: every channel's held-back text, as delta events of its own. */
  end(): SseEvent[] {
    const out: SseEvent[] = [];
    for (const [channel, restorer] of this.#channels) {
      const rest = restorer.flush();
      if (rest !== '') this.#synthesize(channel, rest, out);
    }
    this.#channels.clear();
    return out;
  }

  #synthesize(channel: string, text: string, out: SseEvent[]): void {
    const e = this.#adapter.synthesize(channel, text);
    // Every channel comes from an adapter that can make its delta events; this is a backstop.
    if (e === undefined) return;
    out.push({ ...(e.event !== undefined ? { event: e.event } : {}), data: JSON.stringify(e.data), comments: [] });
  }

  #channel(name: string, escape: 'none' | 'json'): ChannelRestorer {
    let ch = this.#channels.get(name);
    if (ch === undefined) {
      ch = new ChannelRestorer(this.#map, escape);
      this.#channels.set(name, ch);
    }
    return ch;
  }

  #anyPending(): boolean {
    for (const ch of this.#channels.values()) if (ch.pending !== '') return true;
    return false;
  }
}

function withData(event: SseEvent, data: string): SseEvent {
  return { ...event, data };
}
