// The canonical JSON text a record's hash is computed over, and the sealing of an entry into a
// chained record. Third parties verify records with any RFC 8785 (JCS) implementation:
//
//   hash = lowercase hex SHA-256 of the UTF-8 bytes of JCS(record without its "hash" member)
//
// For the values a record can hold this serializer is JCS: object members sorted by the UTF-16
// code units of their names, no whitespace, strings escaped as ECMAScript JSON.stringify
// escapes them, numbers written as ECMAScript Number#toString writes them (integers as plain
// digits). The one divergence: a string holding a lone UTF-16 surrogate (not valid I-JSON) is
// written as a \udxxx escape where a strict JCS library would refuse it.
import { createHash } from 'node:crypto';
import type { AuditEntry, AuditRecord } from './record.ts';

export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError('canonical JSON has no form for a non-finite number');
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) out += (i === 0 ? '' : ',') + canonicalJson(value[i]);
        return `${out}]`;
      }
      const keys = Object.keys(value).sort();
      let out = '{';
      let first = true;
      for (const key of keys) {
        const v = (value as Record<string, unknown>)[key];
        if (v === undefined) continue;
        out += `${first ? '' : ','}${JSON.stringify(key)}:${canonicalJson(v)}`;
        first = false;
      }
      return `${out}}`;
    }
    default:
      throw new TypeError(`canonical JSON has no form for a ${typeof value}`);
  }
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * An entry with its members already in canonical text, so that sealing (which happens later,
 * when the writer knows the chain position) neither re-serializes the payload nor sees changes
 * a caller makes to its objects after append() returned.
 */
export interface PreparedEntry {
  readonly entry: AuditEntry;
  readonly time: string;
  /** [name, canonical value text], sorted by name; without seq, prev and hash. */
  readonly members: readonly (readonly [string, string])[];
  /** Rough line size, for size-based decisions before sealing. */
  readonly bytes: number;
}

export function prepareEntry(entry: AuditEntry, time: string): PreparedEntry {
  const members: [string, string][] = [];
  let bytes = 200;
  for (const [key, value] of Object.entries(entry)) {
    if (value === undefined) continue;
    const text = canonicalJson(value);
    members.push([key, text]);
    bytes += key.length + text.length + 4;
  }
  members.push(['time', JSON.stringify(time)]);
  members.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return { entry, time, members, bytes };
}

export interface Sealed {
  readonly record: AuditRecord;
  /** The JSON line as written, newline included: canonical members, then "hash" last. */
  readonly line: string;
}

/** Gives a prepared entry its place in the chain: seq, prev, hash. */
export function seal(prepared: PreparedEntry, seq: number, prev: string): Sealed {
  const chain: [string, string][] = [
    ['prev', JSON.stringify(prev)],
    ['seq', String(seq)],
  ];
  let text = '{';
  let i = 0;
  let j = 0;
  const m = prepared.members;
  while (i < m.length || j < chain.length) {
    const takeChain = i >= m.length || (j < chain.length && chain[j]![0] < m[i]![0]);
    const [k, v] = takeChain ? chain[j++]! : m[i++]!;
    text += `${text.length === 1 ? '' : ','}"${k}":${v}`;
  }
  text += '}';
  const hash = sha256Hex(text);
  return {
    record: { ...prepared.entry, seq, time: prepared.time, prev, hash },
    // The line is not itself canonical (hash goes last, outside the sorted order): verifiers
    // parse it, drop "hash" and re-serialize, so only the hashed form has to be canonical.
    line: `${text.slice(0, -1)},"hash":"${hash}"}\n`,
  };
}

/** The hash a parsed record should carry: over its canonical form without "hash". */
export function expectedHash(parsed: Record<string, unknown>): string {
  const { hash: _hash, ...rest } = parsed;
  return sha256Hex(canonicalJson(rest));
}
