// The local audit log: append-only JSON-lines segments under one directory, each record chained
// to the one before it. append() resolves only once its record is on disk (written and
// fdatasync'ed); a failed write rejects, turns health() not-ok with the reason and is undone
// (the partial bytes truncated away) so the file always ends on a whole record.
//
// Durability policies:
//   fsync  (default) a flush starts as soon as the previous one ends and takes every record
//          queued meanwhile: one write + one fdatasync per flush. An idle sidecar pays one
//          fdatasync per record and no added wait; under load records share fsyncs naturally.
//   group  a flush starts at most every intervalMs: appends wait up to intervalMs for a shared
//          fdatasync. Fewer fsyncs under moderate load, at the cost of that wait on every request.
// Neither ever resolves an append before its record is durable; fsync is the default because
// it adds no latency beyond the disk's own and group only pays off on disks with slow fsyncs.
//
// One process writes a directory at a time (the sidecar owns its audit volume).
import { mkdir, open, stat, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { HealthState } from '../health.ts';
import type { SidecarMetrics } from '../metrics.ts';
import { silentLogger, type Logger } from '../../lib/log.ts';
import { prepareEntry, seal, type PreparedEntry } from './canonical.ts';
import { parseRecordLine, type ChainHead } from './chain.ts';
import { readCursor } from './cursor.ts';
import { appendNote, fsyncDir, listSegments, readAnchor, removeFile, REPAIRS_FILE, segmentName, writeAnchor, type SegmentFile } from './layout.ts';
import { lastNewline, lineEndingAt } from './lines.ts';
import { GENESIS_PREV, pickEntry, type AuditEntry, type AuditRecord } from './record.ts';
import { planRetention, type RetentionPlan, type RetentionPolicy, type SegmentStat } from './retention.ts';

export type Durability = { readonly mode: 'fsync' } | { readonly mode: 'group'; readonly intervalMs: number };

export interface RetentionOptions extends Partial<RetentionPolicy> {
  /**
   * Appends are refused (fail closed) when the directory would grow beyond this. Default:
   * maxBytes. Reached only when records that may not be removed (not yet shipped) fill it.
   */
  readonly hardCapBytes?: number;
  /** Keep every record until the shipper acknowledged it (set when Azure Monitor is configured). */
  readonly holdUnshipped?: boolean;
  readonly intervalMs?: number;
}

export interface AuditLogOptions {
  readonly dir: string;
  readonly durability?: Durability;
  /** A new segment starts when the current one would exceed this. */
  readonly segmentMaxBytes?: number;
  /** ... or when its first record is older than this. */
  readonly segmentMaxAgeMs?: number;
  readonly retention?: RetentionOptions;
  readonly metrics?: Pick<SidecarMetrics, 'auditWriteFailures'>;
  readonly logger?: Logger;
  /** While writes fail, how often to test whether they work again (no append needed to recover). */
  readonly probeIntervalMs?: number;
  /** Milliseconds since the epoch; tests move time forward. */
  readonly now?: () => number;
}

export const AUDIT_LOG_DEFAULTS = {
  durability: { mode: 'fsync' } as Durability,
  segmentMaxBytes: 16 * 1024 * 1024,
  segmentMaxAgeMs: 60 * 60 * 1000,
  retentionMaxAgeMs: 7 * 24 * 60 * 60 * 1000,
  retentionMaxBytes: 512 * 1024 * 1024,
  retentionIntervalMs: 60 * 1000,
  probeIntervalMs: 2000,
} as const;

export interface AuditLog {
  readonly dir: string;
  readonly durability: Durability;
  /** Resolves with the sealed record once it is durable; rejects with AuditWriteError when it could not be written. */
  append(entry: AuditEntry): Promise<AuditRecord>;
  /** Not ok while writes fail; the reason says why (shown on /readyz). */
  health(): HealthState;
  /** Seq of the newest durable record (0 before the first). */
  lastSeq(): number;
  /** Called after each flush with the newest durable seq; returns an unsubscribe function. */
  onDurable(listener: (lastSeq: number) => void): () => void;
  /** Runs retention now (it also runs on a timer and after each rotation). */
  retain(): Promise<RetentionPlan>;
  /** Whether retention must keep records the shipper has not acknowledged (shipping configured). */
  holdUnshipped(hold: boolean): void;
  close(): Promise<void>;
}

/** An append that was not written. `code`: ENOSPC, EFBIG, EROFS, EACCES, EIO, SIZE_CAP, CLOSED ... */
export class AuditWriteError extends Error {
  readonly code: string;
  constructor(message: string, code: string) {
    super(message);
    this.name = 'AuditWriteError';
    this.code = code;
  }
}

/** The chain head on disk does not verify: the log refuses to extend a chain it cannot vouch for. */
export class AuditLogCorrupt extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuditLogCorrupt';
  }
}

