// What an ingestion answer (POST /v2.1/track) means for each record of a batch. Pure.
//
// The exporter's own export() result cannot be trusted for this: with offline storage disabled
// it reports SUCCESS for a 503, a 429, a 206 or a refused connection (it "persisted" the batch to
// a store that is switched off). So the shipper observes the HTTP exchange itself and decides
// here, per item: acknowledged, to be re-sent, or refused for good.

export interface Observation {
  /** HTTP status of the final response; undefined when none arrived. */
  readonly status?: number;
  readonly body?: string;
  readonly retryAfterMs?: number;
  /** Transport error (no response): ECONNREFUSED, timeout, abort. */
  readonly error?: string;
}

export type FailureReason = 'network' | 'throttled' | 'unavailable' | 'partial' | 'auth' | 'rejected' | 'http';

export interface Outcome {
  /** Indexes into the batch acknowledged by the endpoint. */
  readonly accepted: readonly number[];
  /** Indexes to send again (after a back-off). */
  readonly retry: readonly number[];
  /** Indexes refused for good (a 400 for that item): logged, counted, not re-sent. */
  readonly rejected: readonly { readonly index: number; readonly status: number; readonly message: string }[];
  /** True when the whole batch was refused without per-item errors: send it in halves to isolate the item. */
  readonly split: boolean;
  readonly retryAfterMs: number | undefined;
  /** Set when anything failed: the label for auditShipFailures and the log line. */
  readonly failure: { readonly reason: FailureReason; readonly detail: string } | undefined;
}

/** Statuses for which an item (or a whole request) is worth sending again. */
export function isRetriableStatus(status: number): boolean {
  // 402 and 439 are quota answers: the quota comes back, and audit records must not be dropped for it.
  return [401, 402, 403, 408, 429, 439].includes(status) || status >= 500;
}

interface BreezeResponse {
  itemsReceived?: number;
  itemsAccepted?: number;
  errors?: { index?: number; statusCode?: number; message?: string }[];
}

function parseBody(body: string | undefined): BreezeResponse | undefined {
  if (body === undefined || body === '') return undefined;
  try {
    const v = JSON.parse(body) as unknown;
    return v !== null && typeof v === 'object' ? v : undefined;
  } catch {
    return undefined;
  }
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

export function classify(obs: Observation | undefined, count: number): Outcome {
  const all = range(count);
  const none = { accepted: [], retry: [], rejected: [], split: false, retryAfterMs: undefined };
  if (obs === undefined) return { ...none, retry: all, failure: { reason: 'network', detail: 'the exporter sent no request' } };
  if (obs.status === undefined) return { ...none, retry: all, failure: { reason: 'network', detail: obs.error ?? 'no response' } };
  const status = obs.status;
  const body = parseBody(obs.body);
  const retryAfterMs = obs.retryAfterMs;
  if (status === 200 || status === 206) {
    const errors = body?.errors ?? [];
    if (status === 206 && body === undefined) {
      return { ...none, retry: all, retryAfterMs, failure: { reason: 'partial', detail: 'partial success without a readable body: re-sending the batch' } };
    }
    return perItem(errors, count, retryAfterMs, status);
  }
  if (isRetriableStatus(status)) {
    const reason: FailureReason = status === 429 || status === 439 || status === 402 ? 'throttled' : status === 401 || status === 403 ? 'auth' : 'unavailable';
    return { ...none, retry: all, retryAfterMs, failure: { reason, detail: `HTTP ${status}` } };
  }
  if (status === 400 && body?.errors !== undefined && body.errors.length > 0) return perItem(body.errors, count, retryAfterMs, status);
  if (status >= 400 && status < 500 && status !== 404) {
    if (count > 1) return { ...none, split: true, retryAfterMs, failure: { reason: 'rejected', detail: `HTTP ${status} for the whole batch: splitting it to find the item refused` } };
    return { ...none, rejected: [{ index: 0, status, message: `HTTP ${status}${obs.body ? `: ${obs.body.slice(0, 200)}` : ''}` }], retryAfterMs, failure: { reason: 'rejected', detail: `HTTP ${status}` } };
  }
  // 3xx left over after the exporter's redirect handling, 404 (wrong endpoint), anything odd: keep the records.
  return { ...none, retry: all, retryAfterMs, failure: { reason: 'http', detail: `HTTP ${status}` } };
}

function perItem(errors: NonNullable<BreezeResponse['errors']>, count: number, retryAfterMs: number | undefined, status: number): Outcome {
  const failed = new Map<number, { status: number; message: string }>();
  for (const e of errors) {
    if (typeof e.index !== 'number' || e.index < 0 || e.index >= count) continue;
    failed.set(e.index, { status: typeof e.statusCode === 'number' ? e.statusCode : 500, message: e.message ?? '' });
  }
  const accepted: number[] = [];
  const retry: number[] = [];
  const rejected: { index: number; status: number; message: string }[] = [];
  for (let i = 0; i < count; i++) {
    const f = failed.get(i);
    if (f === undefined) accepted.push(i);
    // A sampled-out audit record is lost in Azure: say so loudly, ingestion sampling must be off.
    else if (f.message.toLowerCase() === 'telemetry sampled out.') rejected.push({ index: i, status: f.status, message: 'dropped by ingestion sampling: turn sampling off for this Application Insights resource' });
    else if (isRetriableStatus(f.status)) retry.push(i);
    else rejected.push({ index: i, status: f.status, message: f.message });
  }
  const failure =
    retry.length > 0 || rejected.length > 0
      ? { reason: (rejected.length > 0 && retry.length === 0 ? 'rejected' : 'partial') as FailureReason, detail: `HTTP ${status}: ${accepted.length} accepted, ${retry.length} to retry, ${rejected.length} refused` }
      : undefined;
  return { accepted, retry, rejected, split: false, retryAfterMs, failure };
}
