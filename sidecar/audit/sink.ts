// The audit log as the gateways see it. When the log cannot be opened (directory missing or
// not writable, a chain it cannot vouch for) the sidecar still starts, so /readyz can say
// why, but every request is refused until the log opens: retried in the background.
import type { Logger } from '../../lib/log.ts';
import type { AuditLog, AuditLogOptions } from './log.ts';
import { openAuditLog } from './log.ts';
import type { AuditEntry, AuditRecord } from './record.ts';
import type { HealthState } from '../admin/readiness.ts';

export class AuditSinkHolder {
  #log: AuditLog | undefined;
  #reason = 'the audit log is not open yet';
  #timer: NodeJS.Timeout | undefined;
  readonly #listeners = new Set<(log: AuditLog) => void>();

  get log(): AuditLog | undefined {
    return this.#log;
  }

  /** Opens the log now, or keeps trying every `retryMs` until it opens. */
  async open(options: AuditLogOptions, logger: Logger, retryMs = 5_000): Promise<void> {
    try {
      this.#log = await openAuditLog(options);
      for (const l of this.#listeners) l(this.#log);
    } catch (err) {
      this.#reason = `cannot open the audit log in ${options.dir}: ${(err as Error).message}`;
      logger.error('audit log unavailable; refusing every request until it opens', { dir: options.dir, error: err });
      this.#timer = setTimeout(() => void this.open(options, logger, retryMs), retryMs);
      this.#timer.unref();
    }
  }

  /** Runs once the log is open (at once if it already is). */
  whenOpen(listener: (log: AuditLog) => void): void {
    if (this.#log) listener(this.#log);
    else this.#listeners.add(listener);
  }

  append(entry: AuditEntry): Promise<AuditRecord> {
    if (this.#log === undefined) return Promise.reject(new Error(this.#reason));
    return this.#log.append(entry);
  }

  health(): HealthState {
    return this.#log ? this.#log.health() : { ok: false, reason: this.#reason };
  }

  async close(): Promise<void> {
    clearTimeout(this.#timer);
    await this.#log?.close();
  }
}
