// How an entry becomes a chained line on disk (record format 2), and how that line's hash is
// checked. A format-2 record's hash is over the exact text written:
//
//   hash = lowercase hex SHA-256 of the UTF-8 bytes of the line without its last member,
//          `,"hash":"<hex>"`, and without the newline
//
// so the line is serialized once, by JSON.stringify, and hashed as it is; a verifier needs no
// canonical JSON, only the line. The line starts with "v":2, which names the rule. Records
// without "v" are format 1 (hashed over RFC 8785 canonical JSON, canonical.ts) and verify as
// they always did, so logs written before keep verifying and a chain may hold both.
import { createHash } from 'node:crypto';
import { sha256Hex } from './canonical.ts';
import type { AuditEntry, AuditRecord } from './record.ts';

export const RECORD_FORMAT = 2;

/**
 * An entry serialized at append time, so that sealing (later, when the writer knows the chain
 * position) neither serializes again nor sees changes a caller makes to its objects after
 * append() returned.
 */
export interface PreparedEntry {
  readonly entry: AuditEntry;
  readonly time: string;
  /** JSON.stringify of the entry: `{<members>}`. */
  readonly members: string;
  /** Rough line size, for size-based decisions before sealing. */
  readonly bytes: number;
}

export function prepareEntry(entry: AuditEntry, time: string): PreparedEntry {
  const members = JSON.stringify(entry);
  return { entry, time, members, bytes: members.length + 200 };
}

const OPEN = `{"v":${RECORD_FORMAT},`;

export interface Sealed {
  readonly record: AuditRecord;
  /**
   * The JSON line as written, newline included, in pieces: joined, they are the line. They are
   * hashed and written one after the other, never joined: a line is a few KB, and joining or
   * flattening it would copy it twice more on every record.
   */
  readonly parts: readonly string[];
}

/** Gives a prepared entry its place in the chain: seq, prev, hash. */
export function seal(prepared: PreparedEntry, seq: number, prev: string): Sealed {
  // pickEntry made the entry a plain object of JSON values with kind first: never "{}".
  const members = prepared.members.slice(1, -1);
  const chain = `,"time":${JSON.stringify(prepared.time)},"seq":${seq},"prev":"${prev}"`;
  const hash = createHash('sha256').update(OPEN).update(members).update(chain).update('}').digest('hex');
  return {
    record: { ...prepared.entry, seq, time: prepared.time, prev, hash },
    parts: [OPEN, members, chain, `,"hash":"${hash}"}\n`],
  };
}

/** The line a sealed record is written as (tests; the writer writes the parts). */
export function lineOf(sealed: Sealed): string {
  return sealed.parts.join('');
}

/** `,"hash":"` + 64 hex digits + `"}`: how every format-2 line ends. */
const HASH_TAIL = /,"hash":"[0-9a-f]{64}"\}$/u;
const HASH_TAIL_LENGTH = 75;

/**
 * The hash a format-2 line (without its newline) should carry: over the line without its hash
 * member. Throws when the line does not end with that member, since then it is not what the
 * writer wrote and no part of it is known to be covered by the hash.
 */
export function lineHash(text: string): string {
  if (!HASH_TAIL.test(text)) throw new TypeError('a format 2 record must end with its "hash" member');
  return sha256Hex(`${text.slice(0, -HASH_TAIL_LENGTH)}}`);
}
