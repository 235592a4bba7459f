// Anthropic Messages streaming:
//   event: content_block_delta
//   data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}
// One channel per content block: text_delta.text, thinking_delta.thinking and
// input_json_delta.partial_json (JSON text). content_block_stop ends a block; held text goes out
// as one more content_block_delta just before it.
import type { DeltaAdapter, JsonEvent, Slot } from './types.ts';
import { isRecord, slotOf } from './types.ts';
import type { Escape } from '../restore.ts';

const FIELDS: Readonly<Record<string, { field: string; escape: Escape }>> = {
  text_delta: { field: 'text', escape: 'none' },
  thinking_delta: { field: 'thinking', escape: 'none' },
  input_json_delta: { field: 'partial_json', escape: 'json' },
};
const PREFIX = 'anthropic:';
const EVENT_TYPES = new Set(['message_start', 'content_block_start', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop', 'ping', 'error']);

export function isAnthropicEvent(data: Record<string, unknown>): boolean {
  return typeof data.type === 'string' && EVENT_TYPES.has(data.type);
}

export function anthropicAdapter(): DeltaAdapter {
  const kinds = new Map<string, { index: unknown; deltaType: string }>();
  return {
    slots(e: JsonEvent): Slot[] {
      const d = e.data;
      if (d.type !== 'content_block_delta' || !isRecord(d.delta) || typeof d.delta.type !== 'string') return [];
      const spec = FIELDS[d.delta.type];
      if (spec === undefined) return [];
      const channel = `${PREFIX}${String(d.index)}`;
      const slot = slotOf(d.delta, spec.field, channel, spec.escape);
      if (slot === undefined) return [];
      kinds.set(channel, { index: d.index, deltaType: d.delta.type });
      return [slot];
    },

    closes(e: JsonEvent): readonly string[] | 'all' {
      const d = e.data;
      if (d.type === 'content_block_stop') return [`${PREFIX}${String(d.index)}`];
      if (d.type === 'message_delta' || d.type === 'message_stop' || d.type === 'error') return 'all';
      return [];
    },

    absorb(): boolean {
      return false;
    },

    synthesize(channel: string, text: string): JsonEvent | undefined {
      const k = kinds.get(channel);
      if (k === undefined) return undefined;
      const spec = FIELDS[k.deltaType]!;
      return { event: 'content_block_delta', data: { type: 'content_block_delta', index: k.index, delta: { type: k.deltaType, [spec.field]: text } } };
    },
  };
}
