// Failing closed on a write error. While writes fail the log refuses appends, and health()
// says why (the reason /readyz shows); this module names the failure (an operator's reason and
// a metric label per errno), counts it, and probes on a timer, without a record, whether a
// write like the one that failed would now succeed, so the log recovers even when no append
// comes to try.
import { open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../lib/log.ts';
import type { SidecarMetrics } from '../admin/metrics.ts';
import { AuditLogCorrupt, AuditWriteError } from './errors.ts';

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

export interface WriteFailure {
  readonly reason: string;
  readonly code: string;
  /** Size of the write that failed: a probe tests one at least as large. */
  readonly bytes: number;
}

export interface FailClosedOptions {
  readonly dir: string;
  readonly probeIntervalMs: number;
  readonly metrics: Pick<SidecarMetrics, 'auditWriteFailures'> | undefined;
  readonly log: Logger;
  /** Queues a job on the writer's one-at-a-time job queue: probes run there. */
  readonly run: (job: () => Promise<void>) => Promise<void>;
  /** Cuts what a failed write left past the last whole record; throws when that fails too. */
  readonly undoPartialWrite: () => Promise<void>;
  /** Runs retention for room for `bytes`; whether they now fit under the hard cap. */
  readonly makeRoom: (bytes: number) => Promise<boolean>;
}

export class FailClosed {
  readonly #o: FailClosedOptions;
  #failure: WriteFailure | undefined;
  #probeTimer: NodeJS.Timeout | undefined;

  constructor(o: FailClosedOptions) {
    this.#o = o;
  }

  /** The failure appends are refused for, if any. */
  get failure(): WriteFailure | undefined {
    return this.#failure;
  }

  /** Records that a write of `records` records (`bytes` bytes) failed; returns the error to reject them with. */
  failed(err: NodeJS.ErrnoException, records: number, bytes: number): AuditWriteError {
    const code = typeof err.code === 'string' ? err.code : 'EIO';
    const reason =
      code === 'SIZE_CAP'
        ? err.message
        : err instanceof AuditLogCorrupt
          ? err.message
          : `cannot write the audit log in ${this.#o.dir}: ${REASONS[code] ?? err.message} (${code}); requests are refused until it is writable`;
    const label = code === 'SIZE_CAP' ? 'size_cap' : err instanceof AuditLogCorrupt ? 'corrupt' : code in REASONS ? code : 'other';
    this.#o.metrics?.auditWriteFailures.inc({ reason: label }, records);
    if (this.#failure?.reason !== reason) this.#o.log.error('audit log write failed; failing closed', { reason, code, records });
    this.#failure = { reason, code, bytes };
    return new AuditWriteError(reason, code);
  }

  /** A write (or a probe) succeeded: appends are accepted again. */
  recovered(): void {
    if (!this.#failure) return;
    this.#o.log.info('audit log writable again', { was: this.#failure.reason });
    this.#failure = undefined;
    clearInterval(this.#probeTimer);
    this.#probeTimer = undefined;
  }

  /** Probes every probeIntervalMs until recovered(); the writer does not call it once closing. */
  startProbe(): void {
    if (this.#probeTimer) return;
    this.#probeTimer = setInterval(() => void this.#o.run(() => this.#probe()), this.#o.probeIntervalMs);
    this.#probeTimer.unref();
  }

  stop(): void {
    clearInterval(this.#probeTimer);
  }

  /** Tests, without a record, whether a write like the one that failed would now succeed. */
  async #probe(): Promise<void> {
    const failure = this.#failure;
    if (!failure) return;
    try {
      await this.#o.undoPartialWrite();
      if (failure.code === 'SIZE_CAP') {
        if (!(await this.#o.makeRoom(failure.bytes))) return;
      } else {
        const path = join(this.#o.dir, '.write-probe');
        const fh = await open(path, 'w', 0o600);
        try {
          await fh.write(Buffer.alloc(Math.max(4096, failure.bytes)), 0, undefined, 0);
          await fh.datasync();
        } finally {
          await fh.close();
          await unlink(path).catch(() => undefined);
        }
      }
      this.recovered();
    } catch {
      // Still failing; the reason stays the one a real write gave.
    }
  }
}
