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

// Both walks below run over every server message, twice for its audit copy: they allocate only
// where the result differs from the input (no entries arrays, no copies of unchanged objects).

/** `value` without its protocol fields (shares what it does not change). */
export function withoutProtocolFields(value: unknown, depth = 0): unknown {
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const v = withoutProtocolFields(value[i], depth + 1);
      if (v !== value[i]) (out ??= value.slice())[i] = v;
    }
    return out ?? value;
  }
  if (!isObject(value)) return value;
  let out: Json | undefined;
  for (const k in value) {
    if (kept(value, k, depth)) {
      out ??= { ...value };
      delete out[k];
    } else if (!DATA.has(k)) {
      const v = value[k];
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
    let out: unknown[] | undefined;
    for (let i = 0; i < original.length; i++) {
      const v = withProtocolFields(original[i], masked[i], keep, depth + 1);
      if (v !== original[i]) (out ??= original.slice())[i] = v;
    }
    return out ?? original;
  }
  if (!isObject(original) || !isObject(masked)) return masked;
  // Built only from the first member that differs (or is left out), with the members before it.
  let out: Json | undefined;
  let dataKeys = 0;
  for (const k in original) {
    const v = original[k];
    const isKept = kept(original, k, depth);
    if (!isKept) dataKeys++;
    const left = !isKept && !(k in masked);
    const next = left ? undefined : isKept ? keep(v) : DATA.has(k) ? masked[k] : withProtocolFields(v, masked[k], keep, depth + 1);
    if (out === undefined && (left || next !== v)) out = membersBefore(original, k);
    if (out !== undefined && !left) out[k] = next;
  }
  if (out !== undefined) return out;
  // Unchanged only when the masked form has exactly the data members: none dropped, none added.
  return keyCount(masked) === dataKeys ? original : membersBefore(original, undefined);
}

/** A copy of `obj`'s members that come before `stop` (all of them when undefined). */
function membersBefore(obj: Json, stop: string | undefined): Json {
  const out: Json = {};
  for (const k in obj) {
    if (k === stop) break;
    out[k] = obj[k];
  }
  return out;
}

function keyCount(obj: Json): number {
  let n = 0;
  for (const _ in obj) n++;
  return n;
}

/** `value` with every protocol field passed through `fn` (the audit copy's value-only masking). */
export function mapProtocolFields(value: unknown, fn: (v: unknown) => unknown, depth = 0): unknown {
  return withProtocolFields(value, value, fn, depth);
}
