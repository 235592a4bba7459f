// One client call as the gateway sees it, from decision to audit record: the pieces every
// transport shares. A call's response is released to the client only after its audit record
// is durable; when the audit log refuses it, the client gets an error instead (fail closed).
import { createHmac, randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Logger } from '../../lib/log.ts';
import type { AuditDecision, AuditEntry, Principal } from '../audit/record.ts';
import type { HealthState } from '../admin/readiness.ts';
import { MaskReport, type Masker } from '../masking/engine.ts';
import { countMasked, type SidecarMetrics } from '../admin/metrics.ts';
import type { ToolPinning } from '../pinning/guard.ts';
import type { PolicyRuntime } from '../policy/runtime.ts';
import { ErrorCode, errorResponse, isErrorResponse, isResult, toolName, type JsonRpcId, type JsonRpcMessage, type JsonRpcRequest } from './jsonrpc.ts';
import { auditCopy, auditParams, protectServerMessage, type RequestContext } from './messages.ts';
import { withoutProtocolFields, withProtocolFields } from './protocol-fields.ts';
import type { Withheld } from './replies.ts';

export interface AuditSink {
  append(entry: AuditEntry): Promise<unknown>;
  health(): HealthState;
}

export interface ExchangeDeps {
  readonly audit: AuditSink;
  readonly metrics: SidecarMetrics;
  readonly logger: Logger;
  readonly pinning?: ToolPinning | undefined;
}

/** A client request the gateway let through and whose answer it is waiting for. */
export interface PendingCall {
  readonly request: JsonRpcRequest;
  readonly tool: string | undefined;
  readonly context: RequestContext;
  readonly principal: Principal;
  readonly runtime: PolicyRuntime;
  readonly session: string | undefined;
  readonly started: bigint;
  readonly callId: string;
  /** The decision that let it through: allow, or approved after a hold. */
  readonly decision: 'allow' | 'approved';
  readonly reason: string;
}

export function pendingCall(
  request: JsonRpcRequest,
  principal: Principal,
  runtime: PolicyRuntime,
  session: string | undefined,
  decision: PendingCall['decision'],
  reason: string,
  callId: string,
): PendingCall {
  return {
    request,
    tool: toolName(request),
    context: { method: request.method, groups: principal.groups ?? [] },
    principal,
    runtime,
    session,
    started: process.hrtime.bigint(),
    callId,
    decision,
    reason,
  };
}

export class Exchange {
  readonly #deps: ExchangeDeps;
  readonly #sessionKey = randomBytes(32);

  constructor(deps: ExchangeDeps) {
    this.#deps = deps;
  }

