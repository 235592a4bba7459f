// OpenAI chat completions streaming (also Azure OpenAI and compatible providers):
//   data: {"id":..,"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"Hi"}}]}
// Text channels per choice: content, refusal, reasoning_content / reasoning (compatible
// providers), and each tool call's function.arguments (JSON text). A choice's finish_reason
// ends its channels; held text then rides in that same chunk's delta.
import type { DeltaAdapter, JsonEvent, Slot } from './types.ts';
import { isRecord, slotOf } from './types.ts';

const TEXT_FIELDS = ['content', 'refusal', 'reasoning_content', 'reasoning'] as const;
const PREFIX = 'chat:';

export function isChatChunk(data: Record<string, unknown>): boolean {
  return data.object === 'chat.completion.chunk' || (Array.isArray(data.choices) && data.choices.some((c) => isRecord(c) && isRecord(c.delta)));
}

interface Where {
  readonly choice: number;
  readonly field: string;
  readonly tool?: number;
}

export function openAiChatAdapter(): DeltaAdapter {
  let envelope: Record<string, unknown> = {};
  const where = new Map<string, Where>();

  const choices = (data: Record<string, unknown>): Array<{ index: number; c: Record<string, unknown> }> =>
    Array.isArray(data.choices)
      ? data.choices.flatMap((c, k) => (isRecord(c) ? [{ index: typeof c.index === 'number' ? c.index : k, c }] : []))
      : [];

  return {
    slots(e: JsonEvent): Slot[] {
      if (!isChatChunk(e.data)) return [];
      const { id, object, created, model, system_fingerprint } = e.data;
      envelope = { id, object, created, model, ...(system_fingerprint !== undefined ? { system_fingerprint } : {}) };
      const out: Slot[] = [];
      for (const { index, c } of choices(e.data)) {
        const delta = c.delta;
        if (!isRecord(delta)) continue;
        for (const field of TEXT_FIELDS) {
          const channel = `${PREFIX}${index}:${field}`;
          const slot = slotOf(delta, field, channel, 'none');
          if (slot === undefined) continue;
          where.set(channel, { choice: index, field });
          out.push(slot);
        }
        if (Array.isArray(delta.tool_calls)) {
          delta.tool_calls.forEach((t, k) => {
            if (!isRecord(t) || !isRecord(t.function)) return;
            const tool = typeof t.index === 'number' ? t.index : k;
            const channel = `${PREFIX}${index}:tool:${tool}`;
            const slot = slotOf(t.function, 'arguments', channel, 'json');
            if (slot === undefined) return;
            where.set(channel, { choice: index, field: 'tool', tool });
            out.push(slot);
          });
        }
        if (isRecord(delta.function_call)) {
          const channel = `${PREFIX}${index}:function_call`;
          const slot = slotOf(delta.function_call, 'arguments', channel, 'json');
          if (slot !== undefined) {
            where.set(channel, { choice: index, field: 'function_call' });
            out.push(slot);
          }
        }
      }
      return out;
    },

    closes(e: JsonEvent, open: ReadonlySet<string>): readonly string[] {
      if (!isChatChunk(e.data)) return [];
      const ended = choices(e.data)
        .filter(({ c }) => c.finish_reason !== null && c.finish_reason !== undefined)
        .map(({ index }) => `${PREFIX}${index}:`);
      if (ended.length === 0) return [];
      return [...open].filter((ch) => ended.some((p) => ch.startsWith(p)));
    },

    absorb(e: JsonEvent, channel: string, text: string): boolean {
      const w = where.get(channel);
      if (w === undefined) return false;
      const target = choices(e.data).find(({ index }) => index === w.choice);
      if (target === undefined) return false;
      if (!isRecord(target.c.delta)) target.c.delta = {};
      put(target.c.delta as Record<string, unknown>, w, text);
      return true;
    },

    synthesize(channel: string, text: string): JsonEvent | undefined {
      const w = where.get(channel);
      if (w === undefined) return undefined;
      const delta: Record<string, unknown> = {};
      put(delta, w, text);
      return { event: undefined, data: { ...envelope, choices: [{ index: w.choice, delta, finish_reason: null }] } };
    },
  };
}

function put(delta: Record<string, unknown>, w: Where, text: string): void {
  if (w.field === 'tool') {
    const calls = Array.isArray(delta.tool_calls) ? delta.tool_calls : [];
    calls.push({ index: w.tool, function: { arguments: text } });
    delta.tool_calls = calls;
  } else if (w.field === 'function_call') {
    delta.function_call = { arguments: text };
  } else {
    delta[w.field] = text;
  }
}
