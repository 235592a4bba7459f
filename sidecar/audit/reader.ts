// Reads records in seq order from where the shipper left off, remembering its byte position so
// a long log is not rescanned for every batch. It never reads past the writer's durable seq:
// a record written but not yet fsynced may still be undone, and must not reach Azure first.
import type { Logger } from '../../lib/log.ts';
import { listSegments, type SegmentFile } from './layout.ts';
import { readLines } from './lines.ts';
import type { AuditRecord } from './record.ts';

export interface ReadBatch {
  readonly records: readonly AuditRecord[];
  /** Set when the next record's seq jumps: the log holds no records from `after`+1 to `to`. */
  readonly gap?: { readonly after: number; readonly to: number };
}

export class RecordReader {
  readonly #dir: string;
  readonly #skip: Set<number>;
  readonly #log: Logger;
  #lastSeen: number;
  #segment: SegmentFile | undefined;
  #offset = 0;
  #lineNo = 1;

  /** Starts after `afterSeq`; seqs in `skip` (acknowledged out of order) are passed over. */
  constructor(dir: string, afterSeq: number, skip: Iterable<number>, log: Logger) {
    this.#dir = dir;
    this.#lastSeen = afterSeq;
    this.#skip = new Set(skip);
    this.#log = log;
  }

  /** Up to `maxRecords` / about `maxBytes` of records with seq <= upTo. Empty when none is ready. */
  async next(maxRecords: number, maxBytes: number, upTo: number): Promise<ReadBatch> {
    const records: AuditRecord[] = [];
    if (this.#lastSeen >= upTo) return { records };
    const segments = await listSegments(this.#dir);
    if (this.#segment === undefined || !segments.some((s) => s.name === this.#segment!.name)) {
      // First call, or the segment was removed (retention, after everything in it was acknowledged).
      const start = segments.filter((s) => s.firstSeq <= this.#lastSeen + 1).at(-1) ?? segments[0];
      if (start === undefined) return { records };
      this.#segment = start;
      this.#offset = 0;
      this.#lineNo = 1;
    }
    let bytes = 0;
    for (;;) {
      const segment: SegmentFile = this.#segment;
      let stop = false;
      for await (const line of readLines(segment.path, this.#offset, this.#lineNo)) {
        if (!line.complete) {
          stop = true;
          break;
        }
        let rec: AuditRecord | undefined;
        try {
          rec = shippable(JSON.parse(line.text));
        } catch {
          rec = undefined;
        }
        if (rec === undefined) {
          // Only damage or tampering produces this (verify names it); shipping goes on around it.
          this.#log.error('audit shipper skipped an unreadable line; run audit verify', { segment: segment.name, line: line.lineNo });
          this.#advance(line.end, line.lineNo);
          continue;
        }
        if (rec.seq <= this.#lastSeen || this.#skip.has(rec.seq)) {
          this.#skip.delete(rec.seq);
          if (rec.seq > this.#lastSeen) this.#lastSeen = rec.seq;
          this.#advance(line.end, line.lineNo);
          continue;
        }
        if (rec.seq > upTo) {
          stop = true;
          break;
        }
        if (rec.seq !== this.#lastSeen + 1) {
          // Hand the records before the gap over first, so the cursor can step over it cleanly.
          stop = true;
          if (records.length === 0) return { records, gap: { after: this.#lastSeen, to: rec.seq - 1 } };
          break;
        }
        records.push(rec);
        bytes += line.end - line.start;
        this.#lastSeen = rec.seq;
        this.#advance(line.end, line.lineNo);
        if (records.length >= maxRecords || bytes >= maxBytes) {
          stop = true;
          break;
        }
      }
      if (stop) break;
      const next: SegmentFile | undefined = segments.find((s) => s.firstSeq > segment.firstSeq);
      if (next === undefined) break;
      this.#segment = next;
      this.#offset = 0;
      this.#lineNo = 1;
    }
    return { records };
  }

  /** Steps over a gap the caller has recorded. */
  skipGap(to: number): void {
    if (to > this.#lastSeen) this.#lastSeen = to;
  }

  #advance(end: number, lineNo: number): void {
    this.#offset = end;
    this.#lineNo = lineNo + 1;
  }
}

/** The record if it has what an event needs; only damage or tampering makes it fall short. */
function shippable(v: unknown): AuditRecord | undefined {
  if (v === null || typeof v !== 'object') return undefined;
  const r = v as Partial<Record<keyof AuditRecord, unknown>>;
  const principal = r.principal as { sub?: unknown } | null | undefined;
  const ok =
    typeof r.seq === 'number' &&
    Number.isSafeInteger(r.seq) &&
    typeof r.time === 'string' &&
    !Number.isNaN(Date.parse(r.time)) &&
    typeof r.hash === 'string' &&
    typeof r.prev === 'string' &&
    typeof r.kind === 'string' &&
    typeof r.decision === 'string' &&
    typeof principal === 'object' &&
    principal !== null &&
    typeof principal.sub === 'string' &&
    typeof r.masked === 'object' &&
    r.masked !== null;
  return ok ? (v as AuditRecord) : undefined;
}