  /**
   * Protects a server message answering `call` (or server-initiated, when call is undefined),
   * records it, and returns what may go to the client. Audit failure turns the answer into an
   * error: nothing leaves unrecorded.
   */
  async answer(
    message: JsonRpcMessage,
    call: PendingCall | undefined,
    runtime: PolicyRuntime,
    session: string | undefined,
    streamOwner?: Principal,
  ): Promise<JsonRpcMessage> {
    if (call === undefined && 'method' in message && message.method === 'notifications/tools/list_changed') this.#deps.pinning?.listChanged(runtime.policy);
    if (call?.request.method === 'tools/list' && this.#deps.pinning && isResult(message)) {
      const ctx = { policy: runtime.policy, masker: runtime.engines.masker, principal: call.principal, session };
      const screened = await this.#deps.pinning.screenList(message.result, ctx);
      if (!screened.ok) return auditFailure(call.request.id);
      if (screened.result !== message.result) message = { ...message, result: screened.result };
    }
    const report = new MaskReport();
    const safe = protectServerMessage(message, call?.context, runtime.engines, report);
    countMasked(this.#deps.metrics, report.counts);
    if (call === undefined) {
      // Server-initiated traffic: requests (sampling, elicitation) are recorded; notifications
      // only when they carried something that had to be masked.
      if (!('method' in message) || (!('id' in message) && report.total() === 0)) return safe;
      const ok = await this.#record({
        kind: 'mcp',
        principal: streamOwner ?? { sub: 'anonymous' },
        decision: 'allow',
        reason: 'server-initiated message to the client',
        method: (message as { method: string }).method,
        session,
        masked: report.countsObject(),
        policy: policyRef(runtime),
        ...(runtime.policy.audit.payloads === 'masked' ? { payload: { message: auditCopy(safe, runtime.engines.masker, report) } } : {}),
      }, runtime.engines.masker);
      return ok ? safe : auditFailure(undefined);
    }
    // The arguments' counts join the record's only: the metrics above count what the client was spared.
    const params = runtime.policy.audit.payloads === 'masked' ? auditParams(call.request, runtime.engines.masker, report) : undefined;
    const serverError = isErrorResponse(safe) ? safe.error : undefined;
    const ok = await this.#record({
      kind: 'mcp',
      principal: call.principal,
      decision: call.decision,
      reason: serverError ? `${call.reason}; the server answered error ${serverError.code}: ${serverError.message}` : call.reason,
      method: call.request.method,
      ...(call.tool !== undefined ? { tool: call.tool } : {}),
      policy: policyRef(call.runtime),
      session,
      requestId: call.request.id,
      callId: call.callId,
      durationMs: elapsedMs(call.started),
      masked: report.countsObject(),
      ...(runtime.policy.audit.payloads === 'masked'
        ? { payload: { ...(params !== undefined ? { params } : {}), ...(serverError ? { error: serverError } : { result: auditCopy((safe as { result?: unknown }).result, runtime.engines.masker, report) }) } }
        : {}),
    }, runtime.engines.masker);
    this.#observe(call.decision, call.started);
    return ok ? safe : auditFailure(call.request.id);
  }

  /** Records a refusal (policy denial, rejected approval, bad request) and counts it. */
  async refuse(
    refusal: { request?: JsonRpcRequest; method?: string; tool?: string; decision: AuditDecision; reason: string; session?: string | undefined; callId?: string },
    principal: Principal,
    runtime: PolicyRuntime | undefined,
    started: bigint,
  ): Promise<boolean> {
    this.#deps.logger.info(`refused: ${refusal.reason}`, { decision: refusal.decision, sub: principal.sub, method: refusal.method ?? refusal.request?.method, tool: refusal.tool });
    const argsReport = new MaskReport();
    const params = refusal.request && runtime?.policy.audit.payloads === 'masked' ? auditParams(refusal.request, runtime.engines.masker, argsReport) : undefined;
    const ok = await this.#record({
      kind: 'mcp',
      principal,
      decision: refusal.decision,
      reason: refusal.reason,
      ...(refusal.method ?? refusal.request?.method ? { method: refusal.method ?? refusal.request!.method } : {}),
      ...(refusal.tool !== undefined ? { tool: refusal.tool } : {}),
      ...(runtime ? { policy: policyRef(runtime) } : {}),
      session: refusal.session,
      ...(refusal.request ? { requestId: refusal.request.id } : {}),
      ...(refusal.callId ? { callId: refusal.callId } : {}),
      durationMs: elapsedMs(started),
      masked: argsReport.countsObject(),
      ...(params !== undefined ? { payload: { params } } : {}),
    }, runtime?.engines.masker);
    this.#observe(refusal.decision, started);
    return ok;
  }

  /** Records the client notifications and responses among `messages`, which the server took (no answer comes back). */
  async forwarded(messages: readonly JsonRpcMessage[], principal: Principal, runtime: PolicyRuntime, session: string | undefined, started: bigint): Promise<void> {
    for (const message of messages) {
      if ('id' in message && 'method' in message) continue;
      const report = new MaskReport();
      const method = 'method' in message ? message.method : 'response';
      const { masker } = runtime.engines;
      const payload =
        runtime.policy.audit.payloads === 'masked' ? auditCopy(withProtocolFields(message, masker.maskJson(withoutProtocolFields(message), report)), masker, report) : undefined;
      await this.#record({
        kind: 'mcp',
        principal,
        decision: 'allow',
        reason: 'forwarded to the server',
        method,
        policy: policyRef(runtime),
        session,
        durationMs: elapsedMs(started),
        masked: report.countsObject(),
        ...(payload !== undefined ? { payload: { message: payload } } : {}),
      }, runtime.engines.masker);
      this.#observe('allow', started);
    }
  }

  /**
   * A server answer (or part of one) the gateway could not read or match to a request, and did
   * not forward: counted, and recorded, on each call it leaves unanswered or once when none.
   */
  async withheld(w: Withheld, method: string, principal: Principal, runtime: PolicyRuntime, session: string | undefined, started: bigint, calls: readonly PendingCall[]): Promise<void> {
    this.#deps.metrics.withheldReplies.inc({ reason: w.label });
    const reason = `withheld from the client: ${w.reason}`;
    for (const c of calls) await this.upstreamFailed(c, reason);
    if (calls.length > 0) return;
    await this.#record({
      kind: 'mcp',
      principal,
      decision: 'error',
      reason,
      method,
      policy: policyRef(runtime),
      session,
      durationMs: elapsedMs(started),
      masked: {},
    }, runtime.engines.masker);
    this.#observe('error', started);
  }

  /** The server could not be reached: the call fails with an error, and that is recorded. */
  async upstreamFailed(call: PendingCall, reason: string): Promise<void> {
    await this.#record({
      kind: 'mcp',
      principal: call.principal,
      decision: 'error',
      reason,
      method: call.request.method,
      ...(call.tool !== undefined ? { tool: call.tool } : {}),
      policy: policyRef(call.runtime),
      session: call.session,
      requestId: call.request.id,
      callId: call.callId,
      durationMs: elapsedMs(call.started),
      masked: {},
    }, call.runtime.engines.masker);
    this.#observe('error', call.started);
  }

  /**
   * Every field that can carry data the client or server chose is masked before it is written
   * (tool names, methods, reasons quoting them); the session id, which the server chooses and
   * may build from anything, is replaced by a keyed hash. The key lives only in this process,
   * as sessions do (the registry is in memory), so records of one session still correlate.
   */
  async #record(entry: AuditEntry, masker: Masker | undefined): Promise<boolean> {
    // An undefined session stays as it is (the log copies only defined fields): deleting it would
    // turn every entry into a slow dictionary-mode object.
    if (entry.session !== undefined) entry.session = this.sessionDigest(entry.session);
    if (masker !== undefined) {
      if (entry.tool !== undefined) entry.tool = masker.maskText(entry.tool);
      if (entry.method !== undefined) entry.method = masker.maskText(entry.method);
      if (entry.reason !== undefined) entry.reason = masker.maskText(entry.reason);
    }
    try {
      await this.#deps.audit.append(entry);
      return true;
    } catch (err) {
      this.#deps.logger.error('audit record could not be written; the answer is withheld', { error: err, method: entry.method, tool: entry.tool });
      return false;
    }
  }

  /** What the audit log holds for a session id: "hmac:" and 128 bits of HMAC-SHA256 under the process's key. */
  sessionDigest(session: string): string {
    return `hmac:${createHmac('sha256', this.#sessionKey).update(session).digest('hex').slice(0, 32)}`;
  }

  #observe(decision: AuditDecision, started: bigint): void {
    this.#deps.metrics.requests.inc({ kind: 'mcp', decision });
    this.#deps.metrics.requestDuration.observe({ kind: 'mcp' }, Number(process.hrtime.bigint() - started) / 1e9);
  }
}

