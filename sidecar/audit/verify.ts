// Verifies an audit directory end to end: every segment in seq order, every line against its
// hash, its seq and its predecessor's hash, starting from genesis or from the retention anchor.
//
// After retention has removed old segments the chain no longer starts at seq 1. anchor.json
// holds the seq and hash of the last removed record, written (and fsynced) before the removal,
// so the first remaining record must carry that hash as its prev. A crash between writing the
// anchor and unlinking may leave records older than the anchor: they are checked among
// themselves and the anchor must match the record with its seq.
//
// What a hash chain without an outside witness cannot show: removing records from the end, or
// rewriting every record from some point on (the algorithm is public). The copy shipped to
// Azure Monitor carries seq, prev and hash of every record and is that witness.
import { basename } from 'node:path';
import { linkProblem, parseRecordLine, type ChainHead, type ProblemKind } from './chain.ts';
import { listSegments, readAnchor, strayJsonl, type Anchor } from './layout.ts';
import { readLines } from './lines.ts';
import { GENESIS_PREV } from './record.ts';

export interface VerifyProblem {
  readonly file: string;
  /** 1-based; 0 when the problem is about a file or the directory rather than a line. */
  readonly line: number;
  readonly seq: number | undefined;
  readonly kind: ProblemKind | 'torn' | 'anchor' | 'segment';
  readonly message: string;
}

export interface VerifyResult {
  readonly ok: boolean;
  readonly problem?: VerifyProblem;
  readonly records: number;
  readonly segments: number;
  readonly firstSeq: number | undefined;
  readonly lastSeq: number | undefined;
  readonly anchor: Anchor | undefined;
  /** Things worth knowing that do not break the chain (a torn tail left by a crash). */
  readonly notes: readonly string[];
}

export async function verifyAuditDir(dir: string): Promise<VerifyResult> {
  const segments = await listSegments(dir);
  const notes: string[] = [];
  let anchor: Anchor | undefined;
  let records = 0;
  let firstSeq: number | undefined;
  let lastSeq: number | undefined;
  const result = (problem?: VerifyProblem): VerifyResult => ({
    ok: problem === undefined,
    ...(problem ? { problem } : {}),
    records,
    segments: segments.length,
    firstSeq,
    lastSeq,
    anchor,
    notes,
  });
  try {
    anchor = await readAnchor(dir);
  } catch (err) {
    return result({ file: 'anchor.json', line: 0, seq: undefined, kind: 'anchor', message: (err as Error).message });
  }
  for (const stray of await strayJsonl(dir).catch(() => [])) notes.push(`${stray}: ignored, not a segment name (audit-<16-digit seq>.jsonl)`);

  let head: ChainHead | undefined;
  let headWhere = '';
  // Set while records older than the anchor remain (crash between anchor write and unlink).
  let pendingAnchor: Anchor | undefined;

  for (const [index, segment] of segments.entries()) {
    const isLast = index === segments.length - 1;
    let firstInSegment = true;
    for await (const line of readLines(segment.path)) {
      const at = (seq: number | undefined, kind: VerifyProblem['kind'], message: string): VerifyResult =>
        result({ file: segment.name, line: line.lineNo, seq, kind, message });
      if (!line.complete) {
        if (isLast) {
          notes.push(`${segment.name}: ends with an incomplete line of ${line.end - line.start} bytes after seq ${lastSeq ?? '-'} (a write torn by a crash; the next open cuts it)`);
          break;
        }
        return at(undefined, 'torn', 'incomplete last line in a segment that is not the newest: the file was truncated');
      }
      const parsed = parseRecordLine(line.text);
      if ('problem' in parsed) return at(parsed.problem.seq, parsed.problem.kind, parsed.problem.message);
      const rec = parsed.record;
      if (firstInSegment && rec.seq !== segment.firstSeq) {
        return at(rec.seq, 'segment', `segment name says its first record is seq ${segment.firstSeq}, but it is seq ${rec.seq} (file renamed, replaced or reassembled)`);
      }
      firstInSegment = false;
      if (head === undefined) {
        const start = startOfChain(rec.seq, rec.prev, anchor);
        if (start.problem) return at(rec.seq, start.problem.kind, start.problem.message);
        pendingAnchor = start.pendingAnchor;
      } else {
        const p = linkProblem(head, rec, headWhere);
        if (p) return at(p.seq, p.kind, p.message);
      }
      if (pendingAnchor !== undefined && rec.seq === pendingAnchor.seq) {
        if (rec.hash !== pendingAnchor.hash) {
          return at(rec.seq, 'anchor', `anchor.json records hash ${pendingAnchor.hash.slice(0, 12)}… for seq ${rec.seq}, but this record hashes to ${rec.hash.slice(0, 12)}…`);
        }
        pendingAnchor = undefined;
      }
      head = { seq: rec.seq, hash: rec.hash };
      headWhere = `seq ${rec.seq} (${segment.name}:${line.lineNo})`;
      records++;
      firstSeq ??= rec.seq;
      lastSeq = rec.seq;
    }
    if (firstInSegment && !isLast) notes.push(`${segment.name}: empty`);
  }
  if (pendingAnchor !== undefined) {
    return result({ file: 'anchor.json', line: 0, seq: pendingAnchor.seq, kind: 'anchor', message: `anchor.json names seq ${pendingAnchor.seq}, which no segment holds` });
  }
  if (head === undefined && anchor !== undefined) notes.push(`no records; retention removed everything up to seq ${anchor.seq}`);
  return result();
}

function startOfChain(
  seq: number,
  prev: string,
  anchor: Anchor | undefined,
): { problem?: { kind: VerifyProblem['kind']; message: string }; pendingAnchor?: Anchor } {
  if (seq === 1) {
    if (prev !== GENESIS_PREV) return { problem: { kind: 'prev', message: `the first record's prev is not the genesis value (${GENESIS_PREV.slice(0, 12)}…)` } };
    return anchor !== undefined && anchor.seq >= 1 ? { pendingAnchor: anchor } : {};
  }
  if (anchor === undefined) {
    return {
      problem: {
        kind: 'seq',
        message: `the chain starts at seq ${seq}, but no retention anchor (anchor.json) accounts for records 1..${seq - 1}: they were deleted outside retention`,
      },
    };
  }
  if (anchor.seq === seq - 1) {
    if (prev !== anchor.hash) return { problem: { kind: 'prev', message: `prev does not match the hash anchor.json records for seq ${anchor.seq}, the last record retention removed` } };
    return {};
  }
  if (anchor.seq < seq - 1) {
    return { problem: { kind: 'seq', message: `seq gap after the retention anchor: anchor.json ends at seq ${anchor.seq}, the oldest segment starts at ${seq}: records ${anchor.seq + 1}..${seq - 1} are missing` } };
  }
  return { pendingAnchor: anchor };
}

/** The CLI's one-line description of a problem: FILE:LINE: seq N: what. */
export function formatProblem(dir: string, p: VerifyProblem): string {
  const where = p.line > 0 ? `${dir}/${basename(p.file)}:${p.line}` : `${dir}/${basename(p.file)}`;
  return `${where}: ${p.seq !== undefined ? `seq ${p.seq}: ` : ''}${p.message}`;
}
