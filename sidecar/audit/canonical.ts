// RFC 8785 (JCS) canonical JSON: what approval digests and tool fingerprints hash, and what the
// hash of a format-1 audit record (one without "v", written before format 2, seal.ts) is over.
// Third parties verify those records with any JCS implementation:
//
//   hash = lowercase hex SHA-256 of the UTF-8 bytes of JCS(record without its "hash" member)
//
// For the values a record can hold this serializer is JCS: object members sorted by the UTF-16
// code units of their names, no whitespace, strings escaped as ECMAScript JSON.stringify
// escapes them, numbers written as ECMAScript Number#toString writes them (integers as plain
// digits). The one divergence: a string holding a lone UTF-16 surrogate (not valid I-JSON) is
// written as a \udxxx escape where a strict JCS library would refuse it.
import { createHash } from 'node:crypto';

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

/** The hash a parsed format-1 record should carry: over its canonical form without "hash". */
export function expectedHash(parsed: Record<string, unknown>): string {
  const { hash: _hash, ...rest } = parsed;
  return sha256Hex(canonicalJson(rest));
}
