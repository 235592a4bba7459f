// The rules a chain of records obeys, as pure checks: each line is a record whose hash matches
// its content (format 2: the line as written; format 1: its canonical JSON), whose seq is one
// more than the record before it, and whose prev is that record's hash. The writer uses them on
// the chain head at open; verify on every line.
import { expectedHash } from './canonical.ts';
import { lineHash, RECORD_FORMAT } from './seal.ts';

export interface ParsedRecord {
  readonly seq: number;
  readonly prev: string;
  readonly hash: string;
  readonly value: Record<string, unknown>;
}

/** The last record accepted so far (or the retention anchor, or genesis). */
export interface ChainHead {
  readonly seq: number;
  readonly hash: string;
}

export type ProblemKind = 'unparsable' | 'malformed' | 'hash' | 'seq' | 'prev';

export interface LineProblem {
  readonly kind: ProblemKind;
  readonly seq?: number;
  readonly message: string;
}

const HEX64 = /^[0-9a-f]{64}$/u;

/** Parses one line and checks it against its own hash. */
export function parseRecordLine(text: string): { record: ParsedRecord } | { problem: LineProblem } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { problem: { kind: 'unparsable', message: 'not valid JSON (corrupted or hand-edited)' } };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { problem: { kind: 'malformed', message: 'not a JSON object' } };
  }
  const v = value as Record<string, unknown>;
  const seq = v.seq;
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1) return { problem: { kind: 'malformed', message: 'has no valid seq' } };
  if (typeof v.hash !== 'string' || !HEX64.test(v.hash)) return { problem: { kind: 'malformed', seq, message: 'has no valid hash' } };
  if (typeof v.prev !== 'string' || !HEX64.test(v.prev)) return { problem: { kind: 'malformed', seq, message: 'has no valid prev' } };
  if (v.v !== undefined && v.v !== RECORD_FORMAT) return { problem: { kind: 'malformed', seq, message: `has an unknown record format (v ${JSON.stringify(v.v)})` } };
  let computed: string;
  try {
    // Format 2 is hashed over the line as written; records without "v" (format 1) over their canonical JSON.
    computed = v.v === RECORD_FORMAT ? lineHash(text) : expectedHash(v);
  } catch (err) {
    return { problem: { kind: 'malformed', seq, message: `cannot be hashed: ${(err as Error).message}` } };
  }
  if (computed !== v.hash) {
    return {
      problem: {
        kind: 'hash',
        seq,
        message: `hash mismatch: the record was edited after it was written (stored ${v.hash.slice(0, 12)}…, content hashes to ${computed.slice(0, 12)}…)`,
      },
    };
  }
  return { record: { seq, prev: v.prev, hash: v.hash, value: v } };
}

/** Checks that `record` follows `head`; `where` names head's position for the message. */
export function linkProblem(head: ChainHead, record: ParsedRecord, where: string): LineProblem | undefined {
  const expected = head.seq + 1;
  if (record.seq > expected) {
    const missing = record.seq - 1 === expected ? `record ${expected} is` : `records ${expected}..${record.seq - 1} are`;
    return { kind: 'seq', seq: record.seq, message: `seq gap: expected seq ${expected}, found ${record.seq}: ${missing} missing (deleted or moved)` };
  }
  if (record.seq < expected) {
    return { kind: 'seq', seq: record.seq, message: `seq out of order: expected seq ${expected}, found ${record.seq} (records reordered, duplicated or inserted)` };
  }
  if (record.prev !== head.hash) {
    return {
      kind: 'prev',
      seq: record.seq,
      message: `prev mismatch: prev is not the hash of ${where}: that record was edited and re-hashed, or records were deleted, reordered or inserted between them`,
    };
  }
  return undefined;
}
