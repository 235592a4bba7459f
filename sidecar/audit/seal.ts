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
  /** The line so far: `{"v":2,<entry members>,"time":"..."`, unclosed; seq, prev and hash follow. */
  readonly head: string;
  /** Rough line size, for size-based decisions before sealing. */
  readonly bytes: number;
}

export function prepareEntry(entry: AuditEntry, time: string): PreparedEntry {
  // pickEntry made `entry` a plain object of JSON values with kind first: never "{}".
  const members = JSON.stringify(entry);
  const head = `{"v":${RECORD_FORMAT},${members.slice(1, -1)},"time":${JSON.stringify(time)}`;
  return { entry, time, head, bytes: head.length + 180 };
}

export interface Sealed {
  readonly record: AuditRecord;
  /** The JSON line as written, newline included; "hash" is its last member. */
  readonly line: string;
}

/** Gives a prepared entry its place in the chain: seq, prev, hash. */
export function seal(prepared: PreparedEntry, seq: number, prev: string): Sealed {
  const hashed = `${prepared.head},"seq":${seq},"prev":"${prev}"}`;
  const hash = sha256Hex(hashed);
  return {
    record: { ...prepared.entry, seq, time: prepared.time, prev, hash },
    line: `${hashed.slice(0, -1)},"hash":"${hash}"}\n`,
  };
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
