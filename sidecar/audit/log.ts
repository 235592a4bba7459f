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
//
// This module is the writer and its flush loop. Opening a directory after a crash is
// recovery.ts; retention and the hard size cap are retainer.ts; failing closed and probing for
// recovery are fail-closed.ts. The last two work on the writer's state, so they run only as
// jobs of its one-at-a-time queue.
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { HealthState } from '../admin/readiness.ts';
import type { SidecarMetrics } from '../admin/metrics.ts';
import { silentLogger, type Logger } from '../../lib/log.ts';
import { prepareEntry, seal, type PreparedEntry, type Sealed } from './seal.ts';
import type { ChainHead } from './chain.ts';
import { AuditLogCorrupt, AuditWriteError } from './errors.ts';
import { FailClosed } from './fail-closed.ts';
import { fsyncDir, segmentName, type SegmentFile } from './layout.ts';
import { GENESIS_PREV, pickEntry, type AuditEntry, type AuditRecord } from './record.ts';
import { recoverLogDir } from './recovery.ts';
import { Retainer } from './retainer.ts';
import type { RetentionPlan, RetentionPolicy } from './retention.ts';

export { AuditLogCorrupt, AuditWriteError } from './errors.ts';

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

class FileAuditLog implements AuditLog {
  readonly dir: string;
  readonly durability: Durability;
  readonly #segmentMaxBytes: number;
  readonly #segmentMaxAgeMs: number;
  readonly #retainer: Retainer;
  readonly #failClosed: FailClosed;
  readonly #log: Logger;
  readonly #now: () => number;

  #fh: FileHandle | undefined;
  #segment: SegmentFile | undefined;
  #segmentBytes = 0;
  #segmentOpenedMs = 0;
  #dirSynced = true;
  #head: ChainHead = { seq: 0, hash: GENESIS_PREV };
  /** Bytes past #segmentBytes may be on disk (a failed write): truncate before the next. */
  #dirty = false;
  #rotateNext = false;

  #pending: Pending[] = [];
  #flushQueued = false;
  #groupTimer: NodeJS.Timeout | undefined;
  #serial: Promise<void> = Promise.resolve();
  #closing = false;
  readonly #listeners = new Set<(lastSeq: number) => void>();

  constructor(o: AuditLogOptions) {
    this.dir = o.dir;
    this.durability = o.durability ?? AUDIT_LOG_DEFAULTS.durability;
    if (this.durability.mode === 'group' && !(this.durability.intervalMs > 0)) throw new RangeError('group durability needs intervalMs > 0');
    this.#segmentMaxBytes = o.segmentMaxBytes ?? AUDIT_LOG_DEFAULTS.segmentMaxBytes;
    this.#segmentMaxAgeMs = o.segmentMaxAgeMs ?? AUDIT_LOG_DEFAULTS.segmentMaxAgeMs;
    const policy: RetentionPolicy = {
      maxAgeMs: o.retention?.maxAgeMs ?? AUDIT_LOG_DEFAULTS.retentionMaxAgeMs,
      maxBytes: o.retention?.maxBytes ?? AUDIT_LOG_DEFAULTS.retentionMaxBytes,
    };
    const hardCapBytes = o.retention?.hardCapBytes ?? policy.maxBytes;
    if (hardCapBytes < policy.maxBytes) throw new RangeError('retention.hardCapBytes must be at least retention.maxBytes');
    this.#log = (o.logger ?? silentLogger).child({ component: 'audit', dir: o.dir });
    this.#now = o.now ?? Date.now;
    this.#retainer = new Retainer({
      dir: o.dir,
      policy,
      hardCapBytes,
      holdUnshipped: o.retention?.holdUnshipped ?? false,
      intervalMs: o.retention?.intervalMs ?? AUDIT_LOG_DEFAULTS.retentionIntervalMs,
      log: this.#log,
      now: this.#now,
      position: () => ({ activeSegment: this.#fh !== undefined ? this.#segment?.name : undefined, headSeq: this.#head.seq }),
    });
    this.#failClosed = new FailClosed({
      dir: o.dir,
      probeIntervalMs: o.probeIntervalMs ?? AUDIT_LOG_DEFAULTS.probeIntervalMs,
      metrics: o.metrics,
      log: this.#log,
      run: (job) => this.#run(job),
      undoPartialWrite: () => this.#undoPartialWrite(),
      makeRoom: async (bytes) => {
        await this.#retainer.retain(bytes);
        return this.#retainer.fits(bytes);
      },
    });
  }

  holdUnshipped(hold: boolean): void {
    this.#retainer.holdUnshipped = hold;
  }

  async init(): Promise<void> {
    const { head, bytes } = await recoverLogDir(this.dir, this.#now, this.#log);
    this.#head = head;
    // Retention recounts at once, but should that run fail (a segment it cannot open), the
    // hard cap must still start from what is on disk, not from zero.
    this.#retainer.added(bytes);
    // Every process starts its own segment (lazily, at its first write): a file is only ever
    // extended by the process that created it, so a torn tail can only be at a file's end.
    await this.#queueRetention();
    this.#retainer.every(() => void this.#queueRetention());
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
    const failure = this.#failClosed.failure;
    if (failure) return { ok: false, reason: failure.reason };
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
    return new Promise((resolve, reject) => void this.#run(() => this.#retainer.retain().then(resolve, reject)));
  }

  async close(): Promise<void> {
    if (this.#closing) return this.#serial;
    this.#closing = true;
    if (this.#groupTimer) {
      clearTimeout(this.#groupTimer);
      this.#groupTimer = undefined;
    }
    this.#retainer.stop();
    this.#failClosed.stop();
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

  #queueRetention(): Promise<void> {
    return this.#run(() => this.#retainer.retain().then(() => undefined));
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
    const buf = linesBuffer(sealed);
    try {
      await this.#retainer.reserve(buf.length);
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
    this.#retainer.added(buf.length);
    this.#head = { seq, hash: prev };
    this.#failClosed.recovered();
    sealed.forEach((s, i) => batch[i]!.resolve(s.record));
    for (const listener of this.#listeners) {
      try {
        listener(seq);
      } catch (err) {
        this.#log.error('audit durable listener threw', { err });
      }
    }
  }

  async #ensureSegment(bytes: number): Promise<void> {
    await this.#undoPartialWrite();
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
    if (rotated) void this.#queueRetention();
  }

  /** Cuts what a failed write left past the last whole record. */
  async #undoPartialWrite(): Promise<void> {
    if (this.#fh && this.#dirty) {
      await this.#fh.truncate(this.#segmentBytes);
      await this.#fh.datasync();
      this.#dirty = false;
    }
  }

  async #fail(err: NodeJS.ErrnoException, batch: readonly Pending[], bytes: number): Promise<void> {
    const error = this.#failClosed.failed(err, batch.length, bytes);
    for (const p of batch) p.reject(error);
    // Undo a partial write now, so that even a crash before the next attempt leaves whole lines.
    try {
      await this.#undoPartialWrite();
    } catch {
      // Retried before the next write (#ensureSegment) and by the probe.
    }
    if (error.code === 'EFBIG') this.#rotateNext = true;
    if (!this.#closing) this.#failClosed.startProbe();
  }
}

/** The batch's lines as one buffer, each piece encoded straight into it. */
function linesBuffer(sealed: readonly Sealed[]): Buffer {
  let size = 0;
  for (const s of sealed) for (const part of s.parts) size += Buffer.byteLength(part, 'utf8');
  const buf = Buffer.allocUnsafe(size);
  let off = 0;
  for (const s of sealed) for (const part of s.parts) off += buf.write(part, off, 'utf8');
  return buf;
}
