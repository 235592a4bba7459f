// OpenAI Responses API streaming: typed events such as
//   event: response.output_text.delta
//   data: {"type":"response.output_text.delta","item_id":"msg_1","output_index":0,"content_index":0,"delta":"Hi","sequence_number":5}
// Every `<kind>.delta` event with a string `delta` continues the channel of its kind, item and
// part; the matching `<kind>.done` ends it. Argument deltas are JSON text. Held text goes out as
// one more delta event, a copy of the channel's last one, just before the done event.
import type { DeltaAdapter, JsonEvent, Slot } from './types.ts';
import { slotOf } from './types.ts';

const PREFIX = 'responses:';
const TERMINAL = new Set(['response.completed', 'response.incomplete', 'response.failed', 'error']);

export function isResponsesEvent(data: Record<string, unknown>): boolean {
  return typeof data.type === 'string' && (data.type.startsWith('response.') || data.type === 'error');
}

function channelOf(kind: string, d: Record<string, unknown>): string {
  return `${PREFIX}${kind}:${key(d.item_id)}:${key(d.output_index)}:${key(d.content_index ?? d.summary_index)}`;
}

function key(v: unknown): string {
  return typeof v === 'string' || typeof v === 'number' ? String(v) : '';
}

export function openAiResponsesAdapter(): DeltaAdapter {
  const last = new Map<string, JsonEvent>();
  return {
    slots(e: JsonEvent): Slot[] {
      const type = e.data.type;
      if (typeof type !== 'string' || !type.startsWith('response.') || !type.endsWith('.delta')) return [];
      const kind = type.slice(0, -'.delta'.length);
      const channel = channelOf(kind, e.data);
      const slot = slotOf(e.data, 'delta', channel, kind.endsWith('arguments') ? 'json' : 'none');
      if (slot === undefined) return [];
      last.set(channel, e);
      return [slot];
    },

    closes(e: JsonEvent): readonly string[] | 'all' {
      const type = e.data.type;
      if (typeof type !== 'string') return [];
      if (TERMINAL.has(type)) return 'all';
      if (type.startsWith('response.') && type.endsWith('.done')) return [channelOf(type.slice(0, -'.done'.length), e.data)];
      return [];
    },

    absorb(): boolean {
      return false;
    },

    synthesize(channel: string, text: string): JsonEvent | undefined {
      const model = last.get(channel);
      if (model === undefined) return undefined;
      const { logprobs: _logprobs, obfuscation: _obfuscation, ...rest } = model.data;
      return { event: model.event, data: { ...rest, delta: text } };
    },
  };
}
