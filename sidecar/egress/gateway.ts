// The egress gateway (port 15081, loopback only): how the workload reaches LLM providers.
// Every request passes, in order: framing sound (no smuggling), policy loaded (or refuse,
// fail closed), destination a declared upstream in an allowed region, audit log healthy, host
// resolved and every address checked (no SSRF), body read and masked, credential added; the
// connection goes to the checked address. The answer is recorded before any of it is
// released, and restored (pseudonymize mode) as it streams back. A refusal sends nothing:
// no connection to the destination is even opened.
//
// Three ways in, one set of rules: named routes (/<upstream>/<path>), forward-proxy requests
// (absolute http:// URIs: treated as the upstream's named route, so masked and credentialed)
// and CONNECT tunnels (allowed upstreams only, unmaskable, recorded as tunnels).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import type { Logger } from '../../lib/log.ts';
import type { ResolvedUpstream } from '../../policy/types.ts';
import type { Principal } from '../audit/record.ts';
import { BodyTooLargeError, readBody } from '../http/body.ts';
import type { AuditSink } from '../inbound/exchange.ts';
import { MaskReport } from '../masking/engine.ts';
import type { SidecarMetrics } from '../admin/metrics.ts';
import type { PolicyRuntime, PolicyState } from '../policy/runtime.ts';
import { AgentPool } from './agents.ts';
import { maskRequestBody, type MaskedBody } from './bodies/request.ts';
import { decidePassThrough, decideRequest, passReason, ssrfDenial, type Route } from './decide.ts';
import { outboundHeaders, type Credential } from './headers.ts';
import { denialBody, type Denial } from './region.ts';
import { prepareRelay } from './relay.ts';
import { auditPayload, EgressRecorder, workloadPrincipal, type CallFacts, type Outcome } from './record.ts';
import { sendError, writeRawError, type ErrorDetail } from './replies.ts';
import { pinPassThrough, resolvePinned, systemResolver, type Pinned, type Resolver } from './resolve.ts';
import { TokenMap } from './restore.ts';
import { bareHost, namedLocation, parseAuthority, parseTarget, upstreamUrl } from './routes.ts';
import { SecretCache, UpstreamSecrets } from './secrets.ts';
import { sendPinned, UpstreamFailure } from './send.ts';
import { framingProblem } from './smuggling.ts';
import { connectPinned, splice } from './tunnel.ts';

export type { Resolver, ResolvedAddress } from './resolve.ts';

export interface EgressLimits {
  /** Largest request body accepted (also after decompression); it must be read whole to be masked. */
  readonly maxRequestBytes: number;
  /** Largest single server-sent event of a restored stream. */
  readonly maxEventBytes: number;
  /** TCP and TLS handshake with the upstream. */
  readonly connectTimeoutMs: number;
  /** From the request sent to the upstream's response headers (a long completion can take minutes). */
  readonly responseTimeoutMs: number;
  /** Longest silence in a response body before it is cut. */
  readonly idleTimeoutMs: number;
  readonly dnsTimeoutMs: number;
  /** How long a credential or CA bundle read from the Secrets directory is reused. */
  readonly secretCacheMs: number;
  /** Largest masked request body copied into an audit record (audit.payloads: masked). */
  readonly maxAuditBodyBytes: number;
}

export const DEFAULT_EGRESS_LIMITS: EgressLimits = {
  maxRequestBytes: 32 * 1024 * 1024,
  maxEventBytes: 16 * 1024 * 1024,
  connectTimeoutMs: 10_000,
  responseTimeoutMs: 600_000,
  idleTimeoutMs: 300_000,
  dnsTimeoutMs: 5_000,
  secretCacheMs: 5_000,
  maxAuditBodyBytes: 64 * 1024,
};

export interface EgressOptions {
  readonly policy: () => PolicyState;
  readonly audit: AuditSink;
  readonly metrics: SidecarMetrics;
  readonly logger: Logger;
  /** The mounted-Secret directory (--secrets-dir) holding credentials and CA bundles. */
  readonly secretsDir: string | undefined;
  /** Name resolution; the system resolver by default. Tests point provider names at local servers. */
  readonly resolver?: Resolver;
  /** PEM CA certificates trusted for every upstream, on top of the system's. */
  readonly extraCa?: string;
  readonly limits?: Partial<EgressLimits>;
  /** Who egress records name; by default the pod (POD_NAME) or "workload". */
  readonly principal?: Principal;
}

const BODYLESS = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS']);

