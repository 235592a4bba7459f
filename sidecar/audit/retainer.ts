// Retention as the writer runs it. retention.ts decides which segments may go; this module
// gathers what that decision needs (each segment's size and newest record, the writer's open
// segment, what the shipper has acknowledged), carries it out (the anchor is durable before any
// segment is removed), runs it on a timer, and keeps the directory's size: the hard cap at
// which appends are refused until retention or the shipper makes room.
//
// It shares the writer's state, so every call must run inside the writer's one-at-a-time job
// queue (the timer's job goes through it too).
import { open, stat } from 'node:fs/promises';
import type { Logger } from '../../lib/log.ts';
import { parseRecordLine, type ChainHead } from './chain.ts';
import { readCursor } from './cursor.ts';
import { fsyncDir, listSegments, readAnchor, removeFile, writeAnchor } from './layout.ts';
import { lastNewline, lineEndingAt } from './lines.ts';
import { planRetention, type RetentionPlan, type RetentionPolicy, type SegmentStat } from './retention.ts';

/** Where the writer stands, as retention needs it. */
export interface WriterPosition {
  /** The segment the writer has open (never removed), if any. */
  readonly activeSegment: string | undefined;
  /** Seq of the newest durable record: the last seq of the newest segment. */
  readonly headSeq: number;
}

export interface RetainerOptions {
  readonly dir: string;
  readonly policy: RetentionPolicy;
  /** At least policy.maxBytes (the writer checks). */
  readonly hardCapBytes: number;
  readonly holdUnshipped: boolean;
  readonly intervalMs: number;
  readonly log: Logger;
  readonly now: () => number;
  readonly position: () => WriterPosition;
}

export class Retainer {
  readonly #dir: string;
  readonly #policy: RetentionPolicy;
  readonly #hardCapBytes: number;
  readonly #intervalMs: number;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #position: () => WriterPosition;
  /** Keep every record until the shipper acknowledged it. */
  holdUnshipped: boolean;
  /** Bytes of the directory's segments, as the writer and the last retention run count them. */
  #totalBytes = 0;
  #overBudget = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(o: RetainerOptions) {
    this.#dir = o.dir;
    this.#policy = o.policy;
    this.#hardCapBytes = o.hardCapBytes;
    this.holdUnshipped = o.holdUnshipped;
    this.#intervalMs = o.intervalMs;
    this.#log = o.log;
    this.#now = o.now;
    this.#position = o.position;
  }

  /** Counts bytes added to the directory's segments. */
  added(bytes: number): void {
    this.#totalBytes += bytes;
  }

  /** Whether `bytes` more fit under the hard cap. */
  fits(bytes: number): boolean {
    return this.#totalBytes + bytes <= this.#hardCapBytes;
  }

  /** Refuses a write that would take the directory past the hard cap, after trying retention. */
  async reserve(bytes: number): Promise<void> {
    if (this.fits(bytes)) return;
    await this.retain(bytes);
    if (this.fits(bytes)) return;
    const err = new Error(
      `audit log ${this.#dir} reached its hard size cap (${this.#hardCapBytes} bytes) with records not yet shipped to Azure Monitor; refusing new records until the shipper catches up or the cap is raised`,
    ) as NodeJS.ErrnoException;
    err.code = 'SIZE_CAP';
    throw err;
  }

  /** Runs `job` (which must queue a retain()) every intervalMs until stop(). */
  every(job: () => void): void {
    this.#timer = setInterval(job, this.#intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** `needBytes`: room a write waits for; retention then also removes (acknowledged segments) to make it. */
  async retain(needBytes = 0): Promise<RetentionPlan> {
    const files = await listSegments(this.#dir);
    const stats: SegmentStat[] = [];
    for (const [i, f] of files.entries()) {
      const at = this.#position();
      const active = at.activeSegment !== undefined && f.name === at.activeSegment;
      const { bytes, newestMs } = await this.#segmentAge(f.path, active);
      const next = files[i + 1];
      stats.push({ ...f, bytes, newestMs, active, lastSeq: next ? next.firstSeq - 1 : this.#position().headSeq });
    }
    let acked: number | undefined;
    if (this.holdUnshipped) {
      try {
        acked = (await readCursor(this.#dir))?.ackedSeq ?? 0;
      } catch (err) {
        this.#log.warn('cannot read the shipper cursor; retention keeps everything', { err });
        acked = 0;
      }
    }
    const policy = { maxAgeMs: this.#policy.maxAgeMs, maxBytes: Math.min(this.#policy.maxBytes, this.#hardCapBytes - needBytes) };
    const plan = planRetention(stats, this.#now(), policy, acked);
    this.#totalBytes = plan.totalBytes;
    if (plan.remove.length > 0) await this.#remove(plan.remove);
    const over = plan.heldForShipping !== undefined && plan.keptBytes > this.#policy.maxBytes;
    if (over && !this.#overBudget) {
      this.#log.warn('audit log over its retention budget: records not yet acknowledged by Azure Monitor are kept; at the hard cap new requests are refused', {
        bytes: plan.keptBytes,
        maxBytes: this.#policy.maxBytes,
        hardCapBytes: this.#hardCapBytes,
        unshippedFromSeq: plan.heldForShipping?.fromSeq,
      });
    }
    this.#overBudget = over;
    return plan;
  }

  /** Size and the time of the newest record (the record's own time: the clock retention ages by). */
  async #segmentAge(path: string, active: boolean): Promise<{ bytes: number; newestMs: number }> {
    const st = await stat(path);
    if (active) return { bytes: st.size, newestMs: this.#now() };
    const fh = await open(path, 'r');
    try {
      const nl = await lastNewline(fh, st.size);
      if (nl !== -1) {
        const time = (JSON.parse((await lineEndingAt(fh, nl)).text) as { time?: unknown }).time;
        const ms = typeof time === 'string' ? Date.parse(time) : Number.NaN;
        if (!Number.isNaN(ms)) return { bytes: st.size, newestMs: ms };
      }
    } catch {
      // An unreadable last line: fall back to the file's mtime.
    } finally {
      await fh.close();
    }
    return { bytes: st.size, newestMs: st.mtimeMs };
  }

  async #remove(remove: readonly SegmentStat[]): Promise<void> {
    const last = remove.at(-1)!;
    const fh = await open(last.path, 'r');
    let lastHead: ChainHead;
    try {
      const nl = await lastNewline(fh, (await fh.stat()).size);
      const parsed = nl === -1 ? undefined : parseRecordLine((await lineEndingAt(fh, nl)).text);
      if (parsed === undefined || 'problem' in parsed || parsed.record.seq !== last.lastSeq) {
        this.#log.error('retention skipped: the last record of a segment to remove does not verify; run audit verify', { segment: last.name });
        return;
      }
      lastHead = { seq: parsed.record.seq, hash: parsed.record.hash };
    } finally {
      await fh.close();
    }
    const previous = await readAnchor(this.#dir).catch(() => undefined);
    const removedRecords = remove.reduce((n, s) => n + (s.lastSeq - s.firstSeq + 1), previous?.removedRecords ?? 0);
    // The anchor is durable before any segment goes, so verify can always start from it.
    await writeAnchor(this.#dir, { seq: lastHead.seq, hash: lastHead.hash, time: new Date(this.#now()).toISOString(), removedRecords });
    for (const s of remove) await removeFile(s.path);
    await fsyncDir(this.#dir);
    this.#totalBytes -= remove.reduce((n, s) => n + s.bytes, 0);
    this.#log.info('retention removed audit segments', { segments: remove.map((s) => s.name), throughSeq: lastHead.seq });
  }
}
