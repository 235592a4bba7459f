// Audit records and metrics of egress calls. One record per call, appended (and awaited)
// before anything of the answer reaches the application; a record that cannot be written
// turns the answer into an error. The principal is the pod's workload: the egress port
// listens on loopback, so only containers of the same pod reach it. It is the pod name from
// the POD_NAME environment variable (the Downward API) when set, else "workload".
import type { Logger } from '../../lib/log.ts';
import type { AuditDecision, AuditEntry, Principal } from '../audit/record.ts';
import { elapsedMs, policyRef, type AuditSink } from '../inbound/exchange.ts';
import type { Masker } from '../masking/engine.ts';
import { countMasked, type SidecarMetrics } from '../admin/metrics.ts';
import type { PolicyRuntime } from '../policy/runtime.ts';

export function workloadPrincipal(env: NodeJS.ProcessEnv = process.env): Principal {
  const pod = env.POD_NAME?.trim();
  return { sub: pod !== undefined && pod !== '' ? pod : 'workload' };
}

/** What is known about a call when its record is written. */
export interface CallFacts {
  readonly started: bigint;
  /** Known late for a captured connection: its first bytes say TLS or the HTTP method. */
  method: string;
  runtime: PolicyRuntime | undefined;
  readonly tunnel: boolean;
  upstream?: string;
  destination?: string;
  region?: string;
}

export interface Outcome {
  readonly decision: AuditDecision;
  readonly reason: string;
  readonly status?: number;
  readonly masked?: Record<string, number>;
  readonly payload?: Record<string, unknown>;
  /** A connection passed through unread: bytes each way. */
  readonly bytes?: { readonly sent: number; readonly received: number };
}

export class EgressRecorder {
  readonly #audit: AuditSink;
  readonly #metrics: SidecarMetrics;
  readonly #logger: Logger;
  readonly #principal: Principal;

  constructor(audit: AuditSink, metrics: SidecarMetrics, logger: Logger, principal: Principal) {
    this.#audit = audit;
    this.#metrics = metrics;
    this.#logger = logger;
    this.#principal = principal;
  }

  auditHealthy(): boolean {
    try {
      return this.#audit.health().ok;
    } catch {
      return false;
    }
  }

  /** Appends the call's record; false when it could not be made durable. Counts the decision. */
  async record(call: CallFacts, outcome: Outcome): Promise<boolean> {
    this.#metrics.requests.inc({ kind: 'egress', decision: outcome.decision });
    const entry: AuditEntry = {
      kind: 'egress',
      principal: this.#principal,
      decision: outcome.decision,
      reason: outcome.reason,
      method: call.method,
      tunnel: call.tunnel,
      durationMs: elapsedMs(call.started),
      masked: outcome.masked ?? {},
    };
    if (call.runtime !== undefined) entry.policy = policyRef(call.runtime);
    if (call.upstream !== undefined) entry.upstream = call.upstream;
    if (call.destination !== undefined) entry.destination = call.destination;
    if (call.region !== undefined) entry.region = call.region;
    if (outcome.status !== undefined) entry.status = outcome.status;
    if (outcome.bytes !== undefined) {
      entry.bytesSent = outcome.bytes.sent;
      entry.bytesReceived = outcome.bytes.received;
    }
    if (outcome.payload !== undefined && call.runtime?.policy.audit.payloads === 'masked') entry.payload = outcome.payload;
    try {
      await this.#audit.append(entry);
      return true;
    } catch (err) {
      this.#logger.error('egress audit record could not be written; the call is refused', { error: err, upstream: call.upstream, destination: call.destination });
      return false;
    }
  }

  countMasked(counts: ReadonlyMap<string, number>): void {
    countMasked(this.#metrics, counts);
  }

  /** The call is over (response sent, stream ended, or refused). */
  finished(call: CallFacts): void {
    this.#metrics.requestDuration.observe({ kind: 'egress' }, Number(process.hrtime.bigint() - call.started) / 1e9);
  }

  /** A refusal that could not even be recorded (the audit log is down). */
  unrecorded(): void {
    this.#metrics.requests.inc({ kind: 'egress', decision: 'error' });
  }
}

/**
 * The record's payload when the policy keeps masked payloads: the path (its query can carry
 * personal data, so it is masked too) and, up to `maxBodyBytes`, the masked body as sent.
 */
export function auditPayload(masker: Masker, path: string, body: { body: Buffer; kind: string; api: string | undefined; json?: Record<string, unknown> }, maxBodyBytes: number): Record<string, unknown> {
  const out: Record<string, unknown> = { path: masker.maskText(path), bodyBytes: body.body.length };
  if (body.api !== undefined) out.api = body.api;
  if (body.body.length === 0 || body.body.length > maxBodyBytes) return out;
  if (body.json !== undefined) {
    out.request = body.json;
    return out;
  }
  const text = body.body.toString('utf8');
  if (body.kind === 'json') {
    try {
      out.request = JSON.parse(text) as unknown;
      return out;
    } catch {
      // recorded as text below
    }
  }
  out.request = text;
  return out;
}