export async function openAuditLog(options: AuditLogOptions): Promise<AuditLog> {
  const log = new FileAuditLog(options);
  await log.init();
  return log;
}

interface Pending {
  readonly prepared: PreparedEntry;
  readonly resolve: (r: AuditRecord) => void;
  readonly reject: (e: Error) => void;
}

const REASONS: Readonly<Record<string, string>> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'file too large (file-size limit reached)',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EIO: 'I/O error',
  ENOENT: 'audit directory missing',
};

class FileAuditLog implements AuditLog {
  readonly dir: string;
  readonly durability: Durability;
  readonly #segmentMaxBytes: number;
  readonly #segmentMaxAgeMs: number;
  readonly #retention: RetentionPolicy;
  readonly #hardCapBytes: number;
  #holdUnshipped: boolean;
  readonly #retentionIntervalMs: number;
  readonly #probeIntervalMs: number;
  readonly #metrics: AuditLogOptions['metrics'];
  readonly #log: Logger;
  readonly #now: () => number;

  #fh: FileHandle | undefined;
  #segment: SegmentFile | undefined;
  #segmentBytes = 0;
  #segmentOpenedMs = 0;
  #dirSynced = true;
  #totalBytes = 0;
  #head: ChainHead = { seq: 0, hash: GENESIS_PREV };
  /** Bytes past #segmentBytes may be on disk (a failed write): truncate before the next. */
  #dirty = false;
  #rotateNext = false;

  #pending: Pending[] = [];
  #flushQueued = false;
  #groupTimer: NodeJS.Timeout | undefined;
  #serial: Promise<void> = Promise.resolve();
  #failure: { reason: string; code: string; bytes: number } | undefined;
  #probeTimer: NodeJS.Timeout | undefined;
  #retentionTimer: NodeJS.Timeout | undefined;
  #overBudget = false;
  #closing = false;
  readonly #listeners = new Set<(lastSeq: number) => void>();

  constructor(o: AuditLogOptions) {
    this.dir = o.dir;
    this.durability = o.durability ?? AUDIT_LOG_DEFAULTS.durability;
    if (this.durability.mode === 'group' && !(this.durability.intervalMs > 0)) throw new RangeError('group durability needs intervalMs > 0');
    this.#segmentMaxBytes = o.segmentMaxBytes ?? AUDIT_LOG_DEFAULTS.segmentMaxBytes;
    this.#segmentMaxAgeMs = o.segmentMaxAgeMs ?? AUDIT_LOG_DEFAULTS.segmentMaxAgeMs;
    this.#retention = {
      maxAgeMs: o.retention?.maxAgeMs ?? AUDIT_LOG_DEFAULTS.retentionMaxAgeMs,
      maxBytes: o.retention?.maxBytes ?? AUDIT_LOG_DEFAULTS.retentionMaxBytes,
    };
    this.#hardCapBytes = o.retention?.hardCapBytes ?? this.#retention.maxBytes;
    if (this.#hardCapBytes < this.#retention.maxBytes) throw new RangeError('retention.hardCapBytes must be at least retention.maxBytes');
    this.#holdUnshipped = o.retention?.holdUnshipped ?? false;
    this.#retentionIntervalMs = o.retention?.intervalMs ?? AUDIT_LOG_DEFAULTS.retentionIntervalMs;
    this.#probeIntervalMs = o.probeIntervalMs ?? AUDIT_LOG_DEFAULTS.probeIntervalMs;
    this.#metrics = o.metrics;
    this.#log = (o.logger ?? silentLogger).child({ component: 'audit', dir: o.dir });
    this.#now = o.now ?? Date.now;
  }

