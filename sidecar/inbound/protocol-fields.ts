// Fields the protocol uses to correlate or address messages are not data: a progress token,
// a pagination cursor, a task or subscription id, requestState, _meta, the URI of a resource
// the client must send back. Masking one breaks the client (a string progressToken "job-42"
// that came back as [SECRET], because its key ends in "token", cut the link between the
// notifications and their request). So they are taken out before a server message is masked
// and put back unchanged after; the audit copy gets them masked by value detectors only (no
// key-name heuristic), so a URI naming a person is still masked on disk. Pure: no I/O.

/** Keys kept wherever they appear (outside tool data): metadata, correlation and cache hints. */
const ANYWHERE: ReadonlySet<string> = new Set(['_meta', 'progressToken', 'taskId', 'subscriptionId', 'requestState', 'nextCursor', 'resultType', 'cacheScope', 'ttlMs']);
/** Keys kept only at the top of params or result: they address the request or the resource. */
const TOP: ReadonlySet<string> = new Set(['cursor', 'requestId', 'uri']);
/** Keys whose values are the tool's or the caller's own data: nothing inside is protocol. */
const DATA: ReadonlySet<string> = new Set(['structuredContent', 'arguments']);

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A resource, resource contents or resource link: its `uri` is how the client names it later. */
function isResourceShaped(obj: Json): boolean {
  if (typeof obj.uri !== 'string') return false;
  return obj.type === 'resource_link' || 'text' in obj || 'blob' in obj || 'name' in obj || 'mimeType' in obj;
}

function kept(obj: Json, key: string, depth: number): boolean {
  if (ANYWHERE.has(key)) return true;
  if (depth === 0 && TOP.has(key)) return true;
  if (key === 'uri' || key === 'uriTemplate') return isResourceShaped(obj) || typeof obj.uriTemplate === 'string';
  return false;
}

/** `value` without its protocol fields (shares what it does not change). */
export function withoutProtocolFields(value: unknown, depth = 0): unknown {
  if (Array.isArray(value)) {
    const out = value.map((v) => withoutProtocolFields(v, depth + 1));
    return out.some((v, i) => v !== value[i]) ? out : value;
  }
  if (!isObject(value)) return value;
  let out: Json | undefined;
  for (const [k, v] of Object.entries(value)) {
    if (kept(value, k, depth)) {
      out ??= { ...value };
      delete out[k];
    } else if (!DATA.has(k)) {
      const inner = withoutProtocolFields(v, depth + 1);
      if (inner !== v) (out ??= { ...value })[k] = inner;
    }
  }
  return out ?? value;
}

/**
 * `masked` (the masked form of withoutProtocolFields(original)) with the protocol fields of
 * `original` put back where they were, through `keep` (identity for the client). A value the
 * masker replaced whole (a `fields` path) stays replaced.
 */
export function withProtocolFields(original: unknown, masked: unknown, keep: (v: unknown) => unknown = (v) => v, depth = 0): unknown {
  if (Array.isArray(original)) {
    if (!Array.isArray(masked) || masked.length !== original.length) return masked;
    const out = original.map((v, i) => withProtocolFields(v, masked[i], keep, depth + 1));
    return out.every((v, i) => v === original[i]) ? original : out;
  }
  if (!isObject(original) || !isObject(masked)) return masked;
  const out: Json = {};
  let same = true;
  for (const [k, v] of Object.entries(original)) {
    let next: unknown;
    if (kept(original, k, depth)) next = keep(v);
    else if (!(k in masked)) continue;
    else next = DATA.has(k) ? masked[k] : withProtocolFields(v, masked[k], keep, depth + 1);
    same &&= next === v;
    out[k] = next;
  }
  return same && Object.keys(masked).length + countKept(original, depth) === Object.keys(original).length ? original : out;
}

function countKept(obj: Json, depth: number): number {
  return Object.keys(obj).filter((k) => kept(obj, k, depth)).length;
}

/** `value` with every protocol field passed through `fn` (the audit copy's value-only masking). */
export function mapProtocolFields(value: unknown, fn: (v: unknown) => unknown, depth = 0): unknown {
  return withProtocolFields(value, value, fn, depth);
}
