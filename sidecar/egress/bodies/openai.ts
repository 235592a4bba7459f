// OpenAI and Azure OpenAI request bodies: which API a path is, and what in its body is
// configuration rather than content. Paths are matched at the end, so the same rules serve
// api.openai.com (/v1/chat/completions), Azure deployments
// (/openai/deployments/<name>/chat/completions?api-version=...), Azure's v1 surface
// (/openai/v1/responses) and OpenAI-compatible providers.
//
// Content (masked): messages (contents, names, tool results, tool-call arguments, refusals),
// input and instructions (responses), input (embeddings), prompt and suffix (completions),
// user, metadata, prediction. Configuration (kept): the keys below.
import type { ShapeRules } from './shape.ts';

const COMMON = ['model', 'stream', 'stream_options', 'n', 'seed', 'logit_bias', 'logprobs', 'top_logprobs', 'service_tier', 'store'];

export const OPENAI_CHAT: ShapeRules = {
  keepTop: new Set([
    ...COMMON,
    'tools',
    'functions',
    'tool_choice',
    'function_call',
    'parallel_tool_calls',
    'response_format',
    'modalities',
    'audio',
    'reasoning_effort',
    'verbosity',
  ]),
};

export const OPENAI_RESPONSES: ShapeRules = {
  keepTop: new Set([
    ...COMMON,
    'tools',
    'tool_choice',
    'parallel_tool_calls',
    'text',
    'reasoning',
    'include',
    'previous_response_id',
    'conversation',
    'truncation',
    'background',
  ]),
};

export const OPENAI_EMBEDDINGS: ShapeRules = { keepTop: new Set(['model', 'encoding_format', 'dimensions']) };

export const OPENAI_COMPLETIONS: ShapeRules = { keepTop: new Set([...COMMON, 'echo', 'best_of']) };

export function openAiApi(pathname: string): { name: string; rules: ShapeRules } | undefined {
  if (/\/chat\/completions$/u.test(pathname)) return { name: 'openai-chat', rules: OPENAI_CHAT };
  if (/\/responses$/u.test(pathname)) return { name: 'openai-responses', rules: OPENAI_RESPONSES };
  if (/\/embeddings$/u.test(pathname)) return { name: 'openai-embeddings', rules: OPENAI_EMBEDDINGS };
  if (/\/completions$/u.test(pathname)) return { name: 'openai-completions', rules: OPENAI_COMPLETIONS };
  return undefined;
}
