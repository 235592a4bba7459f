// Ships the local audit log to Azure Monitor, at least once, with the real
// @azure/monitor-opentelemetry-exporter. The log on disk is the queue; a persisted cursor says
// what Azure has acknowledged, so an endpoint down for hours, throttling, or a restart loses
// nothing, and a restart does not re-send what was acknowledged.
//
// The exporter is driven directly (export() with ReadableLogRecords, no BatchLogRecordProcessor)
// with its own retries and offline storage off: we retry, and the audit directory is the only
// store. Its export() result is not an acknowledgment (see breeze.ts), so a pipeline policy
// observes the HTTP answer of each batch and the shipper advances the cursor per acknowledged
// item. A 206 re-sends only the failed items.
//
// What can be sent twice: records of a batch Azure accepted when the answer was lost or the
// process stopped before the cursor file was written (one batch at most per restart or lost
// answer). Events carry seq and hash, so `summarize arg_max(timestamp, *) by hash` removes them.
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { createRequire } from 'node:module';
import type * as ExporterModule from '@azure/monitor-opentelemetry-exporter';
import type { AzureMonitorExporterOptions, AzureMonitorLogExporter } from '@azure/monitor-opentelemetry-exporter';
import type * as ResourcesModule from '@opentelemetry/resources';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { HealthState } from '../admin/readiness.ts';
import type { SidecarMetrics } from '../admin/metrics.ts';
import { silentLogger, type Logger } from '../../lib/log.ts';
import { classify, type Observation } from './breeze.ts';
import { advanceCursor, EMPTY_CURSOR, readCursor, skipTo, writeCursor, type ShipCursor } from './cursor.ts';
import { AUDIT_EVENT_NAME, toLogRecord } from './envelope.ts';
import type { AuditLog } from './log.ts';
import { RecordReader } from './reader.ts';
import type { AuditRecord } from './record.ts';

// The exporter stack is read through require, which picks its CommonJS build: the ESM build's
// `import ... from 'node:http'` reads node:http's lazy WebSocket export, which loads Node's
// bundled undici and web streams (lib/node-http.ts): about 7 MB of RSS in every shipping pod
// (bench/footprint, "Azure Monitor on"). @azure/identity is read the same way (identity/
// workload.ts), so the credential and the exporter share one copy of @azure/core-*.
const load = createRequire(import.meta.url);
const { AzureMonitorLogExporter: Exporter } = load('@azure/monitor-opentelemetry-exporter') as typeof ExporterModule;
const { resourceFromAttributes } = load('@opentelemetry/resources') as typeof ResourcesModule;

type Policy = NonNullable<AzureMonitorExporterOptions['additionalPolicies']>[number]['policy'];

export interface ShipperOptions {
  readonly log: Pick<AuditLog, 'dir' | 'lastSeq' | 'onDurable'>;
  /** The mounted Secret file: DIR/<connectionStringSecret.name>/<key>. Re-read every poll; a change takes effect for the next batch. */
  readonly connectionStringFile: string;
  /** For a local or private endpoint: host 'http://127.0.0.1:PORT' with allowInsecureConnection; credential for Entra ingestion. */
  readonly exporterOptions?: Pick<AzureMonitorExporterOptions, 'host' | 'allowInsecureConnection' | 'credential'>;
  /** Resource attributes (service.name defaults to mcp-residency, service.instance.id to the host name: the pod). */
  readonly resourceAttributes?: Readonly<Record<string, string>>;
  readonly metrics?: Pick<SidecarMetrics, 'auditBacklog' | 'auditShipFailures'>;
  readonly logger?: Logger;
  readonly batchMaxRecords?: number;
  readonly batchMaxBytes?: number;
  readonly backoff?: { readonly initialMs?: number; readonly maxMs?: number; readonly maxRetryAfterMs?: number };
  /** Idle wait before looking for new records (new durable records wake the shipper sooner). */
  readonly pollIntervalMs?: number;
  readonly requestTimeoutMs?: number;
  /** stop() lets a request in flight finish this long before aborting it (an aborted batch that Azure accepted is sent again). */
  readonly stopGraceMs?: number;
  readonly eventName?: string;
  /**
   * The exporter's statsbeat/SDK stats report to Microsoft endpoints that are not the
   * configured region. Off unless asked for: set per process through the exporter's env vars.
   */
  readonly statsbeat?: boolean;
}