  holdUnshipped(hold: boolean): void {
    this.#holdUnshipped = hold;
  }

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const anchor = await readAnchor(this.dir);
    const segments = await listSegments(this.dir);
    let head: ChainHead | undefined;
    while (segments.length > 0 && head === undefined) {
      const last = segments.at(-1)!;
      head = await this.#recoverTail(last);
      if (head === undefined) {
        // Created by a rotation whose first write never became durable: it holds no record.
        await removeFile(last.path);
        await fsyncDir(this.dir);
        this.#log.warn('removed an audit segment that held no complete record', { segment: last.name });
        segments.pop();
      }
    }
    this.#head = head ?? (anchor ? { seq: anchor.seq, hash: anchor.hash } : { seq: 0, hash: GENESIS_PREV });
    for (const s of segments) this.#totalBytes += (await stat(s.path)).size;
    // Every process starts its own segment (lazily, at its first write): a file is only ever
    // extended by the process that created it, so a torn tail can only be at a file's end.
    await this.#run(() => this.#retainLocked().then(() => undefined));
    this.#retentionTimer = setInterval(() => void this.#run(() => this.#retainLocked().then(() => undefined)), this.#retentionIntervalMs);
    this.#retentionTimer.unref();
  }

  /** Cuts a torn tail off a segment and returns the chain head it ends with (undefined: no whole record). */
  async #recoverTail(segment: SegmentFile): Promise<ChainHead | undefined> {
    const fh = await open(segment.path, 'r+');
    try {
      const size = (await fh.stat()).size;
      const nl = await lastNewline(fh, size);
      if (nl + 1 < size) {
        const cut = Buffer.alloc(Math.min(size - (nl + 1), 1 << 20));
        await fh.read(cut, 0, cut.length, nl + 1);
        await fh.truncate(nl + 1);
        await fh.datasync();
        const note = {
          time: new Date(this.#now()).toISOString(),
          segment: segment.name,
          offset: nl + 1,
          bytes: size - (nl + 1),
          // The cut bytes came from this writer, so they hold only what records hold (masked values).
          cutBase64: cut.toString('base64'),
          cutTruncated: cut.length < size - (nl + 1),
        };
        await appendNote(this.dir, REPAIRS_FILE, note);
        this.#log.warn('cut a torn write from the end of an audit segment (a crash during a write); the chain ends at the last whole record', {
          segment: segment.name,
          offset: note.offset,
          bytes: note.bytes,
        });
      }
      if (nl === -1) return undefined;
      const { text } = await lineEndingAt(fh, nl);
      const parsed = parseRecordLine(text);
      if ('problem' in parsed) {
        throw new AuditLogCorrupt(
          `${segment.path}: the last record ${parsed.problem.message}; the log will not extend a chain it cannot verify: run 'mcp-residency audit verify ${this.dir}'`,
        );
      }
      return { seq: parsed.record.seq, hash: parsed.record.hash };
    } finally {
      await fh.close();
    }
  }

  append(entry: AuditEntry): Promise<AuditRecord> {
    if (this.#closing) return Promise.reject(new AuditWriteError(`audit log ${this.dir} is closed`, 'CLOSED'));
    let prepared: PreparedEntry;
    try {
      prepared = prepareEntry(pickEntry(entry), new Date(this.#now()).toISOString());
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    return new Promise((resolve, reject) => {
      this.#pending.push({ prepared, resolve, reject });
      this.#schedule();
    });
  }

  health(): HealthState {
    if (this.#failure) return { ok: false, reason: this.#failure.reason };
    if (this.#closing) return { ok: false, reason: 'audit log closed' };
    return { ok: true };
  }

  lastSeq(): number {
    return this.#head.seq;
  }

  onDurable(listener: (lastSeq: number) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  retain(): Promise<RetentionPlan> {
    return new Promise((resolve, reject) => void this.#run(() => this.#retainLocked().then(resolve, reject)));
  }

  async close(): Promise<void> {
    if (this.#closing) return this.#serial;
    this.#closing = true;
    if (this.#groupTimer) {
      clearTimeout(this.#groupTimer);
      this.#groupTimer = undefined;
    }
    clearInterval(this.#retentionTimer);
    clearInterval(this.#probeTimer);
    if (this.#pending.length > 0) this.#enqueueFlush();
    await this.#run(async () => {
      await this.#fh?.close().catch(() => undefined);
      this.#fh = undefined;
    });
  }

  /** Runs jobs one at a time; the chain itself never rejects. */
  #run(job: () => Promise<void>): Promise<void> {
    this.#serial = this.#serial.then(job).catch((err: unknown) => this.#log.error('audit log job failed', { err }));
    return this.#serial;
  }

  #schedule(): void {
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    if (this.durability.mode === 'fsync') {
      this.#enqueueFlush();
    } else {
      this.#groupTimer = setTimeout(() => {
        this.#groupTimer = undefined;
        this.#enqueueFlush();
      }, this.durability.intervalMs);
    }
  }

  #enqueueFlush(): void {
    void this.#run(() => {
      this.#flushQueued = false;
      return this.#flush();
    });
  }

  async #flush(): Promise<void> {
    const batch = this.#pending;
    if (batch.length === 0) return;
    this.#pending = [];
    let seq = this.#head.seq;
    let prev = this.#head.hash;
    const sealed = batch.map((p) => {
      const s = seal(p.prepared, ++seq, prev);
      prev = s.record.hash;
      return s;
    });
    const buf = Buffer.from(sealed.map((s) => s.line).join(''), 'utf8');
    try {
      await this.#reserve(buf.length);
      await this.#ensureSegment(buf.length);
      const fh = this.#fh!;
      this.#dirty = true;
      let off = 0;
      while (off < buf.length) {
        const { bytesWritten } = await fh.write(buf, off, buf.length - off, this.#segmentBytes + off);
        off += bytesWritten;
      }
      await fh.datasync();
      this.#dirty = false;
    } catch (err) {
      await this.#fail(err as NodeJS.ErrnoException, batch, buf.length);
      return;
    }
    this.#segmentBytes += buf.length;
    this.#totalBytes += buf.length;
    this.#head = { seq, hash: prev };
    this.#recovered();
    sealed.forEach((s, i) => batch[i]!.resolve(s.record));
    for (const listener of this.#listeners) {
      try {
        listener(seq);
      } catch (err) {
        this.#log.error('audit durable listener threw', { err });
      }
    }
  }

  /** Refuses a write that would take the directory past the hard cap, after trying retention. */
  async #reserve(bytes: number): Promise<void> {
    if (this.#totalBytes + bytes <= this.#hardCapBytes) return;
    await this.#retainLocked(bytes);
    if (this.#totalBytes + bytes <= this.#hardCapBytes) return;
    const err = new Error(
      `audit log ${this.dir} reached its hard size cap (${this.#hardCapBytes} bytes) with records not yet shipped to Azure Monitor; refusing new records until the shipper catches up or the cap is raised`,
    ) as NodeJS.ErrnoException;
    err.code = 'SIZE_CAP';
    throw err;
  }

  async #ensureSegment(bytes: number): Promise<void> {
    if (this.#fh && this.#dirty) {
      await this.#fh.truncate(this.#segmentBytes);
      await this.#fh.datasync();
      this.#dirty = false;
    }
    const full = this.#segmentBytes > 0 && this.#segmentBytes + bytes > this.#segmentMaxBytes;
    const old = this.#segmentBytes > 0 && this.#now() - this.#segmentOpenedMs > this.#segmentMaxAgeMs;
    if (this.#fh && !full && !old && !this.#rotateNext) {
      if (!this.#dirSynced) {
        await fsyncDir(this.dir);
        this.#dirSynced = true;
      }
      return;
    }
    const rotated = this.#fh !== undefined;
    await this.#fh?.close().catch(() => undefined);
    this.#fh = undefined;
    const name = segmentName(this.#head.seq + 1);
    const path = join(this.dir, name);
    let fh: FileHandle;
    try {
      fh = await open(path, 'wx', 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      // Left by an attempt whose write failed: reuse it only if it holds nothing.
      fh = await open(path, 'r+');
      if ((await fh.stat()).size !== 0) {
        await fh.close();
        throw new AuditLogCorrupt(`${path} already exists and is not empty; refusing to overwrite it`);
      }
    }
    this.#fh = fh;
    this.#segment = { name, path, firstSeq: this.#head.seq + 1 };
    this.#segmentBytes = 0;
    this.#segmentOpenedMs = this.#now();
    this.#rotateNext = false;
    this.#dirSynced = false;
    await fsyncDir(this.dir);
    this.#dirSynced = true;
    if (rotated) void this.#run(() => this.#retainLocked().then(() => undefined));
  }

  async #fail(err: NodeJS.ErrnoException, batch: readonly Pending[], bytes: number): Promise<void> {
    const code = typeof err.code === 'string' ? err.code : 'EIO';
    const reason =
      code === 'SIZE_CAP'
        ? err.message
        : err instanceof AuditLogCorrupt
          ? err.message
          : `cannot write the audit log in ${this.dir}: ${REASONS[code] ?? err.message} (${code}); requests are refused until it is writable`;
    const label = code === 'SIZE_CAP' ? 'size_cap' : err instanceof AuditLogCorrupt ? 'corrupt' : code in REASONS ? code : 'other';
    this.#metrics?.auditWriteFailures.inc({ reason: label }, batch.length);
    if (this.#failure?.reason !== reason) this.#log.error('audit log write failed; failing closed', { reason, code, records: batch.length });
    this.#failure = { reason, code, bytes };
    const error = new AuditWriteError(reason, code);
    for (const p of batch) p.reject(error);
    // Undo a partial write now, so that even a crash before the next attempt leaves whole lines.
    if (this.#dirty && this.#fh) {
      try {
        await this.#fh.truncate(this.#segmentBytes);
        await this.#fh.datasync();
        this.#dirty = false;
      } catch {
        // Retried before the next write (#ensureSegment) and by the probe.
      }
    }
    if (code === 'EFBIG') this.#rotateNext = true;
    this.#startProbe();
  }

  #recovered(): void {
    if (!this.#failure) return;
    this.#log.info('audit log writable again', { was: this.#failure.reason });
    this.#failure = undefined;
    clearInterval(this.#probeTimer);
    this.#probeTimer = undefined;
  }

  #startProbe(): void {
    if (this.#probeTimer || this.#closing) return;
    this.#probeTimer = setInterval(() => void this.#run(() => this.#probe()), this.#probeIntervalMs);
    this.#probeTimer.unref();
  }

  /** Tests, without a record, whether a write like the one that failed would now succeed. */
  async #probe(): Promise<void> {
    const failure = this.#failure;
    if (!failure) return;
    try {
      if (this.#fh && this.#dirty) {
        await this.#fh.truncate(this.#segmentBytes);
        await this.#fh.datasync();
        this.#dirty = false;
      }
      if (failure.code === 'SIZE_CAP') {
        await this.#retainLocked(failure.bytes);
        if (this.#totalBytes + failure.bytes > this.#hardCapBytes) return;
      } else {
        const path = join(this.dir, '.write-probe');
        const fh = await open(path, 'w', 0o600);
        try {
          await fh.write(Buffer.alloc(Math.max(4096, failure.bytes)), 0, undefined, 0);
          await fh.datasync();
        } finally {
          await fh.close();
          await unlink(path).catch(() => undefined);
        }
      }
      this.#recovered();
    } catch {
      // Still failing; the reason stays the one a real write gave.
    }
  }

  /** `needBytes`: room a write waits for; retention then also removes (acknowledged segments) to make it. */
  async #retainLocked(needBytes = 0): Promise<RetentionPlan> {
    const files = await listSegments(this.dir);
    const stats: SegmentStat[] = [];
    for (const [i, f] of files.entries()) {
      const active = this.#fh !== undefined && f.name === this.#segment?.name;
      const { bytes, newestMs } = await this.#segmentAge(f.path, active);
      const next = files[i + 1];
      stats.push({ ...f, bytes, newestMs, active, lastSeq: next ? next.firstSeq - 1 : this.#head.seq });
    }
    let acked: number | undefined;
    if (this.#holdUnshipped) {
      try {
        acked = (await readCursor(this.dir))?.ackedSeq ?? 0;
      } catch (err) {
        this.#log.warn('cannot read the shipper cursor; retention keeps everything', { err });
        acked = 0;
      }
    }
    const policy = { maxAgeMs: this.#retention.maxAgeMs, maxBytes: Math.min(this.#retention.maxBytes, this.#hardCapBytes - needBytes) };
    const plan = planRetention(stats, this.#now(), policy, acked);
    this.#totalBytes = plan.totalBytes;
    if (plan.remove.length > 0) await this.#remove(plan.remove);
    const over = plan.heldForShipping !== undefined && plan.keptBytes > this.#retention.maxBytes;
    if (over && !this.#overBudget) {
      this.#log.warn('audit log over its retention budget: records not yet acknowledged by Azure Monitor are kept; at the hard cap new requests are refused', {
        bytes: plan.keptBytes,
        maxBytes: this.#retention.maxBytes,
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
    const previous = await readAnchor(this.dir).catch(() => undefined);
    const removedRecords = remove.reduce((n, s) => n + (s.lastSeq - s.firstSeq + 1), previous?.removedRecords ?? 0);
    // The anchor is durable before any segment goes, so verify can always start from it.
    await writeAnchor(this.dir, { seq: lastHead.seq, hash: lastHead.hash, time: new Date(this.#now()).toISOString(), removedRecords });
    for (const s of remove) await removeFile(s.path);
    await fsyncDir(this.dir);
    this.#totalBytes -= remove.reduce((n, s) => n + s.bytes, 0);
    this.#log.info('retention removed audit segments', { segments: remove.map((s) => s.name), throughSeq: lastHead.seq });
  }
}
