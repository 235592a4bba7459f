// Anthropic Messages API request bodies (/v1/messages and /v1/messages/count_tokens).
//
// Content (masked): system (string or text blocks), messages (text, tool_use input, tool_result
// content, thinking, document text), metadata.user_id, stop_sequences. Configuration (kept):
// the keys below. Thinking blocks are masked like any text; their signature is kept: the
// model wrote them about tokens, restoration put the values in, and masking again gives the
// same tokens back (pseudonymize) or nothing to change (redact), so the signed text matches.
import type { ShapeRules } from './shape.ts';

export const ANTHROPIC_MESSAGES: ShapeRules = {
  keepTop: new Set([
    'model',
    'max_tokens',
    'stream',
    'temperature',
    'top_p',
    'top_k',
    'tools',
    'tool_choice',
    'thinking',
    'output_format',
    'output_config',
    'service_tier',
    'container',
    'mcp_servers',
    'context_management',
    'inference_geo',
    'anthropic_version',
  ]),
};

export function anthropicApi(pathname: string): { name: string; rules: ShapeRules } | undefined {
  return /\/messages(\/count_tokens)?$/u.test(pathname) ? { name: 'anthropic-messages', rules: ANTHROPIC_MESSAGES } : undefined;
}