export const SHIPPER_DEFAULTS = {
  batchMaxRecords: 256,
  batchMaxBytes: 1024 * 1024,
  initialBackoffMs: 1000,
  maxBackoffMs: 60_000,
  maxRetryAfterMs: 5 * 60_000,
  pollIntervalMs: 1000,
  requestTimeoutMs: 30_000,
  stopGraceMs: 5000,
} as const;

export interface ShipperStatus {
  /** Every record up to here is acknowledged. */
  readonly ackedSeq: number;
  /** Records durable locally and not yet acknowledged. */
  readonly backlog: number;
  readonly rejected: number;
  readonly lastFailure: { readonly reason: string; readonly detail: string; readonly since: string } | undefined;
}

/** What a stopping shipper left behind: records still only in the local log. */
export interface Unshipped {
  readonly records: number;
  /** The seq range they fall in (some in it may be acknowledged out of order). */
  readonly fromSeq: number;
  readonly toSeq: number;
}

export interface Shipper {
  /** Lets the batch in flight finish (aborting it after stopGraceMs), saves the cursor, releases the exporter. */
  stop(): Promise<void>;
  /**
   * Shutdown: keeps shipping (retries capped to the time left) until nothing is waiting or
   * `budgetMs` has passed, then stops; says what could not be shipped.
   */
  drain(budgetMs: number): Promise<Unshipped>;
  /** For the auditBacklog gauge: records written locally and not yet acknowledged. */
  backlog(): number;
  status(): ShipperStatus;
  /** Always ok (a failing endpoint does not stop the sidecar: records wait on disk); the reason says how shipping goes. */
  health(): HealthState;
}

export function startShipper(options: ShipperOptions): Shipper {
  return new AzureShipper(options);
}

const STATSBEAT_ENV = ['APPLICATION_INSIGHTS_NO_STATSBEAT', 'APPLICATIONINSIGHTS_STATSBEAT_DISABLED', 'APPLICATIONINSIGHTS_SDKSTATS_DISABLED'];

class AzureShipper implements Shipper {
  readonly #o: ShipperOptions;
  readonly #dir: string;
  readonly #log: Logger;
  readonly #resource: Resource;
  readonly #abort = new AbortController();
  readonly #done: Promise<void>;
  readonly #unsubscribe: () => void;
  #cursor: ShipCursor = EMPTY_CURSOR;
  #exporter: AzureMonitorLogExporter | undefined;
  #connectionString: string | undefined;
  #probe: { obs?: Observation } | undefined;
  #wake: (() => void) | undefined;
  #failure: { reason: string; detail: string; since: string; lastLogged: number; attempts: number } | undefined;
  #stopped = false;
  /** Set while draining at shutdown: no wait may run past it. */
  #drainUntil: number | undefined;

