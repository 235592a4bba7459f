// A tool's fingerprint: SHA-256 over the RFC 8785 canonical JSON of the parts of its definition
// that steer a model or a call (name, title, description, inputSchema, outputSchema,
// annotations). `_meta` and unknown members are left out: they change for reasons that are not
// a review matter (server build ids, icons), and a pin that broke on them would train people to
// approve without reading. Pure.
import { createHash } from 'node:crypto';
import { canonicalJson } from '../audit/canonical.ts';

export const PINNED_FIELDS = ['name', 'title', 'description', 'inputSchema', 'outputSchema', 'annotations'] as const;
export type PinnedField = (typeof PINNED_FIELDS)[number];

export type ToolDefinition = Partial<Record<PinnedField, unknown>> & { readonly name: string };

/** The reviewed part of a tools/list entry; undefined when it has no usable name. */
export function toolDefinition(tool: unknown): ToolDefinition | undefined {
  if (typeof tool !== 'object' || tool === null || Array.isArray(tool)) return undefined;
  const t = tool as Record<string, unknown>;
  if (typeof t.name !== 'string') return undefined;
  const out: Record<string, unknown> = {};
  for (const f of PINNED_FIELDS) if (t[f] !== undefined) out[f] = t[f];
  return out as ToolDefinition;
}

/** sha256:<hex>, the same form as an approval's argumentsDigest. Throws on values JSON cannot hold. */
export function fingerprint(definition: ToolDefinition): string {
  return `sha256:${createHash('sha256').update(canonicalJson(definition)).digest('hex')}`;
}

/** One field that differs between two definitions; schemas as canonical JSON text. */
export interface FieldChange {
  readonly field: PinnedField;
  readonly before?: string;
  readonly after?: string;
}

function shown(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : canonicalJson(value);
}

/** The fields that differ, in PINNED_FIELDS order. With no previous definition every present field is new. */
export function diffDefinitions(before: ToolDefinition | undefined, after: ToolDefinition): FieldChange[] {
  const out: FieldChange[] = [];
  for (const field of PINNED_FIELDS) {
    const a = shown(before?.[field]);
    const b = shown(after[field]);
    if (a === b) continue;
    out.push({ field, ...(a !== undefined ? { before: a } : {}), ...(b !== undefined ? { after: b } : {}) });
  }
  return out;
}

/** The diff as people read it: one block per field, - before, + after. */
export function renderDiff(tool: string, changes: readonly FieldChange[]): string {
  if (changes.length === 0) return `${tool}: no field differs\n`;
  const lines: string[] = [];
  for (const c of changes) {
    lines.push(`${tool}.${c.field}:`);
    if (c.before !== undefined) lines.push(...c.before.split('\n').map((l) => `  - ${l}`));
    if (c.after !== undefined) lines.push(...c.after.split('\n').map((l) => `  + ${l}`));
  }
  return `${lines.join('\n')}\n`;
}
