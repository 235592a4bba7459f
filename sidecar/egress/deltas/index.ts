// The delta adapters of every streaming format the gateway knows, behind one adapter that
// hands each event to the format it belongs to (by its shape, so OpenAI-compatible providers
// on other paths are served too).
import { anthropicAdapter, isAnthropicEvent } from './anthropic.ts';
import { isChatChunk, openAiChatAdapter } from './openai-chat.ts';
import { isResponsesEvent, openAiResponsesAdapter } from './openai-responses.ts';
import type { DeltaAdapter, JsonEvent } from './types.ts';

export type { DeltaAdapter, JsonEvent, Slot } from './types.ts';

export function providerDeltaAdapter(): DeltaAdapter {
  const formats: Array<{ prefix: string; accepts: (d: Record<string, unknown>) => boolean; adapter: DeltaAdapter }> = [
    { prefix: 'chat:', accepts: isChatChunk, adapter: openAiChatAdapter() },
    { prefix: 'anthropic:', accepts: isAnthropicEvent, adapter: anthropicAdapter() },
    { prefix: 'responses:', accepts: isResponsesEvent, adapter: openAiResponsesAdapter() },
  ];
  const pick = (e: JsonEvent): DeltaAdapter | undefined => formats.find((f) => f.accepts(e.data))?.adapter;
  const owner = (channel: string): DeltaAdapter | undefined => formats.find((f) => channel.startsWith(f.prefix))?.adapter;
  return {
    slots: (e) => pick(e)?.slots(e) ?? [],
    closes: (e, open) => {
      const f = formats.find((x) => x.accepts(e.data));
      if (f === undefined) return [];
      const closed = f.adapter.closes(e, new Set([...open].filter((c) => c.startsWith(f.prefix))));
      return closed === 'all' ? [...open].filter((c) => c.startsWith(f.prefix)) : closed;
    },
    absorb: (e, channel, text) => owner(channel)?.absorb(e, channel, text) ?? false,
    synthesize: (channel, text) => owner(channel)?.synthesize(channel, text),
  };
}