  constructor(o: ShipperOptions) {
    this.#o = o;
    this.#dir = o.log.dir;
    this.#log = (o.logger ?? silentLogger).child({ component: 'audit-shipper' });
    if (!(o.statsbeat ?? false)) for (const name of STATSBEAT_ENV) process.env[name] ??= 'true';
    this.#resource = resourceFromAttributes({ 'service.name': 'mcp-residency', 'service.instance.id': hostname(), ...o.resourceAttributes });
    this.#unsubscribe = o.log.onDurable(() => {
      this.#updateBacklog();
      this.#wake?.();
    });
    this.#done = this.#loop().catch((err: unknown) => this.#log.error('audit shipper stopped on an unexpected error', { err }));
  }

  backlog(): number {
    const pending = this.#o.log.lastSeq() - this.#cursor.ackedSeq - this.#cursor.beyond.length;
    return Math.max(0, pending);
  }

  status(): ShipperStatus {
    const f = this.#failure;
    return {
      ackedSeq: this.#cursor.ackedSeq,
      backlog: this.backlog(),
      rejected: this.#cursor.rejected,
      lastFailure: f ? { reason: f.reason, detail: f.detail, since: f.since } : undefined,
    };
  }

  health(): HealthState {
    const f = this.#failure;
    if (f === undefined) return { ok: true };
    return { ok: true, reason: `shipping to Azure Monitor failing since ${f.since} (${f.reason}: ${f.detail}); ${this.backlog()} records wait on disk` };
  }

  async drain(budgetMs: number): Promise<Unshipped> {
    const until = Date.now() + Math.max(0, budgetMs);
    this.#drainUntil = until;
    this.#wake?.(); // a back-off sleep ends now: the time left is what counts
    // Bounded by the budget; the shipper's loop does the work, this only watches it.
    while (!this.#stopped && this.backlog() > 0 && Date.now() < until) {
      await new Promise((r) => setTimeout(r, Math.max(1, Math.min(25, until - Date.now()))));
    }
    await this.stop(Math.max(0, until - Date.now()));
    const records = this.backlog();
    return { records, fromSeq: this.#cursor.ackedSeq + 1, toSeq: records > 0 ? this.#o.log.lastSeq() : this.#cursor.ackedSeq };
  }

  async stop(graceMs = this.#o.stopGraceMs ?? SHIPPER_DEFAULTS.stopGraceMs): Promise<void> {
    if (!this.#stopped) {
      this.#stopped = true;
      this.#wake?.();
      this.#unsubscribe();
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.min(graceMs, this.#o.stopGraceMs ?? SHIPPER_DEFAULTS.stopGraceMs))));
      await Promise.race([this.#done, grace]);
      clearTimeout(timer);
      this.#abort.abort();
    }
    await this.#done;
    await this.#exporter?.shutdown().catch(() => undefined);
    this.#exporter = undefined;
  }

  #updateBacklog(): void {
    this.#o.metrics?.auditBacklog.set(this.backlog());
  }

  async #loop(): Promise<void> {
    try {
      this.#cursor = (await readCursor(this.#dir)) ?? EMPTY_CURSOR;
    } catch (err) {
      // Starting over re-sends (duplicates, deduplicable by hash); it never loses records.
      this.#log.error('audit shipper cursor unreadable; shipping from the start', { err });
    }
    const maxRecords = this.#o.batchMaxRecords ?? SHIPPER_DEFAULTS.batchMaxRecords;
    const maxBytes = this.#o.batchMaxBytes ?? SHIPPER_DEFAULTS.batchMaxBytes;
    const initialBackoff = this.#o.backoff?.initialMs ?? SHIPPER_DEFAULTS.initialBackoffMs;
    const maxBackoff = this.#o.backoff?.maxMs ?? SHIPPER_DEFAULTS.maxBackoffMs;
    const maxRetryAfter = this.#o.backoff?.maxRetryAfterMs ?? SHIPPER_DEFAULTS.maxRetryAfterMs;
    let reader = new RecordReader(this.#dir, this.#cursor.ackedSeq, this.#cursor.beyond, this.#log);
    let outstanding: AuditRecord[] = [];
    let splitSize: number | undefined;
    let backoff = initialBackoff;

    while (!this.#stopped) {
      try {
        this.#updateBacklog();
        if (outstanding.length === 0) {
          splitSize = undefined;
          const batch = await reader.next(maxRecords, maxBytes, this.#o.log.lastSeq());
          if (batch.gap) {
            this.#log.error('audit log has no records for a seq range; shipping continues after it (run audit verify)', batch.gap);
            this.#o.metrics?.auditShipFailures.inc({ reason: 'gap' });
            reader.skipGap(batch.gap.to);
            await this.#saveCursor(skipTo(this.#cursor, batch.gap.to, new Date().toISOString()));
            continue;
          }
          if (batch.records.length === 0) {
            await this.#sleep(this.#o.pollIntervalMs ?? SHIPPER_DEFAULTS.pollIntervalMs, true);
            continue;
          }
          outstanding = [...batch.records];
        }
        const exporter = await this.#currentExporter();
        if (exporter === undefined) {
          await this.#sleep(backoff, false);
          backoff = Math.min(backoff * 2, maxBackoff);
          continue;
        }
        const sending = outstanding.slice(0, splitSize ?? outstanding.length);
        const outcome = classify(await this.#send(exporter, sending), sending.length);
        const acked = outcome.accepted.map((i) => sending[i]!.seq);
        for (const r of outcome.rejected) {
          const rec = sending[r.index]!;
          this.#log.error('Azure Monitor refused an audit record for good; it stays in the local log only', { seq: rec.seq, hash: rec.hash, status: r.status, message: r.message });
          this.#o.metrics?.auditShipFailures.inc({ reason: 'rejected' });
        }
        const finished = new Set([...acked, ...outcome.rejected.map((r) => sending[r.index]!.seq)]);
        if (finished.size > 0) {
          await this.#saveCursor(advanceCursor(this.#cursor, finished, outcome.rejected.length, new Date().toISOString()));
          outstanding = outstanding.filter((r) => !finished.has(r.seq));
        }
        if (outcome.split) splitSize = Math.max(1, Math.floor(sending.length / 2));
        if (outcome.failure !== undefined && (outcome.retry.length > 0 || outcome.split)) {
          this.#failed(outcome.failure.reason, outcome.failure.detail);
          // The server's Retry-After is a floor; our own back-off gets jitter.
          const wait = outcome.retryAfterMs !== undefined ? Math.min(outcome.retryAfterMs, maxRetryAfter) : jitter(backoff);
          backoff = Math.min(backoff * 2, maxBackoff);
          await this.#sleep(wait, false);
        } else {
          backoff = initialBackoff;
          this.#succeeded();
        }
      } catch (err) {
        // A directory or file error must not end shipping for the life of the process.
        this.#log.error('audit shipper iteration failed; retrying', { err });
        this.#failed('internal', (err as Error).message);
        // Start reading again from what is acknowledged: nothing outstanding is lost, some may repeat.
        outstanding = [];
        reader = new RecordReader(this.#dir, this.#cursor.ackedSeq, this.#cursor.beyond, this.#log);
        await this.#sleep(backoff, false);
        backoff = Math.min(backoff * 2, maxBackoff);
      }
    }
  }

  async #saveCursor(next: ShipCursor): Promise<void> {
    this.#cursor = next;
    this.#updateBacklog();
    try {
      await writeCursor(this.#dir, next);
    } catch (err) {
      // In memory the records are done; if the process dies first they are sent again.
      this.#log.error('cannot save the audit shipper cursor', { err });
    }
  }

  /** One export() of `records`; returns what the endpoint answered (observed by the pipeline policy). */
  async #send(exporter: AzureMonitorLogExporter, records: readonly AuditRecord[]): Promise<Observation | undefined> {
    const probe: { obs?: Observation } = {};
    this.#probe = probe;
    const logRecords: ReadableLogRecord[] = records.map((r) => toLogRecord(r, this.#resource, this.#o.eventName ?? AUDIT_EVENT_NAME));
    const timeoutMs = (this.#o.requestTimeoutMs ?? SHIPPER_DEFAULTS.requestTimeoutMs) * 2;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        new Promise<void>((resolve) => {
          try {
            const r = exporter.export(logRecords, () => resolve()) as unknown;
            if (r instanceof Promise) r.catch(() => resolve());
          } catch {
            resolve();
          }
        }),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs))),
      ]);
    } finally {
      clearTimeout(timer);
      this.#probe = undefined;
    }
    return probe.obs;
  }

  /** The exporter for the connection string in the Secret file now; a new one when it changed. */
  async #currentExporter(): Promise<AzureMonitorLogExporter | undefined> {
    let text: string;
    try {
      text = (await readFile(this.#o.connectionStringFile, 'utf8')).trim();
    } catch (err) {
      this.#failed('config', `cannot read the connection string file ${this.#o.connectionStringFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      return undefined;
    }
    if (text === this.#connectionString && this.#exporter) return this.#exporter;
    const old = this.#exporter;
    this.#exporter = undefined;
    this.#connectionString = undefined;
    await old?.shutdown().catch(() => undefined);
    try {
      this.#exporter = new Exporter({
        ...this.#o.exporterOptions,
        connectionString: text,
        // The audit directory is the only store; the exporter's own would replay on its own schedule.
        disableOfflineStorage: true,
        retryOptions: { maxRetries: 0 },
        additionalPolicies: [{ policy: this.#observer(), position: 'perCall' }],
      });
      this.#connectionString = text;
      this.#log.info(old ? 'audit shipper picked up a changed connection string' : 'audit shipper configured', { file: this.#o.connectionStringFile });
      return this.#exporter;
    } catch (err) {
      // The exporter's messages name the problem, never the string itself.
      this.#failed('config', `the connection string in ${this.#o.connectionStringFile} is not usable: ${(err as Error).message}`);
      return undefined;
    }
  }

  /** A pipeline policy that records the final HTTP answer (after redirects) of each export. */
  #observer(): Policy {
    const timeout = this.#o.requestTimeoutMs ?? SHIPPER_DEFAULTS.requestTimeoutMs;
    const signal = this.#abort.signal;
    return {
      name: 'mcpResidencyAuditAcknowledgment',
      sendRequest: async (request, next) => {
        const probe = this.#probe;
        request.timeout = timeout;
        request.abortSignal = request.abortSignal ? AbortSignal.any([request.abortSignal as AbortSignal, signal]) : signal;
        try {
          const response = await next(request);
          if (probe) probe.obs = { status: response.status, body: response.bodyAsText ?? '', retryAfterMs: retryAfter(response.headers.get('retry-after')) };
          return response;
        } catch (err) {
          const e = err as { statusCode?: number; code?: string; message?: string; response?: { bodyAsText?: string | null; headers?: { get(name: string): string | undefined } } };
          if (probe) {
            probe.obs = {
              ...(e.statusCode !== undefined ? { status: e.statusCode } : {}),
              body: e.response?.bodyAsText ?? '',
              retryAfterMs: retryAfter(e.response?.headers?.get('retry-after')),
              error: e.code ?? e.message ?? 'request failed',
            };
          }
          throw err;
        }
      },
    };
  }

  #failed(reason: string, detail: string): void {
    this.#o.metrics?.auditShipFailures.inc({ reason });
    const now = Date.now();
    const f = this.#failure;
    if (f === undefined || f.reason !== reason) {
      this.#failure = { reason, detail, since: new Date(now).toISOString(), lastLogged: now, attempts: 1 };
      this.#log.warn('audit shipping failed; records stay on disk and are retried', { reason, detail, backlog: this.backlog() });
      return;
    }
    f.detail = detail;
    f.attempts++;
    if (now - f.lastLogged > 60_000) {
      f.lastLogged = now;
      this.#log.warn('audit shipping still failing', { reason, detail, attempts: f.attempts, since: f.since, backlog: this.backlog() });
    }
  }

  #succeeded(): void {
    if (this.#failure === undefined) return;
    this.#log.info('audit shipping recovered', { after: this.#failure.reason, attempts: this.#failure.attempts });
    this.#failure = undefined;
  }

  /** Waits ms (or until stopped; or, when `wakeOnRecords`, until new records are durable). */
  #sleep(ms: number, wakeOnRecords: boolean): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    if (this.#drainUntil !== undefined) ms = Math.max(0, Math.min(ms, this.#drainUntil - Date.now()));
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      const wake = (): void => {
        if (wakeOnRecords || this.#stopped || this.#drainUntil !== undefined) done();
      };
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = wake;
    }).finally(() => {
      this.#wake = undefined;
    });
  }
}

function retryAfter(value: string | undefined | null): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+$/u.test(v)) return Number(v) * 1000;
  const date = Date.parse(v);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** ±20 %, so that sidecars restarted together do not retry in lockstep. */
function jitter(ms: number): number {
  return Math.round(ms * (0.8 + Math.random() * 0.4));
}
