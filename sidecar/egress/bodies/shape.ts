// Field-by-field masking of a provider request: content is masked, configuration is not.
// The rules name what to leave alone (model names, tool schemas, identifiers, signatures,
// base64 media) rather than what to mask, so a field a provider adds tomorrow is masked by
// default. Numbers and booleans are never touched. Pure.
import type { Masker, MaskReport } from '../../masking/engine.ts';
import { setOwn } from '../../masking/json.ts';

export interface ShapeRules {
  /** Top-level keys left as they are: configuration, schemas, identifiers. */
  readonly keepTop: ReadonlySet<string>;
}

/**
 * Keys left alone at any depth: discriminators, identifiers that tie a conversation together
 * (a masked tool_call_id would no longer match its call), and signed or encrypted blobs the
 * provider verifies byte for byte.
 */
const KEEP_NESTED: ReadonlySet<string> = new Set([
  'type',
  'role',
  'id',
  'call_id',
  'tool_call_id',
  'tool_use_id',
  'item_id',
  'file_id',
  'signature',
  'encrypted_content',
  'cache_control',
  'media_type',
  'status',
]);

export function maskShaped(body: Record<string, unknown>, rules: ShapeRules, masker: Masker, report: MaskReport): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) setOwn(out, key, rules.keepTop.has(key) ? value : maskNode(value, key, body, masker, report, 0));
  return out;
}

// Deeper than any real request; a hostile one is masked whole instead of walked.
const MAX_DEPTH = 64;

function maskNode(value: unknown, key: string, parent: object, masker: Masker, report: MaskReport, depth: number): unknown {
  if (typeof value === 'string') return isMedia(key, parent, value) ? value : masker.maskJson(value, report);
  if (value === null || typeof value !== 'object') return value;
  if (depth > MAX_DEPTH) return masker.maskJson(value, report);
  if (Array.isArray(value)) return value.map((v) => maskNode(v, key, value, masker, report, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    setOwn(out, k, KEEP_NESTED.has(k) ? v : maskNode(v, k, value, masker, report, depth + 1));
  }
  return out;
}

/**
 * Base64 images, audio and files: they cannot be masked as text, and a detector firing inside
 * one would corrupt it. Data URLs, Anthropic `source: {type: base64, data}`, OpenAI
 * `input_audio: {data, format}` and `file_data`.
 */
function isMedia(key: string, parent: object, value: string): boolean {
  if (value.startsWith('data:') && value.slice(0, 200).includes(';base64,')) return true;
  if (key === 'file_data') return true;
  if (key === 'data') {
    const p = parent as Record<string, unknown>;
    return p.type === 'base64' || typeof p.format === 'string';
  }
  return false;
}