export class EgressGateway {
  readonly limits: EgressLimits;
  readonly #o: EgressOptions;
  readonly #resolver: Resolver;
  readonly #agents = new AgentPool();
  readonly #secrets: UpstreamSecrets;
  readonly #recorder: EgressRecorder;
  readonly #tunnels = new Set<Socket | Duplex>();
  #closed = false;

  constructor(options: EgressOptions) {
    this.#o = options;
    this.limits = { ...DEFAULT_EGRESS_LIMITS, ...options.limits };
    this.#resolver = options.resolver ?? systemResolver;
    this.#secrets = new UpstreamSecrets(new SecretCache(options.secretsDir, this.limits.secretCacheMs));
    this.#recorder = new EgressRecorder(options.audit, options.metrics, options.logger, options.principal ?? workloadPrincipal());
  }

  readonly handleRequest = (req: IncomingMessage, res: ServerResponse): void => {
    this.#request(req, res).catch((err: unknown) => {
      this.#o.logger.error('egress request failed', { error: err, method: req.method });
      sendError(res, 500, { type: 'internal_error', message: 'the egress gateway failed on this request; nothing more was sent' });
    });
  };

  readonly handleConnect = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    this.#connect(req, socket, head).catch((err: unknown) => {
      this.#o.logger.error('egress tunnel failed', { error: err });
      writeRawError(socket, 500, { type: 'internal_error', message: 'the egress gateway failed on this tunnel' });
    });
  };

  close(): void {
    this.#closed = true;
    for (const s of this.#tunnels) s.destroy();
    this.#tunnels.clear();
    this.#agents.destroy();
  }

  async #request(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const call: CallFacts = { started: process.hrtime.bigint(), method: req.method ?? 'GET', runtime: undefined, tunnel: false };
    // The application going away at any point cancels what is still to come upstream.
    const gone = new AbortController();
    const onGone = (): void => {
      if (!res.writableFinished) gone.abort();
    };
    res.once('close', onGone);
    try {
      await this.#forward(req, res, call, gone.signal);
    } finally {
      res.off('close', onGone);
    }
  }

  async #forward(req: IncomingMessage, res: ServerResponse, call: CallFacts, signal: AbortSignal): Promise<void> {
    const refuse = (status: number, detail: ErrorDetail, decision: 'deny' | 'error', extra: Omit<Outcome, 'decision' | 'reason' | 'status'> = {}, close = false): Promise<void> =>
      this.#refuse(call, { decision, reason: detail.message, status, ...extra }, () => sendError(res, status, detail, close));

    const framing = framingProblem(req.rawHeaders);
    if (framing !== undefined) {
      // The rest of the connection cannot be trusted to be read the same way: close it.
      return refuse(400, { type: 'invalid_request', message: `ambiguous request framing: ${framing}; refused` }, 'deny', {}, true);
    }
    const state = this.#o.policy();
    if (!state.ok || this.#closed) return refuse(503, policyUnavailable(state), 'deny');
    const runtime = state.runtime;
    call.runtime = runtime;
    const decision = decideRequest(runtime.policy, parseTarget(req.url ?? '/'));
    if (!decision.ok) return this.#deny(call, refuse, decision.status, decision.denial);
    const route = decision.route;
    const where = { destination: route.destination, upstream: route.upstream.name };
    call.upstream = route.upstream.name;
    call.destination = route.destination;
    call.region = route.upstream.region;
    if (!this.#recorder.auditHealthy()) return this.#auditDown(call, res);

    const pinned = await this.#pin(route.upstream);
    if (!pinned.ok) {
      if (pinned.kind === 'ssrf') return refuse(403, { ...ssrfDenial({ ...where, region: route.upstream.region }, pinned.reason, runtime.policy.egress.allowedRegions) }, 'deny');
      return refuse(502, { type: 'upstream_unreachable', message: `${pinned.reason}; nothing was sent`, ...where }, 'error');
    }

    const report = new MaskReport();
    const body = await this.#maskedBody(req, route, runtime, report);
    this.#recorder.countMasked(report.counts);
    const masked = report.countsObject();
    if (!body.ok) return refuse(body.status, { type: body.type, message: body.message, ...where }, body.status === 400 ? 'error' : 'deny', { masked }, body.status === 413);

    let credential: Credential | undefined;
    let ca: string | undefined;
    try {
      credential = await this.#secrets.credential(route.upstream);
      ca = await this.#secrets.ca(route.upstream, this.#o.extraCa);
    } catch (err) {
      return refuse(502, { type: 'upstream_configuration', message: (err as Error).message, ...where }, 'error', { masked });
    }

    const payload = runtime.policy.audit.payloads === 'masked' ? auditPayload(runtime.engines.masker, route.path, body, this.limits.maxAuditBodyBytes) : undefined;
    const url = upstreamUrl(route.upstream);
    let upstreamRes: IncomingMessage;
    try {
      upstreamRes = await sendPinned({
        url,
        addresses: pinned.addresses,
        method: call.method,
        path: route.path,
        headers: outboundHeaders(req.headers, url.host, credential, body.body.length > 0 || !BODYLESS.has(call.method) ? body.body.length : undefined, (v) => runtime.engines.masker.maskText(v)),
        body: body.body.length > 0 ? body.body : undefined,
        agent: this.#agents.get(url.protocol, ca),
        connectTimeoutMs: this.limits.connectTimeoutMs,
        responseTimeoutMs: this.limits.responseTimeoutMs,
        signal,
      });
    } catch (err) {
      if (!(err instanceof UpstreamFailure)) throw err;
      if (err.kind === 'aborted') {
        // Nobody is left to answer; the call is still recorded (499: client closed request).
        await this.#recorder.record(call, { decision: 'error', reason: err.message, status: 499, masked, payload });
        return this.#recorder.finished(call);
      }
      const type = err.kind === 'timeout' ? 'upstream_timeout' : 'upstream_unreachable';
      return refuse(err.kind === 'timeout' ? 504 : 502, { type, message: err.message, ...where }, 'error', { masked, payload });
    }

    const restore = report.restore;
    const relay = prepareRelay(upstreamRes, {
      tokens: restore !== undefined && restore.size > 0 ? new TokenMap(restore) : undefined,
      credential: credential?.secret,
      maxEventBytes: this.limits.maxEventBytes,
      idleTimeoutMs: this.limits.idleTimeoutMs,
      what: `${route.upstream.name} (${route.destination})`,
      ...(route.via === 'named' ? { location: (loc: string) => namedLocation(loc, route.upstream) } : {}),
    });
    if (relay.unreadable !== undefined) this.#o.logger.warn('egress answer passed unread', { upstream: route.upstream.name, reason: relay.unreadable });
    const recorded = await this.#recorder.record(call, {
      decision: 'allow',
      reason: `${route.via === 'named' ? 'named route' : 'forward proxy'} to upstream ${route.upstream.name} in allowed region ${route.upstream.region}; upstream answered ${relay.status}`,
      status: relay.status,
      masked,
      payload,
    });
    if (!recorded || signal.aborted) {
      upstreamRes.destroy();
      this.#recorder.finished(call);
      return sendError(res, 503, { type: 'audit_unavailable', message: 'the answer is withheld because the audit record could not be written' });
    }
    const end = await relay.start(res);
    this.#recorder.finished(call);
    if (!end.ok) this.#o.logger.warn('egress response ended early', { upstream: route.upstream.name, reason: end.reason });
  }

  /** The request body read whole (it is masked as a document) within the limit, and masked. */
  async #maskedBody(req: IncomingMessage, route: Route, runtime: PolicyRuntime, report: MaskReport): Promise<(MaskedBody & { ok: true }) | { ok: false; status: number; type: string; message: string }> {
    const limit = this.limits.maxRequestBytes;
    const tooLarge = { ok: false, status: 413, type: 'request_too_large', message: `the request body is larger than ${limit} bytes; nothing was sent` } as const;
    if (Number(req.headers['content-length'] ?? 0) > limit) return tooLarge;
    let raw: Buffer;
    try {
      raw = await readBody(req, limit);
    } catch (err) {
      if (err instanceof BodyTooLargeError) return tooLarge;
      return { ok: false, status: 400, type: 'invalid_request', message: 'the request body could not be read (the application disconnected?); nothing was sent' };
    }
    const info = { contentType: req.headers['content-type'], contentEncoding: req.headers['content-encoding'], pathname: route.path.split('?')[0]!, limit };
    const masked = maskRequestBody(raw, info, runtime.engines.masker, report);
    return masked.ok ? masked : { ok: false, status: masked.status, type: 'unmaskable_request', message: masked.message };
  }

  async #connect(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const call: CallFacts = { started: process.hrtime.bigint(), method: 'CONNECT', runtime: undefined, tunnel: true };
    socket.on('error', () => socket.destroy());
    const refuse = (status: number, detail: ErrorDetail, decision: 'deny' | 'error'): Promise<void> =>
      this.#refuse(call, { decision, reason: detail.message, status }, () => writeRawError(socket, status, detail));
    const state = this.#o.policy();
    if (!state.ok || this.#closed) return refuse(503, policyUnavailable(state), 'deny');
    call.runtime = state.runtime;
    const authority = parseAuthority(req.url ?? '');
    if (authority === undefined) return refuse(400, { type: 'invalid_request', message: 'CONNECT needs host:port' }, 'deny');
    const decision = decidePassThrough(state.runtime.policy, authority.host, authority.port, gatewayOrigin(req));
    if (!decision.ok) return this.#deny(call, refuse, decision.status, decision.denial);
    const pass = decision.pass;
    call.upstream = pass.upstream?.name;
    call.destination = pass.destination;
    call.region = pass.region;
    if (!this.#recorder.auditHealthy()) {
      this.#recorder.unrecorded();
      this.#recorder.finished(call);
      return writeRawError(socket, 503, { type: 'audit_unavailable', message: 'the audit log is not healthy, so nothing may leave' });
    }
    const pinned = await pinPassThrough(pass, this.#resolver, this.limits.dnsTimeoutMs);
    if (!pinned.ok) {
      const detail = pinned.kind === 'ssrf' ? { ...ssrfDenial({ ...pass, upstream: pass.upstream?.name }, pinned.reason, state.runtime.policy.egress.allowedRegions) } : { type: 'upstream_unreachable', message: pinned.reason, destination: pass.destination };
      return refuse(pinned.kind === 'ssrf' ? 403 : 502, detail, pinned.kind === 'ssrf' ? 'deny' : 'error');
    }
    const gone = new AbortController();
    socket.once('close', () => gone.abort());
    let upstream: Socket;
    try {
      upstream = await connectPinned(pinned.addresses, authority.port, this.limits.connectTimeoutMs, gone.signal);
    } catch (err) {
      if (!(err instanceof UpstreamFailure)) throw err;
      return refuse(err.kind === 'timeout' ? 504 : 502, { type: 'upstream_unreachable', message: err.message, destination: pass.destination }, 'error');
    }
    const recorded = await this.#recorder.record(call, {
      decision: 'allow',
      reason: `CONNECT tunnel to ${passReason(pass)}: encrypted end to end, not masked`,
      status: 200,
    });
    if (!recorded || socket.destroyed || this.#closed) {
      upstream.destroy();
      this.#recorder.finished(call);
      return writeRawError(socket, 503, { type: 'audit_unavailable', message: 'the tunnel is refused because its audit record could not be written' });
    }
    socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    this.#tunnels.add(socket);
    this.#tunnels.add(upstream);
    const bytes = await splice(socket as Socket, upstream, head);
    this.#tunnels.delete(socket);
    this.#tunnels.delete(upstream);
    this.#recorder.finished(call);
    this.#o.logger.debug('egress tunnel closed', { destination: pass.destination, ...bytes });
  }

  #pin(upstream: ResolvedUpstream): Promise<Pinned> {
    const host = bareHost(upstreamUrl(upstream).hostname);
    return resolvePinned(host, { allowPrivate: upstream.allowPrivateAddresses, urlHost: host }, this.#resolver, this.limits.dnsTimeoutMs);
  }

  /** Recorded before it is answered, like every call: nothing goes out that the audit log lacks. */
  async #refuse(call: CallFacts, outcome: Outcome, send: () => void): Promise<void> {
    await this.#recorder.record(call, outcome);
    this.#recorder.finished(call);
    send();
  }

  /** A call the policy does not allow, recorded with where it was going. */
  #deny(call: CallFacts, refuse: (status: number, detail: ErrorDetail, decision: 'deny') => Promise<void>, status: number, denial: Denial): Promise<void> {
    call.destination = denial.destination;
    call.region = denial.region;
    if (denial.upstream !== undefined) call.upstream = denial.upstream;
    return refuse(status, { ...denialBody(denial).error }, 'deny');
  }

  #auditDown(call: CallFacts, res: ServerResponse): void {
    this.#recorder.unrecorded();
    this.#recorder.finished(call);
    this.#o.logger.error('egress refused: the audit log is not healthy', { upstream: call.upstream });
    sendError(res, 503, { type: 'audit_unavailable', message: 'the audit log is not healthy, so nothing may leave; nothing was sent' });
  }
}

function policyUnavailable(state: PolicyState): ErrorDetail {
  return { type: 'policy_unavailable', message: `no policy is enforced, so nothing may leave: ${state.ok ? 'the gateway is shutting down' : state.reason}` };
}

function gatewayOrigin(req: IncomingMessage): string {
  const s = req.socket;
  const host = (s.localAddress ?? '127.0.0.1').replace(/^::ffff:/u, '');
  return `http://${host.includes(':') ? `[${host}]` : host}:${s.localPort ?? 15081}`;
}