/** The policy an audit record names. */
export function policyRef(runtime: PolicyRuntime): NonNullable<AuditEntry['policy']> {
  const { name, generation } = runtime.policy;
  return generation === undefined ? { name } : { name, generation };
}

/** An audit record's durationMs: milliseconds since `started`, to two decimals. */
export function elapsedMs(started: bigint): number {
  return Math.round(Number(process.hrtime.bigint() - started) / 1e4) / 100;
}

/** Takes the call `m` answers out of `calls`; undefined when `m` answers none of them. */
export function takeCall(calls: Map<JsonRpcId, PendingCall>, m: JsonRpcMessage): PendingCall | undefined {
  const id = isResult(m) || isErrorResponse(m) ? m.id : null;
  const call = id === null ? undefined : calls.get(id);
  if (call !== undefined) calls.delete(call.request.id);
  return call;
}

export function auditFailure(id: JsonRpcId | undefined): JsonRpcMessage {
  return errorResponse(id ?? null, ErrorCode.Unavailable, 'mcp-residency: the audit log cannot record this answer, so it is withheld');
}

/** Writes a JSON body, unless the client is gone. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function sendRpcError(res: ServerResponse, status: number, id: JsonRpcId | null, code: number, message: string, headers: Record<string, string> = {}): void {
  sendJson(res, status, errorResponse(id, code, message), headers);
}
